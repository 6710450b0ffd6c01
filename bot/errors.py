"""The one error base: anything raised as a `ParetobotError` is a problem the user can act on, and
`paretobot` prints it as one line (exit code 1) instead of a traceback. Each stage subclasses it
(ConfigError, IngestError, StoreError, GitHubError, ...) so `main()` needs to know only this one."""

from __future__ import annotations


class ParetobotError(Exception):
    """A user-facing failure whose message names the file, option or resource and the problem."""
