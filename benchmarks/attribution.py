"""Attribution ranking against labelled cases from public history, with baselines.

Two sets, both over ROCm/aiter's real first-parent history (tests/data/attribution/, copied
unchanged from shared/data/upstream/):

- changelog (the labelled set): every InferenceX perf-changelog entry that names a ROCm/aiter PR
  present in the history ("ROCm/aiter#2916", ".../ROCm/aiter/pull/N", "aiter PR #N"). The case's
  configuration comes from the entry's config-key (model-precision-hardware-framework[-suffixes]),
  its kind of change from reading the entry (written beside it), its label is the named PR.
- revert proxy (a weaker, larger set): every aiter commit that reverts an earlier PR touching
  shipped code (aiter/, csrc/, hsa/, gradlib/, 3rdparty/); the label is the reverted PR, the
  configuration unknown (rank(config=None)), the kind "regression". A revert says the PR hurt
  something, not necessarily performance, so this measures the configuration-free priors only.
  Cases are split by date: the earlier half may be looked at when tuning, the later half not.

Candidates: the main-branch commits between the two final release tags (vX.Y.Z) whose dates
bracket the labelled PR (aiter's tags sit on release branches, so the window is by tag date:
after the earlier tag's date, up to and including the later one's). A revert case's window also
ends before the revert commit (a regression is seen before it is reverted).

Baselines: random (the expectation, 1/N and 3/N), the most recent commit of the window, and the
largest (lines added + deleted).

    python benchmarks/attribution.py [--components PATH] [--json]
    python benchmarks/attribution.py --build [--shared ../shared/data]   # rewrite the case files
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.attribution.candidates import from_commit_log  # noqa: E402
from bot.attribution.rank import Components, is_decisive, load_components, rank  # noqa: E402
from bot.model import ConfigKey, PullRequest  # noqa: E402

DATA = ROOT / "tests" / "data" / "attribution"
COMMITS = DATA / "aiter-commits-2026.jsonl"
TAGS = DATA / "aiter-tags-2026.json"
CHANGELOG_CASES = DATA / "aiter-cases.json"
REVERT_CASES = DATA / "aiter-revert-cases.json"
AITER_REF = re.compile(
    r"(?:ROCm/aiter#|github\.com/ROCm/aiter/pull/|ROCm/aiter/pull/|\baiter PR #)(\d+)", re.I
)
FINAL_TAG = re.compile(r"^v\d+\.\d+\.\d+$")
SHIPPED = ("aiter/", "csrc/", "hsa/", "gradlib/", "3rdparty/")

# The kind of change each changelog entry describes, read by hand from its text.
KINDS = {
    219: (
        "improvement",
        "the aiter MHC fast path (fixed by the PR) replaces a torch-fallback workaround",
    ),
    662: ("improvement", "a new gfx950 MXFP4 MoE backend, shipped with tuned settings"),
    672: ("unlock", "a new Kimi-K3 recipe that needs the PR's >2GB KV-offset overflow fix to run"),
}


# ---- building the cases ------------------------------------------------------------------------


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in COMMITS.read_text().splitlines() if line.strip()]


def _window(rows: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """The final-release tag dates around rows[index]'s date, and the rows between them."""
    tags = sorted(
        (datetime.fromisoformat(t["date"]), t["tag"])
        for t in json.loads(TAGS.read_text())
        if FINAL_TAG.match(t["tag"])
    )
    at = datetime.fromisoformat(rows[index]["date"])
    before = [t for t in tags if t[0] < at]
    after = [t for t in tags if t[0] >= at]
    lo, hi = (before[-1] if before else None), (after[0] if after else None)
    inside = [
        i
        for i, r in enumerate(rows)
        if (lo is None or datetime.fromisoformat(r["date"]) > lo[0])
        and (hi is None or datetime.fromisoformat(r["date"]) <= hi[0])
    ]
    return {
        "from_tag": lo[1] if lo else None,
        "from_date": lo[0].isoformat() if lo else None,
        "to_tag": hi[1] if hi else None,
        "to_date": hi[0].isoformat() if hi else None,
        "rows": inside,
    }


def config_from_key(key: str) -> dict[str, Any]:
    """An InferenceX config-key (model-precision-hardware-framework[-suffixes]) as ConfigKey
    fields; what the key does not say (lengths, GPUs, TP) is a documented assumption."""
    model, precision, hardware, framework, *rest = key.lower().split("-")
    agentic = "agentic" in rest
    spec = next((s for s in ("mtp", "eagle", "eagle3") if s in rest), "none")
    return {
        "model": model,
        "precision": precision,
        "hardware": hardware,
        "framework": framework,
        "isl": 0 if agentic else 1024,
        "osl": 0 if agentic else 1024,
        "gpus": 8,
        "tp": 8,
        "spec_method": spec,
        "disagg": "disagg" in rest,
        "scenario": "agentic-coding" if agentic else "fixed-seq-len",
    }


