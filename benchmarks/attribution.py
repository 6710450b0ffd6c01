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
sys.path.insert(0, str(ROOT / "benchmarks"))

import attribution_cases  # noqa: E402

from bot.attribution.candidates import from_commit_log  # noqa: E402
from bot.attribution.rank import Components, is_decisive, load_components, rank  # noqa: E402
from bot.model import ConfigKey, PullRequest  # noqa: E402

DATA = ROOT / "tests" / "data" / "attribution"
COMMITS = DATA / "aiter-commits-2026.jsonl"
TAGS = DATA / "aiter-tags-2026.json"
CHANGELOG_CASES = DATA / "aiter-cases.json"
REVERT_CASES = DATA / "aiter-revert-cases.json"
LABELLED = DATA / "labelled-cases.json"
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
METHODS = ("ranking", "most recent", "keyword")


def _config(case: dict[str, Any]) -> ConfigKey | None:
    return ConfigKey(**case["config"]) if case["config"] else None


def most_recent(pulls: list[PullRequest], case: dict[str, Any]) -> list[PullRequest]:
    """Newest merge first (candidates are given oldest first)."""
    return pulls[::-1]


KEYWORDS = {
    "unlock": r"\b(support|enable|add|fix|allow|remove)",
    "breakage": r"\b(refactor|remove|change|update|support)",
    "improvement": r"\b(perf|optimi|speed|faster|tun|revert)",
}


def keyword(pulls: list[PullRequest], case: dict[str, Any]) -> list[PullRequest]:
    """The 20-line baseline: +1 per kind-word in the title, -1 for CI/docs/test-only titles or
    files, newest first among equals."""
    words = KEYWORDS.get(case["kind"], r"\b(perf|optimi|kernel|moe|attention|gemm|refactor)")

    def score(pull: PullRequest) -> int:
        hits = len(re.findall(words, pull.title, re.I))
        inert = re.match(r"\W*(ci|docs?|tests?)\b", pull.title, re.I) or all(
            f.startswith((".github/", "op_tests/", "docs/")) for f in pull.files
        )
        return hits - (1 if inert else 0)

    return sorted(pulls[::-1], key=lambda p: -score(p))


def evaluate(
    cases: list[dict[str, Any]], pulls: dict[str, PullRequest], comp: Components
) -> list[dict[str, Any]]:
    """One row per case: the culprit's 1-based rank under each method, whether the ranking
    called itself decisive, its top pick and the culprit's reasons."""
    rows = []
    for case in cases:
        candidates = [pulls[sha] for sha in case["candidates"]]
        culprit = case["label"]["sha"]
        ranked = rank(candidates, _config(case), case["kind"], comp)
        orders = {
            "ranking": [c.pull for c in ranked],
            "most recent": most_recent(candidates, case),
            "keyword": keyword(candidates, case),
        }
        rows.append(
            {
                "id": case["id"],
                "half": case.get("half", "all"),
                "source": (case.get("source") or {}).get("kind", ""),
                "n": len(candidates),
                "ranks": {
                    m: [p.merge_commit for p in order].index(culprit) + 1
                    for m, order in orders.items()
                },
                "decisive": is_decisive(ranked, comp),
                "top": f"#{ranked[0].pull.number} {ranked[0].pull.title[:60]}",
                "label": f"#{case['label']['pr']} {case['label']['title'][:60]}",
                "label_reasons": next(c.reasons for c in ranked if c.pull.merge_commit == culprit),
            }
        )
    return rows


def metrics(ranks: Sequence[int], decisive: Sequence[bool] | None = None) -> dict[str, Any]:
    """top-1, top-3 (shares of cases), median rank; with `decisive`, the share of cases where
    the ranking called itself decisive and the share where it did and was right (rank 1)."""
    count = len(ranks)
    out: dict[str, Any] = {
        "cases": count,
        "top1": sum(r == 1 for r in ranks) / count if count else 0.0,
        "top3": sum(r <= 3 for r in ranks) / count if count else 0.0,
        "median_rank": statistics.median(ranks) if count else None,
    }
    if decisive is not None:
        pairs = list(zip(ranks, decisive, strict=True))
        out["decisive"] = sum(d for _, d in pairs) / count if count else 0.0
        out["decisive_right"] = sum(d and r == 1 for r, d in pairs) / count if count else 0.0
    return out


