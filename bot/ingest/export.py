"""paretobot's own export (`paretobot export --what points`), written and read back.

The format is a contract between `bot/app/export.py` (which writes it) and ingest (which reads it),
so it is written once, here: the columns (`COLUMNS`, each with its `KINDS` entry), the version
(`VERSION`, in the `paretobot_export` column of every row, which is also how a file is known to be
one: by content, never by name), how a value is spelled in a CSV cell (`csv_cell`, `from_csv`), and
the rows of stored sweeps (`rows`). docs/formats.md#paretobots-own-export says what it carries.

One row per point; a sweep without points (a failed configuration) is one row of kind "sweep"
with the point columns empty, so failed configurations come back too. Every row repeats its
sweep's configuration, build, run, repeat and status, so each row stands alone in a notebook.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.ingest import FailedPoint, ParsedFile, _load
from bot.ingest import fields as f
from bot.ingest.fields import IngestError
from bot.ingest.metadata import Metadata
from bot.ingest.runs import RunFolder
from bot.model import SWEEP_FAILED, SWEEP_OK, Build, ConfigKey, Point, Sweep, as_utc
from bot.text import HIDDEN

FORMAT = "paretobot-export"
MARKER = "paretobot_export"  # the first column; its value is the format's version
VERSION = 1
POINT_ROW, SWEEP_ROW = "point", "sweep"
MAX_ROWS = 5_000_000  # beyond any store's points: a Parquet file claiming more is not an export

# What a column holds. A new field of ConfigKey, Build or Point gets its kind from its type; a
# type not listed here stops the import, so nobody adds one without deciding how it is written.
TEXT, OPT_TEXT, INT, OPT_INT, FLOAT, OPT_FLOAT, BOOL, TIME, INTS = (
    "text", "text?", "int", "int?", "float", "float?", "bool", "time", "ints",
)  # fmt: skip
_OF_TYPE = {
    "str": TEXT, "str | None": OPT_TEXT, "int": INT, "int | None": OPT_INT, "float": FLOAT,
    "float | None": OPT_FLOAT, "bool": BOOL,
}  # fmt: skip
BUILD_PREFIX = "build_"  # Build.framework would collide with ConfigKey.framework


def _kinds(cls: type, prefix: str = "") -> dict[str, str]:
    return {prefix + fl.name: _OF_TYPE[str(fl.type)] for fl in fields(cls)}


HEAD = {MARKER: INT, "row": TEXT, "slug": TEXT}  # the slug is for readers; ingest ignores it
SWEEP_COLUMNS = {
    "run_id": TEXT, "repeat": INT, "status": TEXT, "cause": TEXT, "started_at": TIME,
    "failed_at": INTS,
}  # fmt: skip
CONFIG_COLUMNS = _kinds(ConfigKey)
BUILD_COLUMNS = _kinds(Build, BUILD_PREFIX)
POINT_COLUMNS = _kinds(Point)
KINDS: dict[str, str] = HEAD | SWEEP_COLUMNS | CONFIG_COLUMNS | BUILD_COLUMNS | POINT_COLUMNS
COLUMNS: tuple[str, ...] = tuple(KINDS)
assert len(COLUMNS) == len(HEAD) + len(SWEEP_COLUMNS) + len(CONFIG_COLUMNS) + len(
    BUILD_COLUMNS
) + len(POINT_COLUMNS), "two export columns share a name"
# text a row may leave empty ("" is a value: no commit, no cause); other text must be given
_MAY_BE_EMPTY = {"cause", "build_commit", "build_image", "build_image_digest"}


def rows(sweeps: Iterable[Sweep]) -> Iterator[tuple[Any, ...]]:
    """The export's rows (in `COLUMNS` order, typed values) of these sweeps, in their order."""
    empty_point = (None,) * len(POINT_COLUMNS)
    for s in sweeps:
        c, b = s.config, s.build
        sweep = (s.run_id, s.repeat, s.status, s.cause, s.started_at, list(s.failed_at))
        config = tuple(getattr(c, fl.name) for fl in fields(ConfigKey))
        build = tuple(getattr(b, fl.name) for fl in fields(Build))
        if not s.points:
            yield (VERSION, SWEEP_ROW, c.slug, *sweep, *config, *build, *empty_point)
        for p in s.points:
            values = tuple(getattr(p, fl.name) for fl in fields(Point))
            yield (VERSION, POINT_ROW, c.slug, *sweep, *config, *build, *values)


# ---- CSV cells: text, numbers and lists in one spelling that reads back exactly ----------------

