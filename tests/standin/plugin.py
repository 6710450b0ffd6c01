"""pytest plugin: `github_standin`, a fresh GitHubStandIn per test, stopped afterwards (and
the test failed if the stand-in itself crashed on a request, which clients saw as a 500).

Use it with `pytest_plugins = ["standin.plugin"]` at the top of a test module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from standin import GitHubStandIn


@pytest.fixture
def github_standin() -> Iterator[GitHubStandIn]:
    standin = GitHubStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()
    if standin.errors:
        pytest.fail("the GitHub stand-in failed on a request:\n" + "\n".join(standin.errors))
