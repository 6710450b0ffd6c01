"""CI conventions: the `compare --fail-on` gate, and GitHub Actions' step summary, step outputs and
workflow-command annotations (files and lines the runner reads; no GitHub API).

Everything is written only when GITHUB_ACTIONS is "true". Annotations go to stderr, which the
runner reads for workflow commands as it reads stdout, so `--json` output stays strict JSON. Text in
an annotation comes from result files and upstream (file names, model names): it is escaped as the
Actions toolkit escapes it, so it cannot end the line and start a command of its own. A file that
cannot be written gives one warning and never changes the command's own result.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from bot.errors import ParetobotError
from bot.model import BREAKAGE, MIXED, PARTIAL, REGRESSION, VERDICT_KINDS
from bot.text import md, plain

if TYPE_CHECKING:
    from bot.analysis.verdict import Verdict
    from bot.app.ingest import IngestReport

# verdicts that deserve a warning annotation when they are not failing the gate
WARN_KINDS = (REGRESSION, BREAKAGE, PARTIAL, MIXED)


# ---- the gate -----------------------------------------------------------------------------------


class GateError(ParetobotError):
    """--fail-on names no kind, or a kind that is not in the verdict vocabulary."""


def parse_kinds(text: str) -> frozenset[str]:
    """'regression,breakage' -> the kinds; `no_change` is accepted for `no-change` (the spelling
    of the step outputs)."""
    kinds = [k.strip().lower().replace("_", "-") for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in VERDICT_KINDS]
    if unknown or not kinds:
        what = f"unknown verdict kind {', '.join(repr(k) for k in unknown)}" if unknown else "empty"
        raise GateError(f"--fail-on: {what}; valid kinds: {', '.join(VERDICT_KINDS)}")
    return frozenset(kinds)


def gate_failed(verdicts: Iterable[Verdict], fail_on: Collection[str]) -> bool:
    return any(v.kind in fail_on for v in verdicts)


# ---- escaping and the line formats --------------------------------------------------------------


def escape_data(text: object) -> str:
    """As @actions/core escapes a command's message: a newline cannot end the command line."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    """As @actions/core escapes a property value: also no ':' (which would end the properties) and
    no ',' (which would start another property)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: object, title: object | None = None) -> str:
    """One workflow-command line: `::error title=T::message`, `::warning::message`."""
    props = f" title={escape_property(title)}" if title else ""
    return f"::{level}{props}::{escape_data(message)}"


def output_name(kind: str) -> str:
    """A verdict kind as a step output name (`no-change` -> `no_change`)."""
    return kind.replace("-", "_")


def output_lines(values: Mapping[str, object]) -> str:
    """GITHUB_OUTPUT text: `name=value`, or `name<<DELIM` ... `DELIM` for a multi-line value, with
    a random delimiter that occurs in neither (as @actions/core writes them)."""
    lines = []
    for name, value in values.items():
        text = str(value)
        if "\n" not in text and "\r" not in text:
            lines.append(f"{name}={text}\n")
            continue
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter in name or delimiter in text:  # a collision with a fresh uuid4: refuse
            raise ValueError(f"output {name}: value contains the delimiter")
        lines.append(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
    return "".join(lines)


# ---- what each command reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What one command leaves in the Actions step: summary markdown, outputs, annotations."""

    summary: str = ""
    outputs: dict[str, object] = field(default_factory=dict)
    annotations: list[str] = field(default_factory=list)


def compare_step(verdicts: Sequence[Verdict], markdown: str, fail_on: Collection[str] = ()) -> Step:
    counts = {output_name(k): sum(v.kind == k for v in verdicts) for k in VERDICT_KINDS}
    outputs: dict[str, object] = {
        **counts,
        "verdicts": len(verdicts),
        "gate": "fail" if gate_failed(verdicts, fail_on) else "pass",
    }
    notes = []
    for v in verdicts:
        if v.kind in fail_on:
            level = "error"
        elif v.kind in WARN_KINDS:
            level = "warning"
        else:
            continue
        notes.append(
            annotation(
                level,
                f"{v.reason} (candidate {v.candidate.label} vs baseline {v.baseline.label})",
                title=f"paretobot {v.kind}: {v.config.slug}",
            )
        )
    return Step(summary=markdown, outputs=outputs, annotations=notes)


def ingest_summary(report: IngestReport) -> str:
    summary = report.summary()
    lines = [
        "### paretobot ingest",
        "",
        "| stored | duplicate | copy | quarantined | points |",
        "| ---: | ---: | ---: | ---: | ---: |",
        f"| {summary['stored']} | {summary['duplicate']} | {summary['copy']} | "
        f"{summary['error']} | {summary['points']} |",
    ]
    refused = [f for f in report.files if f.status == "error"]
    if refused:
        lines += ["", "| quarantined file | reason |", "| --- | --- |"]
        lines += [f"| {md(f.path)} | {md(f.reason)} |" for f in refused]
    return "\n".join(lines) + "\n"


def ingest_step(report: IngestReport) -> Step:
    summary = report.summary()
    outputs = {
        "stored": summary["stored"],
        "duplicate": summary["duplicate"],
        "copy": summary["copy"],
        "quarantined": summary["error"],
        "points": summary["points"],
    }
    notes = [
        annotation("error", f.reason, title=f"paretobot quarantined {f.path}")
        for f in report.files
        if f.status == "error"
    ]
    return Step(summary=ingest_summary(report), outputs=outputs, annotations=notes)


def digest_step(markdown: str) -> Step:
    return Step(summary=markdown)


# ---- writers ------------------------------------------------------------------------------------


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def _append(env: Mapping[str, str], name: str, text: str, say: Callable[[str], None]) -> None:
    path = env.get(name)
    if not path or not text:
        return
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        reason = getattr(exc, "strerror", None) or exc
        say(
            annotation(
                "warning", f"cannot write {name} ({plain(path, 300)}): {reason}", "paretobot"
            )
        )


def emit(step: Step, env: Mapping[str, str] | None = None, stream: TextIO | None = None) -> None:
    """Write `step` where GitHub Actions reads it; nothing outside Actions. Never raises for an
    unwritable file: it says so in one line and the command goes on."""
    env = os.environ if env is None else env
    if not in_actions(env):
        return
    stream = stream or sys.stderr

    def say(line: str) -> None:
        stream.write(line + "\n")

    # a blank line after each block, so the next command's summary starts a block of its own
    summary = step.summary.rstrip("\n") + "\n\n" if step.summary.strip() else ""
    _append(env, "GITHUB_STEP_SUMMARY", summary, say)
    _append(env, "GITHUB_OUTPUT", output_lines(step.outputs), say)
    for line in step.annotations:
        say(line)
    stream.flush()