# OWASP's CSV injection advice: a cell a spreadsheet would take for a formula starts with a single
# quote. The quote is added before a leading quote too, so that reading drops exactly one leading
# quote from every text cell and gets back what was written, whatever it was.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def csv_cell(value: Any, kind: str) -> str:
    """How a value is written in a CSV cell (`from_csv` reads it back)."""
    if value is None:
        return ""
    if kind in (TEXT, OPT_TEXT):
        # an empty optional text is a lone quote: an empty cell is None
        empty = not value and kind == OPT_TEXT
        return "'" + value if empty or value.startswith(_FORMULA_START) else value
    if kind == BOOL:
        return "true" if value else "false"
    if kind == TIME:
        return value.isoformat()
    if kind == INTS:
        return " ".join(str(v) for v in value)
    if kind in (FLOAT, OPT_FLOAT):
        return repr(float(value))  # the shortest text that reads back as the same float
    return str(value)


def from_csv(cell: str, kind: str, column: str) -> Any:
    """A CSV cell as the value JSON would hold (a number, a list, text), for the one reader."""
    if kind in (TEXT, OPT_TEXT):
        if cell == "":
            return "" if kind == TEXT else None
        return cell[1:] if cell.startswith("'") else cell
    if cell == "":
        return [] if kind == INTS else None
    if kind in (BOOL, TIME):
        return cell
    if kind == INTS:
        return [_number(part, column) for part in cell.split()]
    return _number(cell, column)