def _case(rows: list[dict[str, Any]], label: int, window: dict[str, Any]) -> dict[str, Any]:
    shas = [rows[i]["sha"] for i in window.pop("rows")]
    row = rows[label]
    return {
        "label": {"pr": row["pr"], "sha": row["sha"], "title": row["title"]},
        "window": window | {"size": len(shas)},
        "candidates": shas,
    }


def build_changelog_cases(changelog: Path) -> list[dict[str, Any]]:
    import yaml

    rows = _rows()
    at = {r["pr"]: i for i, r in enumerate(rows) if r["pr"]}
    cases = []
    for index, entry in enumerate(yaml.safe_load(changelog.read_text())):
        text = "\n".join(str(d) for d in entry.get("description") or [])
        for number in dict.fromkeys(int(n) for n in AITER_REF.findall(text)):
            if number not in at:
                continue
            for key in entry.get("config-keys") or []:
                if any(ch in key for ch in "*?["):
                    continue
                kind, why = KINDS.get(index, ("improvement", "not reviewed by hand"))
                window = _window(rows, at[number])
                cases.append(
                    {
                        "id": f"changelog-{index}-{key}",
                        "source": {
                            "file": "SemiAnalysisAI/InferenceX perf-changelog.yaml @ 843c6254f",
                            "entry": index,
                            "config-keys": entry.get("config-keys"),
                            "description": entry.get("description"),
                            "pr-link": entry.get("pr-link"),
                        },
                        "config": config_from_key(key),
                        "kind": kind,
                        "kind_why": why,
                    }
                    | _case(rows, at[number], window)
                )
    return cases


def _reverted(rows: list[dict[str, Any]], index: int) -> int | None:
    """The row a revert commit reverts: '(#N)' in the quoted title, 'from PR #N', or the quoted
    title itself (GitHub shortens it with an ellipsis)."""
    title = rows[index]["title"]
    number = None
    if quoted := re.match(r'\s*Revert\s+"(.*?)"', title):
        inner = quoted.group(1)
        if hit := re.search(r"\(#(\d+)\)", inner):
            number = int(hit.group(1))
        else:
            stem = inner.rstrip("…").strip()
            earlier = [r["pr"] for r in rows[:index] if r["title"].startswith(stem)]
            number = earlier[-1] if earlier else None
    elif hit := re.search(r"from PR #(\d+)", title):
        number = int(hit.group(1))
    found = [i for i, r in enumerate(rows[:index]) if number and r["pr"] == number]
    return found[-1] if found else None


def build_revert_cases() -> list[dict[str, Any]]:
    rows = _rows()
    cases = []
    for index, row in enumerate(rows):
        if not re.match(r"\s*revert\b", row["title"], re.I):
            continue
        label = _reverted(rows, index)
        if label is None or not any(f.startswith(SHIPPED) for f in rows[label]["files"]):
            continue
        window = _window(rows, label)
        window["rows"] = [i for i in window["rows"] if i < index]
        cases.append(
            {
                "id": f"revert-{row['pr']}",
                "source": {"revert": {"pr": row["pr"], "sha": row["sha"], "title": row["title"]}},
                "config": None,
                "kind": "regression",
            }
            | _case(rows, label, window)
        )
    date = {r["sha"]: datetime.fromisoformat(r["date"]) for r in rows}
    cases.sort(key=lambda c: date[c["label"]["sha"]])
    half = (len(cases) + 1) // 2
    for i, case in enumerate(cases):
        case["half"] = "tune" if i < half else "held-out"
    return cases


# ---- evaluating --------------------------------------------------------------------------------

Method = Callable[[list[PullRequest], dict[str, Any]], list[PullRequest]]


def by_ranking(components: Components) -> Method:
    def order(pulls: list[PullRequest], case: dict[str, Any]) -> list[PullRequest]:
        config = ConfigKey(**case["config"]) if case["config"] else None
        return [c.pull for c in rank(pulls, config, case["kind"], components)]

    return order


def most_recent(pulls: list[PullRequest], case: dict[str, Any]) -> list[PullRequest]:
    return pulls[::-1]


def largest(pulls: list[PullRequest], case: dict[str, Any]) -> list[PullRequest]:
    return sorted(pulls[::-1], key=lambda p: -(p.additions + p.deletions))