def summarise(rows: list[dict[str, Any]], by: str = "half") -> dict[str, dict[str, Any]]:
    """metrics() per group (half, or source) and method."""
    out: dict[str, dict[str, Any]] = {}
    for group in dict.fromkeys(r[by] for r in rows):
        mine = [r for r in rows if r[by] == group]
        out[group] = {
            "candidates_median": statistics.median(r["n"] for r in mine),
            "methods": {
                m: metrics(
                    [r["ranks"][m] for r in mine],
                    [r["decisive"] for r in mine] if m == "ranking" else None,
                )
                for m in METHODS
            },
        }
    return out


def _cell(line: dict[str, Any], key: str) -> str:
    if key not in line:
        return "-"
    return f"{line[key]:.0%} ({round(line[key] * line['cases'])}/{line['cases']})"


def table(summary: dict[str, dict[str, Any]], title: str) -> str:
    head = (
        f"{title:<12}{'cases':>5} {'cands':>5}  {'method':<12}{'top-1':<13}{'top-3':<13}"
        f"{'median rank':>11}  {'decisive':<13}{'decisive+right'}"
    )
    lines = [head]
    for group, part in summary.items():
        for i, (method, m) in enumerate(part["methods"].items()):
            lead = f"{group:<12}{m['cases']:>5} {part['candidates_median']:>5g}  " if i == 0 else ""
            lines.append(
                f"{lead:<24}{method:<12}{_cell(m, 'top1'):<13}{_cell(m, 'top3'):<13}"
                f"{m['median_rank']:>11g}  {_cell(m, 'decisive'):<13}{_cell(m, 'decisive_right')}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="rewrite the case files")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--components", type=Path, default=None, help="a components.yaml")
    parser.add_argument("--cases", type=Path, default=LABELLED, help="a labelled-cases file")
    parser.add_argument("--verbose", action="store_true", help="every case, with its reasons")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if args.build:
        changelog = args.shared / "inferencex" / "configs" / "perf-changelog.yaml"
        old = build_changelog_cases(changelog), build_revert_cases()
        labelled = attribution_cases.build(_rows(), *old, _window, config_from_key)
        outputs = ((CHANGELOG_CASES, old[0]), (REVERT_CASES, old[1]), (LABELLED, labelled))
        for path, cases in outputs:
            path.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
            print(f"wrote {len(cases)} cases to {path.relative_to(ROOT)}")
        return 0

    comp = load_components(args.components)
    pulls = {p.merge_commit: p for p in from_commit_log(_rows())}
    rows = evaluate(json.loads(args.cases.read_text()), pulls, comp)
    halves = summarise(rows)
    halves = {h: halves[h] for h in ("train", "held-out", "all") if h in halves}
    sources = {f"{s[:6]} {h[:5]}": v for (s, h), v in _by_source(rows).items()}
    if args.json:
        print(json.dumps({"cases": rows, "halves": halves, "sources": sources}, indent=1))
        return 0
    if args.verbose:
        for r in rows:
            print(f"{r['id']} ({r['half']}): ranks {r['ranks']}; top {r['top']}")
            print(f"  label {r['label']}")
            print("  " + "; ".join(r["label_reasons"]))
    print(table(halves, "half"))
    print()
    print(table(sources, "source half"))
    return 0


def _by_source(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for source in dict.fromkeys(r["source"] for r in rows):
        for half in ("train", "held-out"):
            mine = [r for r in rows if r["source"] == source and r["half"] == half]
            if mine:
                out[source, half] = summarise(mine)[half]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
