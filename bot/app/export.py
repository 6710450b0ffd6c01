"""Export as a use case: stored results as tables (points, sweeps, frontiers, comparisons, history)
and those tables written as CSV, JSON lines or Parquet. Nothing here prints; `bot/cli/export.py`
parses and reports, `bot/frames.py` turns the same tables into pandas DataFrames.

Every table is read through the use cases that answer the same question on the command line
(`bot.app.judge`: frontiers, verdicts, histories; `bot.store.load_sweeps` for points and sweeps),
so an exported number is the number `paretobot frontier`, `compare` or `history` shows. Only the
points table is paretobot's export format (`bot/ingest/export.py`, read back by `ingest`); the
others are for reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Engine

from bot import store
from bot.analysis import select
from bot.analysis.stats import Estimate
from bot.errors import ParetobotError
from bot.ingest import export as fmt
from bot.model import Build, ConfigKey, Sweep

WHATS = ("points", "sweeps", "frontiers", "comparisons", "history")
FORMATS = ("csv", "jsonl", "parquet")
TEXT_FORMATS = ("csv", "jsonl")


class ExportError(ParetobotError):
    """An export that cannot be made as asked (a missing option, a missing library, no rows)."""


@dataclass(frozen=True)
class Table:
    """Rows of one kind, each a tuple in `columns` order; `kinds` says what each column holds
    (the kinds of bot/ingest/export.py), so every writer spells a value the same way."""

    what: str
    kinds: dict[str, str]
    rows: list[tuple[Any, ...]]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.kinds)


def _config_kinds() -> dict[str, str]:
    return {"slug": fmt.TEXT} | fmt.CONFIG_COLUMNS


def _config_values(config: ConfigKey) -> tuple[Any, ...]:
    return (config.slug, *(getattr(config, f.name) for f in fields(ConfigKey)))


def _build_kinds(prefix: str) -> dict[str, str]:
    return {prefix + f.name: fmt.TEXT for f in fields(Build)}


def _build_values(build: Build) -> tuple[str, ...]:
    return tuple(getattr(build, f.name) for f in fields(Build))


# ---- selection --------------------------------------------------------------------------------


def selected_sweeps(
    engine: Engine, config: str | None = None, build: str | None = None, run: str | None = None
) -> list[Sweep]:
    """Stored sweeps (in storage order, excluded runs left out as every analysis does) of the
    configurations `config` matches, the build `build` names (per configuration, as `frontier
    --build` picks) and the run `run`; every one when none is given."""
    sweeps = store.load_sweeps(engine, config_pattern=config)
    if run is not None:
        sweeps = [s for s in sweeps if s.run_id == run]
    if build:
        chosen = {id(s) for group in select.by_config(sweeps).values()
                  for s in select.pick(group, build)}  # fmt: skip
        sweeps = [s for s in sweeps if id(s) in chosen]
    return sweeps


# ---- the tables ---------------------------------------------------------------------------------


def points(
    engine: Engine, config: str | None = None, build: str | None = None, run: str | None = None
) -> Table:
    """paretobot's export format: one row per point, one per sweep without points."""
    return Table("points", fmt.KINDS, list(fmt.rows(selected_sweeps(engine, config, build, run))))


SWEEP_KINDS = (
    _config_kinds() | {fmt.BUILD_PREFIX + k: v for k, v in _build_kinds("").items()}
    | {"run_id": fmt.TEXT, "repeat": fmt.INT, "status": fmt.TEXT, "cause": fmt.TEXT,
       "started_at": fmt.TIME, "failed_at": fmt.INTS, "points": fmt.INT}
)  # fmt: skip


def sweeps(
    engine: Engine, config: str | None = None, build: str | None = None, run: str | None = None
) -> Table:
    """One row per sweep: what ran, on which build and run, how it ended, how many points."""
    found = selected_sweeps(engine, config, build, run)
    rows = [
        (*_config_values(s.config), *_build_values(s.build), s.run_id, s.repeat, s.status,
         s.cause, s.started_at, list(s.failed_at), len(s.points))
        for s in found
    ]  # fmt: skip
    return Table("sweeps", SWEEP_KINDS, rows)


