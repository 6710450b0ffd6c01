"""Subcommands over results: ingest, quarantine, frontier, compare, history, detect, demo."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.table import Table

from bot import report, store
from bot.analysis import select
from bot.analysis.changepoints import detect
from bot.analysis.frontier import frontier_of
from bot.analysis.history import BY_BUILD, History, history
from bot.analysis.verdict import Verdict, judge
from bot.cli.common import CliError, err, out, print_json
from bot.config import load_policy, load_prices
from bot.defaults import EXAMPLES
from bot.ingest import IngestError, Metadata, ParsedFile, parse_file, result_files
from bot.model import Frontier, Run
from bot.series import SeriesError, read_series

# ---- ingest -------------------------------------------------------------------------------------

META_OPTIONS = {
    "hardware": str,
    "gpus": int,
    "tp": int,
    "ep": int,
    "pp": int,
    "prefill_gpus": int,
    "decode_gpus": int,
    "framework": str,
    "framework_version": str,
    "framework_commit": str,
    "image": str,
    "image_digest": str,
    "model": str,
    "precision": str,
    "spec_method": str,
    "isl": int,
    "osl": int,
    "scenario": str,
    "run_id": str,
    "repeat": int,
}


def _metadata(args: argparse.Namespace) -> Metadata:
    given = {k: getattr(args, k) for k in META_OPTIONS if getattr(args, k) is not None}
    for flag in ("dp_attention", "disagg"):
        if getattr(args, flag):
            given[flag] = True
    try:
        return Metadata(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-")
        raise CliError(f"{option}: {first['msg']}") from None


def cmd_ingest(args: argparse.Namespace) -> int:
    options = _metadata(args)
    engine = store.open_store(args.db)
    files, missing = result_files(Path(p) for p in args.paths)
    results = [{"path": str(p), "status": "error", "reason": why} for p, why in missing]
    for path, why in missing:
        err.print(f"error  {path}: {why}", markup=False)
    runs: dict[str, dict[str, Any]] = {}  # run id -> where it came from, said once per run
    for path, root in files:
        results.append(_ingest_one(engine, path, options, root, runs, quiet=args.json))
    states = ("stored", "duplicate", "copy", "error")
    counts = {s: sum(r["status"] == s for r in results) for s in states}
    points = sum(r.get("points", 0) for r in results if r["status"] == "stored")
    version_files = sum(bool(r.get("version_given")) for r in results)
    if args.json:
        summary = counts | {"points": points, "version_given_to": version_files}
        print_json({"files": results, "runs": list(runs.values()), "summary": summary})
        return 1 if counts["error"] else 0
    for run in runs.values():
        folders = ", ".join(run["folders"])
        out.print(f"run {run['run_id']}: {folders}", markup=False)
    if options.framework_version and not args.json:
        out.print(
            f"--framework-version {options.framework_version} applied to {version_files} "
            "file(s) that state no image tag (a file's own image tag is its version)",
            markup=False,
        )
    out.print(
        f"stored {counts['stored']} file(s) ({points} points), {counts['duplicate']} already "
        f"stored, {counts['copy']} copies, {counts['error']} quarantined",
        markup=False,
    )
    return 1 if counts["error"] else 0


def _note_run(runs: dict[str, dict[str, Any]], parsed: ParsedFile, path: Path) -> None:
    run = parsed.run
    entry = runs.setdefault(
        parsed.run_id,
        {
            "run_id": parsed.run_id,
            "started_at": run.started_at.date().isoformat() if run and run.started_at else None,
            "date_source": run.date_source if run else "",
            "folders": [],
            "excluded": "",
        },
    )
    if run is None or run.folder is None:
        where = "given by metadata"
    else:
        inner = (
            path.parent.relative_to(run.folder.parent)
            if path.is_relative_to(run.folder.parent)
            else path.parent
        )
        where = str(inner)
    if where not in entry["folders"]:
        entry["folders"].append(where)


def _ingest_one(
    engine: Any,
    path: Path,
    options: Metadata,
    root: Path | None,
    runs: dict[str, dict[str, Any]],
    *,
    quiet: bool,
) -> dict[str, Any]:
    digest = None
    try:
        parsed = parse_file(path, options, root)
        digest = parsed.sha256
        added = store.add_file(engine, parsed)
    except (IngestError, store.StoreError) as exc:
        store.quarantine(engine, str(path), digest, str(exc))
        err.print(f"error  {path}: {exc}", markup=False)
        return {"path": str(path), "status": "error", "reason": str(exc)}
    _note_run(runs, parsed, path)
    status = added.status
    row: dict[str, Any] = {
        "path": str(path), "status": status, "format": parsed.format, "run_id": parsed.run_id,
        "points": parsed.n_points - len(added.point_copies) if status == "stored" else 0,
        "version_given": parsed.version_given and status == "stored",
        "failed_concurrencies": [
            {"config": f.config.slug, "concurrency": f.concurrency, "reason": f.message}
            for f in parsed.failed_points
        ],
        "copy_of": added.copy_of or None,
        "point_copies": [
            {"config": c.config, "concurrency": c.concurrency, "of": c.of_path, "run": c.of_run_id}
            for c in added.point_copies
        ],
    }  # fmt: skip
    if added.excluded_now:
        runs[parsed.run_id]["excluded"] = parsed.faulty
    if quiet:
        return row
    if status == "copy":
        err.print(
            f"copy   {path}: same bytes as {added.copy_of} (run {added.copy_run}); "
            "not counted as a new repeat"
            if not added.point_copies
            else f"copy   {path}: all {len(added.point_copies)} points are the same as stored "
            f"points of {added.copy_of} (run {added.copy_run}); not counted as a new repeat",
            markup=False,
        )
    else:
        detail = (
            f"{parsed.format}, {row['points']} points" if status == "stored" else "already stored"
        )
        out.print(f"{status:<9} {path} ({detail})", markup=False)
        if status == "stored" and added.point_copies:
            concs = ", ".join(str(c.concurrency) for c in added.point_copies)
            err.print(
                f"copy   {path}: points at concurrency {concs} repeat stored points of "
                f"{added.point_copies[0].of_path}; not stored again",
                markup=False,
            )
    for down in parsed.failed_points if status == "stored" else ():
        err.print(
            f"warning {path}: concurrency {down.concurrency} of {down.config.slug} failed "
            f"({down.cause}: {down.message})",
            markup=False,
        )
    if added.excluded_now:
        err.print(
            f"excluded run {parsed.run_id}: {parsed.faulty}; include it with "
            f"`paretobot runs include {parsed.run_id}`",
            markup=False,
        )
    for stat in parsed.run_stats if status == "stored" else ():
        if stat.succeeded < stat.total:
            err.print(
                f"warning {path}: {stat.total - stat.succeeded} of {stat.total} jobs on "
                f"{stat.hardware} failed in run '{parsed.run_id}'",
                markup=False,
            )
    return row


def cmd_quarantine(args: argparse.Namespace) -> int:
    rows = store.quarantined(store.open_store(args.db))
    if args.json:
        print_json([r.__dict__ for r in rows])
    for r in [] if args.json else rows:
        out.print(f"{r.at:%Y-%m-%d %H:%M}  {r.path}: {r.reason}", markup=False)
    return 0


# ---- frontier -----------------------------------------------------------------------------------


def _grouped(args: argparse.Namespace) -> dict:
    sweeps = store.load_sweeps(store.open_store(args.db), config_pattern=args.config)
    if not sweeps:
        where = f" matching '{args.config}'" if args.config else ""
        raise CliError(f"no results stored{where}; load some with `paretobot ingest PATH`")
    return select.by_config(sweeps)


def _runs_by_id(args: argparse.Namespace) -> dict[str, Run]:
    """Every run's record (health, exclusion), for marking the runs a result comes from."""
    return {r.run_id: r for r in store.load_runs(store.open_store(args.db))}


