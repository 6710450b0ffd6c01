"""Stored results as pandas DataFrames, for notebooks.

    from bot import frames
    df = frames.points(db="sqlite:///paretobot.db", config="kimik2.5")
    frames.comparisons("v0.5.8", "v0.5.9")

Each function answers the question the command of the same name answers, through the same use
case (`bot.app.export`, which reads through `bot.app.judge` and `bot.store`), so a number here is
the number `paretobot frontier`, `compare --json` or `history` prints; the columns are those of
`paretobot export --what ...`. `db` is a SQLAlchemy URL or an engine (default: `$PARETOBOT_DB`,
else `paretobot.db`). Sweeps of excluded runs are left out, as in every analysis.

pandas is imported by these functions only (`paretobot --help` never loads it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas
    from sqlalchemy.engine import Engine

    from bot.app.export import Table

__all__ = ["comparisons", "frontiers", "history", "points", "sweeps"]


def _engine(db: str | Engine | None) -> Engine:
    from sqlalchemy.engine import Engine

    from bot import store

    return db if isinstance(db, Engine) else store.open_store(db)


def _frame(table: Table, rows: list[tuple[Any, ...]] | None = None) -> pandas.DataFrame:
    """A DataFrame with a dtype per column kind: whole numbers that may be missing as pandas'
    nullable Int64 (not floats), times as UTC datetimes, lists of concurrencies as lists."""
    import pandas as pd

    from bot.ingest import export as fmt

    frame = pd.DataFrame.from_records(
        table.rows if rows is None else rows, columns=list(table.columns)
    )
    dtypes = {
        fmt.INT: "Int64", fmt.OPT_INT: "Int64", fmt.FLOAT: "float64", fmt.OPT_FLOAT: "float64",
        fmt.BOOL: "boolean", fmt.TEXT: "object", fmt.OPT_TEXT: "object", fmt.INTS: "object",
    }  # fmt: skip
    for name, kind in table.kinds.items():
        if kind == fmt.TIME:
            frame[name] = pd.to_datetime(frame[name], utc=True)
        else:
            frame[name] = frame[name].astype(dtypes[kind])
    return frame


def points(
    db: str | Engine | None = None,
    config: str | None = None,
    build: str | None = None,
    run: str | None = None,
) -> pandas.DataFrame:
    """One row per stored point: its configuration (every ConfigKey field, and the slug), build
    (`build_*`), run, repeat, its sweep's status, and every Point field. `config` is a pattern
    (substring or glob of the slug, as `--config`), `build` a selector (version, image tag,
    commit prefix, or `run:ID`), `run` a run id. Sweeps without points are in `sweeps()`."""
    from bot.app import export
    from bot.ingest.export import POINT_ROW

    table = export.points(_engine(db), config, build, run)
    row = table.columns.index("row")
    return _frame(table, [r for r in table.rows if r[row] == POINT_ROW])


def sweeps(
    db: str | Engine | None = None,
    config: str | None = None,
    build: str | None = None,
    run: str | None = None,
) -> pandas.DataFrame:
    """One row per stored sweep (a configuration run once on one build): run, repeat, status,
    failure cause, the concurrencies that failed (`failed_at`) and its number of `points`."""
    from bot.app import export

    return _frame(export.sweeps(_engine(db), config, build, run))


def frontiers(
    db: str | Engine | None = None, config: str | None = None, build: str | None = None
) -> pandas.DataFrame:
    """One row per point of each configuration's Pareto frontier (of `build`, default each
    configuration's latest stored build), sorted by interactivity, with `cost_<tier>` ($ per
    million tokens per price tier) and `tokens_per_mw`; as `paretobot frontier --json`."""
    from bot.app import export

    return _frame(export.frontiers(_engine(db), config, build))


def comparisons(
    baseline: str,
    candidate: str,
    config: str | None = None,
    db: str | Engine | None = None,
) -> pandas.DataFrame:
    """One row per configuration measured on both builds: `verdict`, `reason`, and the
    comparison's estimates as `paretobot compare --json` gives them: `matched_ratio` (the
    geometric-mean candidate/baseline throughput over the shared interactivity range) with
    `matched_low`/`matched_high` (its interval) and `matched_p_value`; `peak_*`, `reach_*`."""
    from bot.app import export

    return _frame(export.comparisons(_engine(db), baseline, candidate, config))


def history(
    config: str | None = None, by: str = "build", db: str | Engine | None = None
) -> pandas.DataFrame:
    """Each configuration's series, one row per build (`by="build"`) or per run in date order
    (`by="date"`): `value` (geometric-mean throughput/GPU over the shared interactivity range),
    `low`/`high`, and `change` on the row a change point starts at; as `paretobot history`."""
    from bot.app import export

    return _frame(export.history(_engine(db), config, by))
