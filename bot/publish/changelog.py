"""The perf changelog, kept in three files: perf-changelog.yaml (InferenceX's shape), its JSON Lines
twin, and CHANGELOG-perf.md. One entry per change, keyed by the change: appended once, then
edited in place when new evidence (more runs, a culprit) arrives; a rerun with the same evidence
writes nothing."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.analysis.verdict import Verdict
from bot.model import CHANGE_KINDS, Attribution, Run
from bot.publish import Outcome, write_whole
from bot.report.changelog import changelog_entry, changelog_line, changelog_record, changelog_yaml
from bot.report.comment import CHANGE_MARKER, change_key, marker, pull_url

MARKDOWN_HEADER = "# Performance changelog\n\nWritten by paretobot: one line per change.\n\n"


@dataclass(frozen=True)
class ChangelogFiles:
    """perf-changelog.yaml (InferenceX's shape), its JSON Lines twin, and CHANGELOG-perf.md."""

    yaml: Path

    @property
    def jsonl(self) -> Path:
        return self.yaml.with_suffix(".jsonl")

    @property
    def markdown(self) -> Path:
        return self.yaml.parent / "CHANGELOG-perf.md"

    def copied_to(self, folder: Path) -> ChangelogFiles:
        """The same files in `folder`, starting from the current ones (for --dry-run)."""
        folder.mkdir(parents=True, exist_ok=True)
        copy = ChangelogFiles(folder / self.yaml.name)
        if copy.yaml.resolve() == self.yaml.resolve():  # already there: the files are the copy
            return copy
        for src, dst in zip(self._all(), copy._all(), strict=True):
            if src.exists():
                shutil.copyfile(src, dst)
            elif dst.exists():
                dst.unlink()
        return copy

    def _all(self) -> tuple[Path, Path, Path]:
        return self.yaml, self.jsonl, self.markdown


def _read_lines(path: Path) -> list[str]:
    """Lines split on "\n" only: splitlines() would also split inside a quoted U+2028."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _record_of(line: str) -> dict[str, Any]:
    try:
        found = json.loads(line)
    except ValueError:
        return {}  # a line someone broke by hand is kept as it is, not ours to fix
    return found if isinstance(found, dict) else {}


def _upsert_yaml(path: Path, key: str, block: str) -> str:
    lines, new = _read_lines(path), block.rstrip("\n").splitlines()
    head = f"# {CHANGE_MARKER}{key}"
    if head in lines:
        start = lines.index(head)
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        if lines[start:end] == new:
            return "unchanged"
        lines[start:end] = new
        status = "updated"
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += [""] * bool(lines) + new
        status = "created"
    write_whole(path, "\n".join(lines) + "\n")
    return status


def _upsert_jsonl(path: Path, record: dict[str, Any]) -> str:
    lines = _read_lines(path)
    for i, line in enumerate(lines):
        old = _record_of(line)
        if old.get("key") == record["key"]:
            record = record | {"recorded": old.get("recorded", record["recorded"])}
            text = json.dumps(record, sort_keys=True)
            if line == text:
                return "unchanged"
            lines[i] = text
            write_whole(path, "\n".join(lines) + "\n")
            return "updated"
    write_whole(path, "\n".join([*lines, json.dumps(record, sort_keys=True)]) + "\n")
    return "created"


def _upsert_markdown(path: Path, mark: str, line_for: Any, today: date) -> str:
    lines = _read_lines(path) or MARKDOWN_HEADER.rstrip("\n").split("\n")
    for i, line in enumerate(lines):
        if line.endswith(mark):
            first = re.match(r"- (\d{4}-\d{2}-\d{2}) ", line)
            text = line_for(date.fromisoformat(first.group(1)) if first else today)
            if line == text:
                return "unchanged"
            lines[i] = text
            write_whole(path, "\n".join(lines) + "\n")
            return "updated"
    write_whole(path, "\n".join([*lines, line_for(today)]) + "\n")
    return "created"


def record_change(
    files: ChangelogFiles,
    v: Verdict,
    attribution: Attribution | None = None,
    *,
    links: Sequence[str] = (),
    confidence: float = 0.95,
    today: date | None = None,
    runs: Mapping[str, Run] | None = None,
) -> list[Outcome]:
    """One entry per change in each changelog file: appended once, then edited in place.

    pr-link is the culprit PR when known, else the first evidence link (the comment).
    """
    key = change_key(v.config, v.baseline, v.candidate)
    if v.kind not in CHANGE_KINDS:
        return [Outcome("changelog", str(files.yaml), key, "skipped")]
    today = today or date.today()
    culprit = attribution.culprit if attribution else None
    link = pull_url(culprit) if culprit else next(iter(links), "")
    entry = changelog_entry(v, attribution, link=link, confidence=confidence)
    record = changelog_record(
        v, attribution, links=links, confidence=confidence, recorded=today, runs=runs
    )

    def line_for(day: date) -> str:
        return changelog_line(v, attribution, link=link, confidence=confidence, day=day)

    statuses = [
        (files.yaml, _upsert_yaml(files.yaml, key, changelog_yaml(entry, key))),
        (files.jsonl, _upsert_jsonl(files.jsonl, record)),
        (files.markdown, _upsert_markdown(files.markdown, marker(key), line_for, today)),
    ]
    return [Outcome("changelog", str(path), key, status) for path, status in statuses]
