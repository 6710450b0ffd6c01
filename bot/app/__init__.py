"""The use cases (ingest, judge, attribute, publish, digest, demo): functions with typed inputs that
print nothing. The CLI parses arguments, calls one of these and prints what it returns."""