def _frontiers(args: argparse.Namespace) -> list[Frontier]:
    prices = load_prices()
    frontiers = []
    for sweeps in _grouped(args).values():
        if args.build:
            chosen = select.pick(sweeps, args.build)
        else:
            chosen = select.of_build(sweeps, select.latest_build(sweeps))
        chosen = [s for s in chosen if s.points]
        if chosen:
            frontiers.append(frontier_of(chosen, prices))
    if not frontiers:
        raise CliError(f"no stored sweep matches build '{args.build}'")
    return frontiers


def _frontier_table(f: Frontier) -> Table:
    tiers = list(f.points[0].cost_per_mtok) if f.points else []
    table = Table(title=f"{f.config.slug}  [{f.build.label}]", title_justify="left")
    for name in ("conc", "tok/s/user", "tok/s/GPU", *[f"$/Mtok {t}" for t in tiers], "tok/s/MW"):
        table.add_column(name, justify="right")
    for p in f.points:
        costs = [report.num(p.cost_per_mtok[t]) for t in tiers]
        table.add_row(
            str(p.concurrency),
            report.num(p.interactivity),
            report.num(p.tput_per_gpu),
            *costs,
            report.num(p.tokens_per_mw),
        )
    return table


def cmd_frontier(args: argparse.Namespace) -> int:
    frontiers = _frontiers(args)
    runs = _runs_by_id(args)
    if args.json:
        print_json(
            [
                report.frontier_json(f) | {"run_health": report.run_health(f.run_ids, runs)}
                for f in frontiers
            ]
        )
        return 0
    for f in frontiers:
        out.print(_frontier_table(f))
        out.print(f"  runs: {', '.join(report.plain(r) for r in f.run_ids)}", markup=False)
        for line in report.run_health(f.run_ids, runs):
            out.print(f"  warning: {report.plain(line, 200)}", markup=False)
    return 0