def evaluate(cases: list[dict[str, Any]], pulls: dict[str, PullRequest], comp: Components) -> dict:
    methods: dict[str, Method] = {
        "ranking": by_ranking(comp),
        "most recent": most_recent,
        "largest": largest,
    }
    results: dict[str, Any] = {"cases": [], "methods": {m: [] for m in methods}}
    for case in cases:
        candidates = [pulls[sha] for sha in case["candidates"]]
        label = case["label"]["sha"]
        row: dict[str, Any] = {"id": case["id"], "n": len(candidates), "ranks": {}}
        for name, method in methods.items():
            ordered = method(candidates, case)
            row["ranks"][name] = [p.merge_commit for p in ordered].index(label) + 1
        config = ConfigKey(**case["config"]) if case["config"] else None
        ranked = rank(candidates, config, case["kind"], comp)
        row["top"] = f"#{ranked[0].pull.number} {ranked[0].pull.title[:60]}"
        row["label"] = f"#{case['label']['pr']} {case['label']['title'][:60]}"
        row["decisive"] = is_decisive(ranked, comp)
        row["label_reasons"] = next(c.reasons for c in ranked if c.pull.merge_commit == label)
        results["cases"].append(row)
    return results


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return []
    sizes = [r["n"] for r in rows]
    out = []
    for name in rows[0]["ranks"]:
        ranks = [r["ranks"][name] for r in rows]
        out.append(_line(name, ranks, len(rows)))
    out.append(
        {
            "method": "random (expected)",
            "top1": statistics.fmean(1 / n for n in sizes),
            "top3": statistics.fmean(min(3, n) / n for n in sizes),
            "median_rank": statistics.median((n + 1) / 2 for n in sizes),
        }
    )
    decided = [r for r in rows if r["decisive"]]
    out[0]["decisive"] = f"{sum(r['ranks']['ranking'] == 1 for r in decided)}/{len(decided)}"
    return out


def _line(name: str, ranks: Sequence[int], count: int) -> dict[str, Any]:
    return {
        "method": name,
        "top1": sum(r == 1 for r in ranks) / count,
        "top3": sum(r <= 3 for r in ranks) / count,
        "top1_n": sum(r == 1 for r in ranks),
        "top3_n": sum(r <= 3 for r in ranks),
        "median_rank": statistics.median(ranks),
    }


def _pct(line: dict[str, Any], key: str, count: int) -> str:
    n = line.get(f"{key}_n")
    return f"{line[key]:6.1%}" + (f" ({n}/{count})" if n is not None else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="rewrite the case files")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--components", type=Path, default=None, help="a components.yaml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if args.build:
        changelog = args.shared / "inferencex" / "configs" / "perf-changelog.yaml"
        for path, cases in (
            (CHANGELOG_CASES, build_changelog_cases(changelog)),
            (REVERT_CASES, build_revert_cases()),
        ):
            path.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {len(cases)} cases to {path.relative_to(ROOT)}")
        return 0

    comp = load_components(args.components)
    pulls = {p.merge_commit: p for p in from_commit_log(_rows())}
    sets = {
        "changelog": json.loads(CHANGELOG_CASES.read_text()),
        "revert proxy": json.loads(REVERT_CASES.read_text()),
    }
    report: dict[str, Any] = {}
    for name, cases in sets.items():
        result = evaluate(cases, pulls, comp)
        halves = {"all": result["cases"]}
        if any("half" in c for c in cases):
            half_of = {c["id"]: c["half"] for c in cases}
            for half in ("tune", "held-out"):
                halves[half] = [r for r in result["cases"] if half_of[r["id"]] == half]
        report[name] = {
            "cases": result["cases"],
            "summary": {h: summary(r) for h, r in halves.items()},
        }
    if args.json:
        print(json.dumps(report, indent=1, default=str))
        return 0

    for case in report["changelog"]["cases"]:
        print(f"{case['id']}: {case['n']} candidates; label {case['label']}")
        print(f"  rank of the label: {case['ranks']}; top pick: {case['top']}")
        print("  label's reasons: " + "; ".join(case["label_reasons"]))
    print()
    print(
        f"{'set':<14}{'half':<10}{'cases':>6}  {'candidates median (range)':<27}"
        f"{'method':<19}{'top-1':<16}{'top-3':<16}{'median rank':>11}  decisive: right/fired"
    )
    for name, part in report.items():
        for half, lines in part["summary"].items():
            rows = [c for c in part["cases"] if half == "all" or c["id"] in _ids(sets[name], half)]
            if not rows:
                continue
            sizes = [r["n"] for r in rows]
            span = f"{statistics.median(sizes):g} ({min(sizes)}-{max(sizes)})"
            for i, line in enumerate(lines):
                lead = f"{name:<14}{half:<10}{len(rows):>6}  {span:<27}" if i == 0 else " " * 59
                print(
                    f"{lead}{line['method']:<19}{_pct(line, 'top1', len(rows)):<16}"
                    f"{_pct(line, 'top3', len(rows)):<16}{line['median_rank']:>11g}"
                    f"  {line.get('decisive', '')}"
                )
    return 0


def _ids(cases: list[dict[str, Any]], half: str) -> set[str]:
    return {c["id"] for c in cases if c.get("half") == half}


if __name__ == "__main__":
    raise SystemExit(main())
