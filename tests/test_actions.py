"""The CI gate (`compare --fail-on`) and the GitHub Actions conventions (bot/publish/actions.py):
step summary, step outputs and annotations, checked on a seeded 15% regression of real results.

The real vLLM files (tests/data/real/vllm) are copied into run folders with their throughput
fields scaled: three baseline runs, three candidate runs at 0.85 (the seeded regression) and three
candidate runs at 1.0 (no change), each run with its own small wobble. What the tests expect comes
from that seeding and from the command's own --json output, counted here, never from the code
under test.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import REAL

from bot.model import VERDICT_KINDS
from bot.publish import actions
from bot.report import plain

CPU = ["--hardware", "cpu", "--gpus", "1", "--framework", "vllm", "--isl", "128"]
THROUGHPUT = ("total_token_throughput", "output_throughput", "request_throughput")
BASE = (1.0, 0.99, 1.01)  # per-run wobble of the baseline
REGRESSED = tuple(0.85 * w for w in (1.005, 0.995, 1.0))  # the seeded -15%
SAME = (1.003, 0.997, 1.006)  # no change: within the wobble
# the second configuration's runs: other factors, since equal bytes in another run are a copy
FP16_BASE, FP16_SAME = (1.002, 0.993, 1.008), (0.998, 1.004, 1.001)
ALL_KINDS = ",".join(VERDICT_KINDS)


def write_run(folder: Path, factor: float, model: str | None = None) -> list[Path]:
    folder.mkdir(parents=True)
    written = []
    for path in sorted((REAL / "vllm").glob("c*.json")):
        doc = json.loads(path.read_text())
        for key in THROUGHPUT:
            doc[key] *= factor
        if model is not None:
            doc["model_id"] = model
        (folder / path.name).write_text(json.dumps(doc))
        written.append(folder / path.name)
    return written


def seed(paretobot, root: Path, version: str, factors, precision: str = "bf16") -> None:
    for r, factor in enumerate(factors):
        run = f"{precision}-{version}-{r}"
        write_run(root / run, factor)
        got = paretobot(
            "ingest", root / run, *CPU, "--precision", precision,
            "--framework-version", version, "--run-id", run,
        )  # fmt: skip
        assert got.code == 0, got.err


@pytest.fixture
def seeded(paretobot, tmp_path, monkeypatch):
    """bf16: 1.0 -> 2.0 is the seeded regression, 1.0 -> 1.1 no change; fp16: 1.0 -> 2.0 no
    change (a second configuration, so the counts hold more than one kind)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    seed(paretobot, tmp_path, "1.0", BASE)
    seed(paretobot, tmp_path, "2.0", REGRESSED)
    seed(paretobot, tmp_path, "1.1", SAME)
    seed(paretobot, tmp_path, "1.0", FP16_BASE, precision="fp16")
    seed(paretobot, tmp_path, "2.0", FP16_SAME, precision="fp16")
    return tmp_path


