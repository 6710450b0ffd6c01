"""Everything that reads upstream GitHub repositories (and the webhook payloads they send)."""
