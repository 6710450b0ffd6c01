"""pytest plugin for the GitHub contract tests: `pytest_plugins = ["contract.plugin"]`.

Fixtures (session-scoped):
- `github_contract`: base URL of a Prism mock serving GitHub's REST description (tests/contract/
  prism.py), started once per session and stopped at its end.
- `webhook_examples`: {event name: [payload dict, ...]} from @octokit/webhooks-examples.

Both need the Node tools of scripts/setup_contract_tools.sh. Without them a test is skipped, or
fails when PARETOBOT_REQUIRE_CONTRACT is set (CI sets it, so a broken install cannot pass as skips).

`contract_findings` (a function: label, violations) collects what Prism found wrong with GitHub's
*own* example responses; the terminal summary lists them with Prism's startup time. (Test modules
take it as a fixture rather than importing this module, which pytest must import first.)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contract import prism

WEBHOOK_EXAMPLES_PACKAGE = "@octokit/webhooks-examples"
# The package's `main`: one JSON array of {"name", "actions", "description", "examples",
# "properties"} definitions, one per webhook event, for api.github.com (ghes-3.x/ beside it).
WEBHOOK_EXAMPLES_FILE = "api.github.com/index.json"

_response_violations: dict[str, list[dict]] = {}


def _missing(what: str) -> None:
    """Skip, or fail under PARETOBOT_REQUIRE_CONTRACT, because the Node tools are not there."""
    message = (
        f"GitHub contract tools not installed ({what}); "
        "run scripts/setup_contract_tools.sh (PARETOBOT_NODE_DIR chooses the folder)"
    )
    if os.environ.get("PARETOBOT_REQUIRE_CONTRACT"):
        pytest.fail(f"PARETOBOT_REQUIRE_CONTRACT is set but {message}", pytrace=False)
    pytest.skip(message)


def record_response_violations(label: str, violations: list[dict]) -> None:
    """Keep Prism's findings about GitHub's example responses for the terminal summary."""
    if violations:
        _response_violations.setdefault(label, violations)


@pytest.fixture(scope="session")
def contract_findings() -> Callable[[str, list[dict]], None]:
    return record_response_violations


@pytest.fixture(scope="session")
def contract_node_dir() -> Path:
    return prism.default_node_dir()


@pytest.fixture(scope="session")
def github_contract(contract_node_dir: Path) -> Iterator[str]:
    """Base URL (http://127.0.0.1:PORT) of Prism serving GitHub's api.github.com description."""
    try:
        prism.prism_bin(contract_node_dir)
        prism.spec_source(contract_node_dir)
    except prism.ContractToolsMissing as exc:
        _missing(str(exc))
    with prism.running_prism(contract_node_dir) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def webhook_examples(contract_node_dir: Path) -> dict[str, list[dict]]:
    """Real webhook payloads by event name ("push", "pull_request", "release", ...)."""
    path = contract_node_dir / "node_modules" / WEBHOOK_EXAMPLES_PACKAGE / WEBHOOK_EXAMPLES_FILE
    if not path.is_file():
        _missing(f"{path} not found")
    return {event["name"]: event["examples"] for event in json.loads(path.read_text())}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    stats = prism.STATS
    if not stats.get("startup_seconds"):
        return
    tr = terminalreporter
    tr.section("GitHub contract (Prism)")
    tr.write_line(
        f"description {stats['source']} "
        + ("(rewritten copy cached)" if stats["spec_cached"] else "rewritten")
        + f" in {stats['rewrite_seconds']:.1f} s to {stats['spec_bytes'] / 1e6:.1f} MB; "
        f"Prism answered after "
        f"{stats['startup_seconds']:.1f} s"
    )
    tr.write_line(", ".join(f"{name} {v}" for name, v in stats["versions"].items()))
    if _response_violations:
        tr.write_line(
            "GitHub's own example responses that do not match their schemas "
            "(defects of the description, not of our requests):"
        )
        for label, violations in _response_violations.items():
            for v in violations:
                where = ".".join(str(p) for p in v.get("location", []))
                tr.write_line(f"  {label}: {where}: {v.get('message')}")
