"""A stand-in for GitHub's REST API that PyGithub can talk to (see github.py)."""

from .github import FAULT_KINDS, GitHubStandIn

__all__ = ["FAULT_KINDS", "GitHubStandIn"]