def frontiers(engine: Engine, config: str | None = None, build: str | None = None) -> Table:
    """One row per frontier point of each configuration's build (`paretobot frontier`), with
    $/M tokens per price tier as `cost_<tier>` columns."""
    from bot.app import judge

    found = [f for f, _ in judge.frontiers(engine, config, build)]
    tiers = sorted({t for f in found for p in f.points for t in p.cost_per_mtok})
    kinds = (
        _config_kinds() | {fmt.BUILD_PREFIX + k: v for k, v in _build_kinds("").items()}
        | {"runs": fmt.TEXT, "concurrency": fmt.INT, "interactivity": fmt.FLOAT,
           "tput_per_gpu": fmt.FLOAT, "tokens_per_mw": fmt.OPT_FLOAT}
        | {f"cost_{t}": fmt.OPT_FLOAT for t in tiers}
    )  # fmt: skip
    rows = [
        (*_config_values(f.config), *_build_values(f.build), " ".join(f.run_ids), p.concurrency,
         p.interactivity, p.tput_per_gpu, p.tokens_per_mw,
         *(p.cost_per_mtok.get(t) for t in tiers))
        for f in found
        for p in f.points
    ]  # fmt: skip
    return Table("frontiers", kinds, rows)


_ESTIMATES = ("matched", "peak", "reach")


def _estimate(e: Estimate | None) -> tuple[Any, ...]:
    if e is None:
        return (None,) * 6
    return (e.ratio, e.low, e.high, e.p_value, e.baseline, e.candidate)


def comparisons(engine: Engine, baseline: str, candidate: str, config: str | None = None) -> Table:
    """One row per configuration measured on both builds: the verdict `paretobot compare` gives,
    and its headline estimates (`matched_ratio` is the geometric-mean change over the overlap)."""
    from bot.app import judge

    found = judge.verdicts(engine, baseline, candidate, config)
    kinds = (
        _config_kinds() | _build_kinds("baseline_") | _build_kinds("candidate_")
        | {"verdict": fmt.TEXT, "reason": fmt.TEXT, "failed_concurrencies": fmt.INTS,
           "repeats_needed": fmt.OPT_INT, "overlap_low": fmt.OPT_FLOAT,
           "overlap_high": fmt.OPT_FLOAT}
    )  # fmt: skip
    parts = ("ratio", "low", "high", "p_value", "baseline", "candidate")
    for name in _ESTIMATES:
        kinds |= {f"{name}_{part}": fmt.OPT_FLOAT for part in parts}
    rows = []
    for v in found:
        c = v.comparison
        overlap = c.overlap if c is not None and c.overlap else (None, None)
        estimates = [_estimate(getattr(c, n) if c is not None else None) for n in _ESTIMATES]
        rows.append(
            (*_config_values(v.config), *_build_values(v.baseline), *_build_values(v.candidate),
             v.kind, v.reason, list(v.failed_concurrencies), v.repeats_needed, *overlap,
             *(x for e in estimates for x in e))
        )  # fmt: skip
    return Table("comparisons", kinds, rows)


def history(engine: Engine, config: str | None = None, by: str = "build") -> Table:
    """One row per build (or per run, `by="date"`) of each configuration's series, as `paretobot
    history` computes it; `change` is set on the row a change point starts at."""
    from bot.app import judge

    found = judge.histories(engine, config, by)
    kinds = (
        _config_kinds()
        | {"by": fmt.TEXT, "measure": fmt.TEXT, "index": fmt.INT, "label": fmt.TEXT}
        | {fmt.BUILD_PREFIX + k: v for k, v in _build_kinds("").items()}
        | {"at": fmt.TIME, "value": fmt.OPT_FLOAT, "low": fmt.OPT_FLOAT, "high": fmt.OPT_FLOAT,
           "runs": fmt.INT, "causes": fmt.TEXT, "change": fmt.OPT_FLOAT,
           "change_p_value": fmt.OPT_FLOAT}
    )  # fmt: skip
    rows = []
    for h in found:
        changes = {cp.index: cp for cp in h.changes}
        for i, v in enumerate(h.values):
            cp = changes.get(i)
            rows.append(
                (*_config_values(h.config), h.by, h.measure, i, v.label, *_build_values(v.build),
                 v.at, v.value, v.low, v.high, v.runs, ", ".join(v.causes),
                 cp.change if cp else None, cp.p_value if cp else None)
            )  # fmt: skip
    return Table("history", kinds, rows)


def table(
    engine: Engine,
    what: str = "points",
    *,
    config: str | None = None,
    build: str | None = None,
    run: str | None = None,
    baseline: str | None = None,
    candidate: str | None = None,
    by: str = "build",
) -> Table:
    """The table `what` (one of WHATS) with the options that apply to it; an option that does
    not apply is an error rather than silently ignored."""
    if what not in WHATS:
        raise ExportError(f"unknown table {what!r}; one of {', '.join(WHATS)}")
    given = {"--build": build, "--run": run, "--baseline": baseline, "--candidate": candidate}
    takes = {
        "points": {"--build", "--run"}, "sweeps": {"--build", "--run"}, "frontiers": {"--build"},
        "comparisons": {"--baseline", "--candidate"}, "history": set(),
    }[what]  # fmt: skip
    extra = [name for name, value in given.items() if value is not None and name not in takes]
    if extra:
        raise ExportError(f"{extra[0]} does not apply to --what {what}")
    if what == "points":
        return points(engine, config, build, run)
    if what == "sweeps":
        return sweeps(engine, config, build, run)
    if what == "frontiers":
        return frontiers(engine, config, build)
    if what == "comparisons":
        if not baseline or not candidate:
            raise ExportError("--what comparisons needs --baseline and --candidate")
        return comparisons(engine, baseline, candidate, config)
    return history(engine, config, by)


