"""What is stored, to find what to compare: one row per configuration (`paretobot configs`) and
one per build (`paretobot builds`), counted by the store (bot/store/listing.py), plus the close
names a selection that matched nothing should offer (`config_hint`, `build_hint`)."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.analysis import select
from bot.model import Build, ConfigKey
from bot.store import listing as stored
from bot.text import plain


def field_matches(value: str, pattern: str) -> bool:
    """The rule `--config` follows (ConfigKey.matches), for one field: a shell glob when the
    pattern has one of `*?[`, else a substring; case-insensitive either way."""
    if any(ch in pattern for ch in "*?["):
        return fnmatch.fnmatchcase(value.lower(), pattern.lower())
    return pattern.lower() in value.lower()


_CONFIG_FIELDS = tuple(f.name for f in fields(ConfigKey))
_BUILD_FIELDS = tuple(f.name for f in fields(Build))


def _values(value: object, names: tuple[str, ...]) -> dict[str, Any]:
    """A flat dataclass's fields, as config_json and build_json give them, without the deep
    copy of dataclasses' own conversion (half of a fleet's listing time)."""
    return {name: getattr(value, name) for name in names}


def _day(when: datetime | None) -> str | None:
    return when.date().isoformat() if when else None


def build_row(build: Build, selector: str | None) -> dict[str, Any]:
    """A build as JSON: its label, fields, and the selector that names only it (or None)."""
    return {"label": build.label, "selector": selector, **_values(build, _BUILD_FIELDS)}


def _configs_named(
    keys: list[tuple[int, ConfigKey]], config: str | None, filters: Mapping[str, str | None]
) -> list[tuple[int, ConfigKey]]:
    """The configurations every given filter matches (`config` matches some: the caller has
    checked); when none, an error naming the filter that matched nothing (or the combination)
    and the close stored values."""
    given = {k: v for k, v in filters.items() if v}
    chosen = [
        (i, key)
        for i, key in keys
        if (not config or key.matches(config))
        and all(field_matches(getattr(key, k), v) for k, v in given.items())
    ]
    if chosen:
        return chosen
    for name, pattern in given.items():
        values = [getattr(key, name) for _, key in keys]
        if not any(field_matches(v, pattern) for v in values):
            raise select.SelectionError(
                f"no configuration has {name} '{pattern}'"
                + select.hint(pattern, values, f"{name} values", "paretobot configs")
            )
    asked = " ".join(
        [f"--config {config}"] * bool(config) + [f"--{k} {v}" for k, v in given.items()]
    )
    raise select.SelectionError(
        f"each of {asked} matches stored configurations, but none matches them all; "
        "drop one to see what each matches with `paretobot configs`"
    )


def config_rows(
    engine: Engine,
    config: str | None = None,
    *,
    model: str | None = None,
    hardware: str | None = None,
    precision: str | None = None,
    framework: str | None = None,
) -> list[dict[str, Any]]:
    """One row per stored configuration analysis can see (sorted by slug), with its fields, how
    many builds, runs, sweeps and points it has, its latest build (the most recently stored, as
    `frontier` picks it) with the selector that names only that build, the date of its last run
    and its failures. Filters are case-insensitive substrings or globs (`field_matches`). An
    empty store is an empty list; filters that match nothing are a SelectionError naming what is
    close."""
    tallies, excluded, latest = stored.config_tallies(engine)
    keys = [(i, key) for i, key in stored.stored_configs(engine) if i in tallies]
    if not keys:
        return []
    if config and not any(key.matches(config) for _, key in keys):
        raise select.SelectionError(
            f"no configuration matches '{config}'" + config_hint(engine, config)
        )
    filters = {"model": model, "hardware": hardware, "precision": precision, "framework": framework}
    chosen = _configs_named(keys, config, filters)
    builds = dict(stored.stored_builds(engine))
    unique = select.selectors(list(builds.values()))
    rows = []
    for i, key in sorted(chosen, key=lambda pair: (pair[1].slug, pair[1].canonical)):
        t, newest = tallies[i], builds[latest[i]]
        rows.append(
            {
                "slug": key.slug,
                **_values(key, _CONFIG_FIELDS),
                "topology": key.topology,
                "lengths": key.lengths,
                "builds": t.builds,
                "runs": t.runs,
                "sweeps": t.sweeps,
                "points": t.points,
                "latest_build": build_row(newest, unique[newest]),
                "first_run": _day(t.first_run),
                "last_run": _day(t.last_run),
                "failed_sweeps": t.failed_sweeps,
                "failures": t.failed_sweeps > 0,
                "excluded_runs": excluded.get(i, 0),
            }
        )
    return rows


def build_rows(
    engine: Engine, config: str | None = None, *, framework: str | None = None
) -> list[dict[str, Any]]:
    """One row per stored build analysis can see, in the order first stored (the last is the
    latest), with the selector to paste into `compare --baseline/--candidate` (None when no
    selector names only that build), and over the configurations `config` matches (all by
    default): how many configurations, runs, sweeps and points, its first and last run date and
    its failed sweeps. An empty store is an empty list; a selection that matches nothing is a
    SelectionError naming what is close."""
    keys = stored.stored_configs(engine)
    ids = None
    if config:
        ids = [i for i, key in keys if key.matches(config)]
        if not ids and keys:
            raise select.SelectionError(
                f"no configuration matches '{config}'" + config_hint(engine, config)
            )
    tallies, excluded = stored.build_tallies(engine, ids)
    builds = stored.stored_builds(engine)
    unique = select.selectors([b for _, b in builds])
    chosen = [(i, b) for i, b in builds if i in tallies]
    if framework:
        kept = [(i, b) for i, b in chosen if field_matches(b.framework, framework)]
        if chosen and not kept:
            raise select.SelectionError(
                f"no stored build is of framework '{framework}'"
                + select.hint(
                    framework, [b.framework for _, b in chosen], "frameworks", "paretobot builds"
                )
            )
        chosen = kept
    return [
        {
            **build_row(b, unique[b]),
            "configurations": tallies[i].configurations,
            "runs": tallies[i].runs,
            "sweeps": tallies[i].sweeps,
            "points": tallies[i].points,
            "first_run": _day(tallies[i].first_run),
            "last_run": _day(tallies[i].last_run),
            "failed_sweeps": tallies[i].failed_sweeps,
            "excluded_runs": excluded.get(i, 0),
        }
        for i, b in sorted(chosen, key=lambda pair: tallies[pair[0]].first_sweep)
    ]


def config_hint(engine: Engine, pattern: str) -> str:
    """The tail of a "no results stored matching PATTERN" error: the closest slugs analysis can
    see and where to list them; that only excluded runs have results of it, when so; "" for an
    empty store (whose error says to ingest)."""
    tallies, _, _ = stored.config_tallies(engine)
    keys = stored.stored_configs(engine)
    if any(key.matches(pattern) for i, key in keys if i not in tallies):
        return "; only excluded runs have results of it (`paretobot runs` lists them)"
    slugs = [key.slug for i, key in keys if i in tallies]
    return select.hint(pattern, slugs, "configurations", "paretobot configs")


def build_hint(engine: Engine, selectors: Sequence[str], config: str | None = None) -> str:
    """The tail of an error about build selectors, for those that name no stored build (of the
    configurations `config` matches): the closest build labels and where to list them all. ""
    when each names a build (or a run, `run:ID`)."""
    ids = None
    if config:
        ids = [i for i, key in stored.stored_configs(engine) if key.matches(config)]
    tallies, _ = stored.build_tallies(engine, ids)
    builds = [b for i, b in stored.stored_builds(engine) if i in tallies]
    unknown = [
        s
        for s in selectors
        if not s.startswith(select.RUN_PREFIX) and not any(b.matches(s) for b in builds)
    ]
    labels = [b.label for b in builds]
    if not unknown or not labels:
        return ""
    if len(selectors) == 1:
        return select.hint(unknown[0], labels, "builds", "paretobot builds")
    scope = f" of the configurations matching '{config}'" if config else ""
    said = []
    for s in unknown:
        near = ", ".join(plain(c, 120) for c in select.closest(s, labels))
        said.append(f"'{s}' names no stored build{scope}" + (f" (closest: {near})" if near else ""))
    return "; " + "; ".join(said) + "; list them with `paretobot builds`"


def empty_note(engine: Engine, noun: str) -> str:
    """What to say when a listing of `noun` ("configurations", "builds") has no row: the store
    holds nothing, or only runs excluded from analysis."""
    if stored.stored_configs(engine):
        return (
            "no results stored (excluded runs aside: `paretobot runs` lists them); "
            "load some with `paretobot ingest PATH`"
        )
    return f"no {noun} stored; load some with `paretobot ingest PATH`"