def in_actions(monkeypatch, tmp_path) -> tuple[Path, Path]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: `name=value` lines and `name<<DELIM` blocks."""
    found, lines = {}, path.read_text().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            found[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if line:
            name, value = line.split("=", 1)
            found[name] = value
        i += 1
    return found


def unescape(text: str, prop: bool = False) -> str:
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


ANNOTATION = re.compile(r"^::(error|warning|notice)(?: title=([^:]*))?::(.*)$")


def commands(text: str) -> list[str]:
    """Every line the Actions runner would read as a workflow command (it trims leading space)."""
    return [line for line in text.splitlines() if line.lstrip().startswith("::")]


def annotations(text: str) -> list[tuple[str, str, str]]:
    """(level, title, message) of each command line; a command line that is not a well-formed
    annotation fails the test."""
    found = []
    for line in commands(text):
        m = ANNOTATION.match(line)
        assert m, f"not an annotation: {line!r}"
        found.append((m.group(1), unescape(m.group(2) or "", prop=True), unescape(m.group(3))))
    return found


def compare(paretobot, candidate: str, *extra: str):
    return paretobot("compare", "--baseline", "1.0", "--candidate", candidate, *extra)


# ---- the gate -----------------------------------------------------------------------------------


def test_gate_fails_on_the_seeded_regression(paretobot, seeded):
    plain_run = compare(paretobot, "2.0", "--config", "bf16")
    gated = compare(paretobot, "2.0", "--config", "bf16", "--fail-on", "regression")
    assert plain_run.code == 0, plain_run.err
    assert gated.code == 3, gated.err
    assert gated.out == plain_run.out  # the normal markdown, gate or not
    assert gated.out.startswith("### regression: ")

    as_json = compare(paretobot, "2.0", "--config", "bf16", "--fail-on", "regression", "--json")
    assert as_json.code == 3
    (v,) = as_json.json()  # still strict JSON on stdout
    assert v["verdict"] == "regression"
    # the seeded change, computed from the factors written: ratio of geometric means of runs
    expected = math.prod(REGRESSED) ** (1 / 3) / math.prod(BASE) ** (1 / 3)
    assert v["comparison"]["matched"]["ratio"] == pytest.approx(expected, rel=1e-9)


def test_gate_passes_on_no_change_and_on_other_kinds(paretobot, seeded):
    same = compare(paretobot, "1.1", "--config", "bf16", "--fail-on", "regression", "--json")
    assert same.code == 0, same.err
    (v,) = same.json()
    assert v["verdict"] == "no-change"
    expected = math.prod(SAME) ** (1 / 3) / math.prod(BASE) ** (1 / 3)
    assert v["comparison"]["matched"]["ratio"] == pytest.approx(expected, rel=1e-9)
    # a regression is not a breakage: gating on other kinds passes it
    other = compare(paretobot, "2.0", "--config", "bf16", "--fail-on", "breakage,unlock")
    assert other.code == 0, other.err
    # `no_change` (the output's spelling) names `no-change`
    assert compare(paretobot, "1.1", "--config", "bf16", "--fail-on", "no_change").code == 3


def test_unknown_kind_is_one_line_naming_the_valid_ones(paretobot, seeded):
    bad = compare(paretobot, "2.0", "--fail-on", "regression,regresion")
    assert bad.code == 1 and bad.out == ""
    (line,) = bad.err.strip().splitlines()
    assert line.startswith("paretobot: --fail-on:") and "'regresion'" in line
    assert all(kind in line for kind in VERDICT_KINDS)
    empty = compare(paretobot, "2.0", "--fail-on", " , ")
    assert empty.code == 1 and len(empty.err.strip().splitlines()) == 1


# ---- step outputs, summary, annotations ---------------------------------------------------------


def test_outputs_match_an_independent_count_of_the_verdicts(paretobot, seeded, monkeypatch):
    markdown = compare(paretobot, "2.0").out  # outside Actions: the markdown people read
    output, summary = in_actions(monkeypatch, seeded)
    run = compare(paretobot, "2.0", "--json", "--fail-on", "regression")
    assert run.code == 3, run.err
    kinds = Counter(v["verdict"] for v in run.json())
    outputs = read_outputs(output)
    expected = {kind.replace("-", "_"): str(kinds[kind]) for kind in VERDICT_KINDS}
    expected |= {"verdicts": str(sum(kinds.values())), "gate": "fail"}
    assert outputs == expected
    assert kinds == {"regression": 1, "no-change": 1}  # what was seeded (bf16 down, fp16 same)
    assert summary.read_text().strip() == markdown.strip()
    # one error for the gated regression, nothing for no-change; stdout holds no command
    notes = annotations(run.err)
    assert [(level, title) for level, title, _ in notes] == [
        ("error", f"paretobot regression: {slug}")
        for slug in (v["config"]["slug"] for v in run.json() if v["verdict"] == "regression")
    ]
    assert commands(run.out) == []


def test_without_the_gate_a_regression_is_a_warning_and_the_gate_passes(
    paretobot, seeded, monkeypatch
):
    output, _ = in_actions(monkeypatch, seeded)
    run = compare(paretobot, "2.0", "--config", "bf16")
    assert run.code == 0
    assert [n[0] for n in annotations(run.err)] == ["warning"]
    outputs = read_outputs(output)
    assert outputs["gate"] == "pass" and outputs["regression"] == "1"
    assert outputs["verdicts"] == "1" and outputs["no_change"] == "0"


def test_outside_actions_nothing_is_written(paretobot, seeded, monkeypatch):
    output, summary = in_actions(monkeypatch, seeded)
    monkeypatch.delenv("GITHUB_ACTIONS")
    run = compare(paretobot, "2.0", "--fail-on", "regression")
    assert run.code == 3
    assert not output.exists() and not summary.exists()
    assert commands(run.out + run.err) == []


def test_an_unwritable_summary_is_one_warning_and_keeps_the_result(paretobot, seeded, monkeypatch):
    output, summary = in_actions(monkeypatch, seeded)
    summary.mkdir()  # a folder cannot be appended to
    run = compare(paretobot, "2.0", "--fail-on", "regression")
    assert run.code == 3
    assert "Traceback" not in run.err
    problems = [line for line in run.err.splitlines() if "GITHUB_STEP_SUMMARY" in line]
    assert len(problems) == 1 and problems[0].startswith("::warning ")
    assert read_outputs(output)["gate"] == "fail"  # the other file is still written


def test_ingest_reports_counts_and_each_quarantined_file_once(paretobot, tmp_path, monkeypatch):
    folder = tmp_path / "artifacts"
    good = write_run(folder, 1.0)
    crafted = {
        folder / "c16\n::add-mask::x.json": "{not json",
        folder / "::set-env name=PWNED::1.json": "[]",
    }
    for path, text in crafted.items():
        path.write_text(text)
    output, summary = in_actions(monkeypatch, tmp_path)
    run = paretobot("ingest", folder, *CPU, "--precision", "bf16", "--framework-version", "1.0")
    assert run.code == 1  # a quarantined file is still exit 1
    outputs = read_outputs(output)
    points = sum(1 for p in good if json.loads(p.read_text())["max_concurrency"])  # 1 per file
    assert outputs == {
        "stored": str(len(good)), "duplicate": "0", "copy": "0",
        "quarantined": str(len(crafted)), "points": str(points),
    }  # fmt: skip
    # exactly one command line per crafted file, an error whose title names the real path
    notes = annotations(run.out + run.err)
    assert sorted(title for _, title, _ in notes) == sorted(
        f"paretobot quarantined {p}" for p in crafted
    )
    assert {level for level, _, _ in notes} == {"error"}
    lines = (run.out + run.err).splitlines()
    assert not any(line.lstrip().startswith(("::add-mask", "::set-env")) for line in lines)
    assert sum("add-mask" in line for line in lines) == 2  # the printed error + the annotation
    text = summary.read_text()
    assert f"| {len(good)} | 0 | 0 | {len(crafted)} | {points} |" in text
    assert text.count("add-mask") == 1 and text.count("set-env") == 1


def test_digest_appends_its_markdown(paretobot, seeded, monkeypatch):
    window = ["--since", "2026-01-01", "--until", "2027-12-31"]
    printed = paretobot("digest", *window)
    _, summary = in_actions(monkeypatch, seeded)
    again = paretobot("digest", *window)
    assert printed.code == again.code == 0
    assert summary.read_text().strip() == printed.out.strip() == again.out.strip()


# ---- untrusted text cannot become a workflow command --------------------------------------------


# a newline in a name is refused at ingest (a control character: test_ingest_hostile.py); what
# can be stored is the command text itself, where a wrapped table cell could start a line with it
EVIL = "tiny ::error title=pwned::injected ##[error]legacy"


@pytest.fixture
def crafted(paretobot, tmp_path, monkeypatch):
    """A regression whose model name, run ids and folders are crafted workflow commands."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for version, factors in (("1.0", BASE), ("2.0", REGRESSED)):
        for r, factor in enumerate(factors):
            folder = tmp_path / f"::warning::{version}-{r}"
            write_run(folder, factor, model=EVIL)
            run_id = f"::error::r{version}-{r}"
            ran = paretobot("ingest", folder, *CPU, "--precision", "bf16",
                            "--framework-version", version, "--run-id", run_id)  # fmt: skip
            assert ran.code == 0, ran.err
    in_actions(monkeypatch, tmp_path)


