"""What a commit of the stand-in package changes (tests/test_build_at_commit.py commits edits of
these constants): SPEED multiplies the throughput fake_client reports (with FAKE_REAL_CURVE), and
fake_server refuses to start with a flag in REFUSED_FLAGS."""

SPEED = 1.0
REFUSED_FLAGS: tuple[str, ...] = ()