# ---- compare, history, detect -------------------------------------------------------------------


def verdicts_for(args: argparse.Namespace) -> list[Verdict]:
    policy, prices = load_policy(), load_prices()
    verdicts = []
    for sweeps in _grouped(args).values():
        base, cand = select.pick(sweeps, args.baseline), select.pick(sweeps, args.candidate)
        if base and cand:
            verdicts.append(judge(base, cand, policy, history=sweeps, prices=prices))
    if not verdicts:
        raise CliError(
            f"no configuration has results for both '{args.baseline}' and '{args.candidate}' "
            "(a build is named by version, image tag or commit prefix; a run by run:ID)"
        )
    return verdicts


def cmd_compare(args: argparse.Namespace) -> int:
    verdicts = verdicts_for(args)
    runs = _runs_by_id(args)
    if args.json:
        print_json([report.verdict_json(v, runs) for v in verdicts])
    else:
        print(report.verdicts_markdown(verdicts, load_policy(), runs), end="")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    policy = load_policy()
    histories = [history(sweeps, policy, by=args.by) for sweeps in _grouped(args).values()]
    if args.json:
        print_json([report.history_json(h) for h in histories])
        return 0
    for h in histories:
        unit = "builds" if h.by == BY_BUILD else "runs by date"
        out.print(f"{h.config.slug}: {len(h.values)} {unit}, {h.measure}", markup=False)
        for note in h.notes:
            out.print(f"  note: {note}", markup=False)
        out.print(_series_table(h))
        for cp in h.changes:
            out.print(
                f"  {cp.change:+.1%} at {report.plain(h.values[cp.index].label)} "
                f"(#{cp.index}; p={cp.p_value:.2g}; "
                f"median {report.num(cp.before.median)} -> {report.num(cp.after.median)})",
                markup=False,
            )
        if not h.changes:
            out.print("  no change point", markup=False)
    return 0


def _series_table(h: History) -> Table:
    table = Table(box=None, pad_edge=False)
    for name in (
        "#",
        "build" if h.by == BY_BUILD else "run",
        "date",
        "tok/s/GPU",
        "95% CI",
        "runs",
    ):
        table.add_column(name, justify="left" if name in ("build", "run", "date") else "right")
    for i, v in enumerate(h.values):
        interval = "–" if v.low is None else f"{report.num(v.low)}–{report.num(v.high)}"
        value = report.num(v.value) if v.value is not None else "failed: " + ", ".join(v.causes)
        table.add_row(
            str(i),
            report.plain(v.label),
            f"{v.at:%Y-%m-%d}" if v.at else "–",
            value,
            interval,
            str(v.runs),
        )
    return table


def cmd_detect(args: argparse.Namespace) -> int:
    try:
        series = read_series(Path(args.csv), args.column)
    except SeriesError as exc:
        raise CliError(str(exc)) from None
    settings = load_policy().changepoints
    changes = detect(
        series.values,
        alpha=args.alpha or settings.alpha,
        min_size=args.min_size or settings.min_size,
        min_effect=args.min_effect,
    )
    if args.json:
        print_json(
            {
                "column": series.column,
                "rows": len(series.values),
                "missing": sum(v is None for v in series.values),
                "change_points": [report.change_point_json(cp, series.labels) for cp in changes],
            }
        )
        return 0
    for cp in changes:
        where = f" ({series.labels[cp.index]})" if series.labels else ""
        out.print(
            f"row {cp.index}{where}: {cp.change:+.1%}, p={cp.p_value:.2g}, "
            f"mean {report.num(cp.before.mean)} -> {report.num(cp.after.mean)}",
            markup=False,
        )
    if not changes:
        out.print("no change point", markup=False)
    return 0


# ---- demo ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on embedded defaults: ingest the bundled examples, show frontiers, compare."""
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/demo.db"
        base = argparse.Namespace(db=db, json=False, config=None, build=None)
        out.rule("ingest: the bundled example results (bot/defaults/examples/)")
        ingest_args = argparse.Namespace(**vars(base), paths=[str(EXAMPLES)])
        ingest_args.__dict__.update({k: None for k in META_OPTIONS})
        ingest_args.__dict__.update(dp_attention=False, disagg=False)
        cmd_ingest(ingest_args)
        out.rule("frontier: each configuration's latest build")
        cmd_frontier(base)
        out.rule("compare: the same vLLM 0.32.0 build run twice on a shared CPU")
        compare_args = argparse.Namespace(
            **vars(base) | {"config": "tiny"}, baseline="run:run-a", candidate="run:run-b"
        )
        cmd_compare(compare_args)
    return 0