def _number(text: str, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise IngestError(f"field '{column}' is not a number: {text!r:.40}") from None


# ---- reading: a file's bytes -> a ParsedFile -----------------------------------------------------

_JSONL_START = re.compile(rb'\A\s*\{\s*"paretobot_export"\s*:')
_CSV_START = re.compile(rb'\A(\xef\xbb\xbf)?"?paretobot_export"?,')
_PARQUET_MAGIC = b"PAR1"
_NAME_CONTROL = re.compile(f"[\t\n{HIDDEN}]")  # as bot.ingest.fields.text refuses in names
PARQUET_HINT = "pip install 'paretobot[parquet]'"


def is_export(data: bytes) -> bool:
    """True for bytes that are (or claim to be) a paretobot export: a CSV whose first column is
    `paretobot_export`, JSON lines whose first key is, or any Parquet file (no other format
    paretobot reads is Parquet; one without the column is refused as not an export)."""
    head = data[:4096]
    return bool(
        head.startswith(_PARQUET_MAGIC) or _CSV_START.match(head) or _JSONL_START.match(head)
    )


def _records_csv(data: bytes) -> Iterator[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError("file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        _check_columns(header)
        for number, cells in enumerate(reader, start=1):
            if len(cells) != len(header):
                raise IngestError(
                    f"row {number} has {len(cells)} cells; the header has {len(header)} "
                    "(a truncated or edited file)"
                )
            pairs = zip(header, cells, strict=True)
            try:
                record = {col: from_csv(cell, KINDS[col], col) for col, cell in pairs}
            except IngestError as exc:
                raise IngestError(f"row {number}: {exc}") from None
            yield record
    except csv.Error as exc:
        raise IngestError(f"invalid CSV: {exc}") from None


def _records_jsonl(data: bytes) -> list[dict[str, Any]]:
    loaded = _load(data)
    docs = loaded if isinstance(loaded, list) else [loaded]
    for number, doc in enumerate(docs, start=1):
        if not isinstance(doc, dict):
            raise IngestError(f"line {number} is a {type(doc).__name__}, not an object")
        _check_columns(list(doc), f" on line {number}")
    return docs


def _records_parquet(data: bytes) -> list[dict[str, Any]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise IngestError(f"reading a Parquet export needs pyarrow: {PARQUET_HINT}") from None
    try:
        file = pq.ParquetFile(io.BytesIO(data))
        if file.metadata.num_rows > MAX_ROWS:
            raise IngestError(f"{file.metadata.num_rows} rows; more than any export holds")
        names = file.schema_arrow.names
        if MARKER not in names:
            raise IngestError(f"a Parquet file without a {MARKER} column: not a paretobot export")
        _check_columns(names)
        return file.read().to_pylist()
    except (pa.ArrowException, OSError, ValueError) as exc:
        if isinstance(exc, IngestError):
            raise
        raise IngestError(f"invalid Parquet: {' '.join(str(exc).split())[:200]}") from None


def _check_columns(names: list[str], where: str = "") -> None:
    if not names or names[0] != MARKER:
        raise IngestError(f"the first column is not {MARKER}{where}")
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise IngestError(f"unknown column {unknown[0]!r:.60}{where} (not in export version 1)")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise IngestError(f"column {twice!r} appears twice{where}")
    # a Point field added after a file was written is absent from it: read as None
    missing = [n for n in COLUMNS if n not in names and n not in POINT_COLUMNS]
    if missing:
        raise IngestError(f"missing column {missing[0]!r}{where}")


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise IngestError(f"field '{key}' is not text: {value!r:.40}")
    # a run id is whatever the run was called (a folder name); anything else is a name ingest
    # accepted, so it holds no control character. Neither may hold NUL (PostgreSQL refuses it).
    bad = "\x00" in value if key == "run_id" else _NAME_CONTROL.search(value)
    if bad:
        raise IngestError(f"field '{key}' holds a control character: {value!r:.60}")
    if not value and key not in _MAY_BE_EMPTY:
        raise IngestError(f"field '{key}' is empty")
    return value


def _opt_text(doc: Mapping[str, Any], key: str) -> str | None:
    if doc.get(key) is None:
        return None
    value = doc[key]
    if not isinstance(value, str):
        raise IngestError(f"field '{key}' is not text: {value!r:.40}")
    if _NAME_CONTROL.search(value):
        raise IngestError(f"field '{key}' holds a control character: {value!r:.60}")
    return value


def _time(doc: Mapping[str, Any], key: str) -> datetime | None:
    value = doc.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise IngestError(f"field '{key}' is not an ISO 8601 time: {value!r:.40}") from None
    if not isinstance(value, datetime):
        raise IngestError(f"field '{key}' is not a time: {value!r:.40}")
    return as_utc(value)


def _counts(doc: Mapping[str, Any], key: str) -> tuple[int, ...]:
    value = doc.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise IngestError(f"field '{key}' is not a list of concurrencies: {value!r:.40}")
    found = tuple(f.count({key: v}, key, required=True) or 0 for v in value)
    if any(c <= 0 for c in found) or list(found) != sorted(set(found)):
        raise IngestError(f"field '{key}' is not increasing positive concurrencies")
    return found


def _value(doc: Mapping[str, Any], key: str, kind: str) -> Any:
    if kind == TEXT:
        return _text(doc, key)
    if kind == OPT_TEXT:
        return _opt_text(doc, key)
    if kind == INT:
        return f.count(doc, key, required=True)
    if kind == OPT_INT:
        return f.count(doc, key)
    if kind == FLOAT:
        return f.number(doc, key, required=True)
    if kind == OPT_FLOAT:
        return f.number(doc, key)
    if kind == BOOL:
        value = f.flag(doc, key)
        if value is None:
            raise IngestError(f"missing required field '{key}'")
        return value
    raise AssertionError(kind)  # TIME and INTS are sweep columns, read by their own readers


def _config(doc: Mapping[str, Any]) -> ConfigKey:
    values = {k: _value(doc, k, kind) for k, kind in CONFIG_COLUMNS.items()}
    for key in ("gpus", "tp", "ep", "pp"):
        if values[key] < 1:
            raise IngestError(f"field '{key}' is {values[key]}; at least 1")
    return ConfigKey(**values)


def _build(doc: Mapping[str, Any]) -> Build:
    n = len(BUILD_PREFIX)
    return Build(**{k[n:]: _value(doc, k, kind) for k, kind in BUILD_COLUMNS.items()})


def _point(doc: Mapping[str, Any]) -> Point:
    return Point(**{k: _value(doc, k, kind) for k, kind in POINT_COLUMNS.items()})


@dataclass
class _Sweep:
    status: str
    cause: str
    started_at: datetime | None
    failed_at: tuple[int, ...]
    points: list[Point] = field(default_factory=list)
    empty_row: bool = False  # a "sweep" row: the sweep had no point


def _read_row(doc: Mapping[str, Any], found: dict[tuple, _Sweep]) -> None:
    version = f.count(doc, MARKER, required=True)
    if version != VERSION:
        newer = " (written by a newer paretobot: upgrade)" if (version or 0) > VERSION else ""
        raise IngestError(f"export format version {version}; this paretobot reads {VERSION}{newer}")
    kind = _text(doc, "row")
    if kind not in (POINT_ROW, SWEEP_ROW):
        raise IngestError(f"field 'row' is {kind!r:.40}; expected {POINT_ROW} or {SWEEP_ROW}")
    status = _text(doc, "status")
    if status not in (SWEEP_OK, SWEEP_FAILED):
        expected = f"expected {SWEEP_OK} or {SWEEP_FAILED}"
        raise IngestError(f"field 'status' is {status!r:.40}; {expected}")
    key = (_config(doc), _build(doc), _text(doc, "run_id"), _value(doc, "repeat", INT))
    attrs = (status, _text(doc, "cause"), _time(doc, "started_at"), _counts(doc, "failed_at"))
    if attrs[3] and not attrs[1]:
        raise IngestError("field 'failed_at' names concurrencies but 'cause' is empty")
    sweep = found.get(key)
    if sweep is None:
        sweep = found[key] = _Sweep(*attrs)
    elif (sweep.status, sweep.cause, sweep.started_at, sweep.failed_at) != attrs:
        raise IngestError(
            "its sweep's status, cause, started_at or failed_at differ from its earlier rows"
        )
    if kind == SWEEP_ROW:
        if sweep.points or sweep.empty_row:
            raise IngestError("a sweep row for a sweep that has other rows")
        if any(doc.get(k) not in (None, "") for k in POINT_COLUMNS):
            raise IngestError("a sweep row holds point values")
        sweep.empty_row = True
        return
    if sweep.empty_row:
        raise IngestError("a point of a sweep that a sweep row says has none")
    point = _point(doc)
    # rows come in concurrency order; a file put in another order is searched (rarely)
    back = bool(sweep.points) and point.concurrency <= sweep.points[-1].concurrency
    if back and any(p.concurrency == point.concurrency for p in sweep.points):
        raise IngestError(f"concurrency {point.concurrency} appears twice for one sweep")
    sweep.points.append(point)


def _concurrency(point: Point) -> int:
    return point.concurrency


def _failures(sweep: Sweep) -> list[FailedPoint]:
    """Failure records that give back the stored sweep's `cause` and `failed_at`: the store joins
    the causes of a sweep's records in order (`bot.store.load_sweeps`), so each failed concurrency
    gets the first cause and each further cause a record at no concurrency. Which cause ended
    which concurrency is not kept by the store's sweeps, hence not by the export."""
    if not sweep.failed_at:
        return []  # a cause without concurrencies lives in the sweep's own row
    causes = sweep.cause.split(", ")
    key = (sweep.config, sweep.build, sweep.run_id, sweep.repeat)
    message = "from a paretobot export"
    found = [FailedPoint(*key, c, causes[0], message) for c in sweep.failed_at]
    # concurrency None: a record of the whole sweep, as a failure.json without a concurrency
    found += [FailedPoint(*key, None, cause, message) for cause in causes[1:]]  # type: ignore[arg-type]
    return found


_GIVEN = {
    "framework_version": "build_version", "framework_commit": "build_commit",
    "image": "build_image", "image_digest": "build_image_digest",
}  # fmt: skip


def _refuse_given(given: Metadata, sweep: Sweep) -> None:
    """Options and sidecars fill in what a file lacks; an export lacks nothing, so one that says
    otherwise is a mistake (ingesting an export under another name): refused, never applied."""
    for key, said in given.model_dump(exclude_none=True).items():
        if key == "started_at":
            continue
        column = _GIVEN.get(key, key)
        if column in BUILD_COLUMNS:
            value = getattr(sweep.build, column[len(BUILD_PREFIX) :])
        elif column in ("run_id", "repeat"):
            value = getattr(sweep, column)
        else:
            value = getattr(sweep.config, column)
        if str(value).lower() != str(said).lower():
            raise IngestError(
                f"metadata says {key}={said!r} but the export says {key}={value!r}; an export "
                "states every fact itself (ingest it without options or sidecars)"
            )


def parse_export(path: Path, data: bytes, digest: str, given: Metadata) -> ParsedFile:
    """A whole export file, or IngestError naming the first bad row."""
    if data[:4] == _PARQUET_MAGIC:
        records: Iterable[dict[str, Any]] = _records_parquet(data)
    elif _CSV_START.match(data[:4096]):
        records = _records_csv(data)
    else:
        records = _records_jsonl(data)
    found: dict[tuple, _Sweep] = {}
    number = 0
    for number, doc in enumerate(records, start=1):
        try:
            _read_row(doc, found)
        except IngestError as exc:
            raise IngestError(f"row {number}: {exc}") from None
    if not number:
        raise IngestError("an export with no rows")
    sweeps = tuple(
        Sweep(config, build, run_id, tuple(sorted(s.points, key=_concurrency)), repeat, s.status,
              s.cause, s.started_at, s.failed_at)
        for (config, build, run_id, repeat), s in found.items()
    )  # fmt: skip
    for sweep in sweeps:
        _refuse_given(given, sweep)
    first = sweeps[0]
    # the file's run is its first; the store gives each other run its row, dated by its sweeps
    run = RunFolder(first.run_id, None, first.started_at, "export" if first.started_at else "")
    return ParsedFile(
        path, digest, FORMAT, sweeps, run_id=first.run_id, run=run,
        failed_points=tuple(fp for s in sweeps for fp in _failures(s)),
    )  # fmt: skip