# ---- writing ------------------------------------------------------------------------------------


def require_pyarrow() -> None:
    """Parquet needs the optional extra; without it, one line saying how to get it."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise ExportError(f"--format parquet needs pyarrow: {fmt.PARQUET_HINT}") from None


def write_csv(t: Table, out: IO[str]) -> None:
    """CSV with a header line; text that a spreadsheet would run as a formula is quoted as
    bot/ingest/export.py says (`csv_cell`), and ingest reads it back unchanged."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(t.columns)
    kinds = list(t.kinds.values())
    cell = fmt.csv_cell
    writer.writerows([cell(v, k) for v, k in zip(row, kinds, strict=True)] for row in t.rows)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def write_jsonl(t: Table, out: IO[str]) -> None:
    """One JSON object per line, keys in column order (a points line starts with
    `{"paretobot_export": 1`, which is how ingest knows it). Non-ASCII and control characters
    are \\u escapes: a line shown in a terminal cannot move its cursor, nor `##[` command a CI
    runner."""
    columns = t.columns
    times = [i for i, k in enumerate(t.kinds.values()) if k == fmt.TIME]
    dumps = json.JSONEncoder(allow_nan=False).encode
    for row in t.rows:
        values = list(row)
        for i in times:
            values[i] = _json_value(values[i])
        # `##[` anywhere in a line is a command to GitHub's runner when the line reaches a CI
        # log: written with an escaped bracket, the same value to any JSON parser
        out.write(dumps(dict(zip(columns, values, strict=True))).replace("##[", "##\\u005b"))
        out.write("\n")


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        fmt.TEXT: pa.string(), fmt.OPT_TEXT: pa.string(), fmt.INT: pa.int64(),
        fmt.OPT_INT: pa.int64(), fmt.FLOAT: pa.float64(), fmt.OPT_FLOAT: pa.float64(),
        fmt.BOOL: pa.bool_(), fmt.TIME: pa.timestamp("us", tz="UTC"),
        fmt.INTS: pa.list_(pa.int64()),
    }[kind]  # fmt: skip


def write_parquet(t: Table, out: str | Path | IO[bytes]) -> None:
    """A Parquet file with one typed column per table column (a column of all nulls keeps its
    type, so files of different stores read alike)."""
    require_pyarrow()
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, _arrow_type(kind)) for name, kind in t.kinds.items()])
    columns = list(zip(*t.rows, strict=True)) if t.rows else [() for _ in t.kinds]
    arrays = [
        pa.array(list(values), type=field.type)
        for values, field in zip(columns, schema, strict=True)
    ]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out)


def write(t: Table, format: str, out: Path | IO[str] | None) -> None:
    """Write `t` as `format` to the file `out` (replaced whole, never left half-written), or to
    the text stream `out` (csv and jsonl only)."""
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    if format == "parquet":
        require_pyarrow()
    if not isinstance(out, Path):
        if format == "parquet" or out is None:
            raise ExportError("--format parquet writes a file: give -o FILE")
        (write_csv if format == "csv" else write_jsonl)(t, out)
        return
    # written beside it and renamed into place: a reader never sees half a file (created with
    # the user's umask, as the file itself would be)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        if format == "parquet":
            write_parquet(t, tmp)
        else:
            with open(tmp, "x", encoding="utf-8", newline="") as stream:
                (write_csv if format == "csv" else write_jsonl)(t, stream)
        os.replace(tmp, out)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def export(
    engine: Engine,
    format: str,
    out: Path | IO[str] | None,
    what: str = "points",
    **options: Any,
) -> Table:
    """The table `what` written as `format` (`table` says which options apply); the table is
    returned so the caller can say how many rows went out."""
    if format not in FORMATS:
        raise ExportError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    if format == "parquet":
        require_pyarrow()  # before reading the store: the missing library is the first thing said
        if not isinstance(out, Path):
            raise ExportError("--format parquet writes a file: give -o FILE")
    t = table(engine, what, **options)
    if not t.rows:
        raise ExportError(f"no stored {what} match the selection; nothing to export")
    write(t, format, out)
    return t


__all__: Sequence[str] = (
    "FORMATS", "WHATS", "ExportError", "Table", "comparisons", "export", "frontiers", "history",
    "points", "selected_sweeps", "sweeps", "table", "write",
)  # fmt: skip