def assert_no_injected_command(text: str) -> None:
    for _, title, _ in annotations(text):  # every command line is paretobot's own annotation
        assert title.startswith("paretobot regression: ") and EVIL in title
    # the legacy `##[` form counts anywhere in a line, except in a line the runner already read
    # as a `::` command
    assert not [line for line in text.splitlines() if "##[" in line and line[:2] != "::"]


def test_nothing_printed_starts_a_workflow_command_from_result_files(paretobot, crafted):
    gated = compare(paretobot, "2.0", "--fail-on", "regression")
    assert gated.code == 3
    for run in [
        gated,
        compare(paretobot, "2.0"),
        paretobot("frontier"),
        paretobot("history"),
        paretobot("history", "--by", "date"),
        paretobot("digest", "--since", "2026-01-01", "--until", "2027-12-31"),
        paretobot("quarantine"),
    ]:
        assert_no_injected_command(run.out + run.err)
    ((level, _, message),) = annotations(gated.out + gated.err)
    assert level == "error" and "-15" in message


def test_runs_prints_no_workflow_command_from_result_files(paretobot, crafted):
    assert_no_injected_command(paretobot("runs").out)


def test_escaping_is_the_toolkits():
    assert actions.escape_data("100%\r\n::x") == "100%25%0D%0A::x"
    assert actions.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = actions.annotation("error", "m\n::add-mask::secret", title="f\n::set-env x,y")
    assert "\n" not in line
    assert line == "::error title=f%0A%3A%3Aset-env x%2Cy::m%0A::add-mask::secret"


def test_plain_keeps_text_on_one_line_without_commands():
    for text in ("::set-env name=x::y", "a\n::add-mask::x", "x ::error::y", "x ##[error]y"):
        shown = plain(text, 200)
        assert "\n" not in shown and "##[" not in shown
        assert not re.search(r"(^|\s)::", shown), shown
    assert plain("torch::ops at::Tensor") == "torch::ops at::Tensor"  # inside a word it stays


def test_multiline_outputs_use_a_random_delimiter(tmp_path):
    text = actions.output_lines({"one": 1, "many": "a\nb=c\n", "two": "x"})
    path = tmp_path / "out"
    path.write_text(text)
    assert read_outputs(path) == {"one": "1", "many": "a\nb=c\n", "two": "x"}
    (delimiter,) = re.findall(r"^many<<(.+)$", text, re.M)
    (other,) = re.findall(r"^many<<(.+)$", actions.output_lines({"many": "a\nb"}), re.M)
    assert delimiter != other  # random per value, so a value cannot guess it
