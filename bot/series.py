"""Reads one series from a CSV file for `paretobot detect`: a header line, then one row per build.

The value is the last column, or the one named. An empty cell is a missing build: it stays in
place (None) so that every index in the answer is the row it names. With more than one column
the first is taken as the row's label (a build name, a date).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ParetobotError


class SeriesError(ParetobotError, ValueError):
    """The CSV cannot be read as a series; the message names the row and column."""


@dataclass(frozen=True)
class Series:
    column: str
    values: list[float | None]
    labels: list[str] | None  # first column, when it is not the value column


def _value(cell: str, row: int, column: str) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise SeriesError(f"row {row}, column '{column}': not a number: {cell[:40]!r}") from None
    if not math.isfinite(value):
        raise SeriesError(f"row {row}, column '{column}': {cell!r} is not a finite number")
    return value


def parse_series(text: str, column: str | None = None, source: str = "CSV") -> Series:
    try:
        rows = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise SeriesError(f"{source}: not valid CSV: {exc}") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise SeriesError(f"{source}: empty, or no header line")
    header = [h.strip() for h in rows[0]]
    if column is None:
        index = len(header) - 1
    elif column in header:
        index = header.index(column)
    else:
        raise SeriesError(f"{source}: no column '{column}' (columns: {', '.join(header)})")
    values: list[float | None] = []
    labels: list[str] = []
    for number, row in enumerate(rows[1:]):
        if not row:  # a blank line is a missing build, not the end of the series
            values.append(None)
            labels.append("")
            continue
        if len(row) != len(header):
            raise SeriesError(
                f"{source}: row {number} has {len(row)} fields, the header has {len(header)}"
            )
        values.append(_value(row[index], number, header[index]))
        labels.append(row[0].strip())
    if not values:
        raise SeriesError(f"{source}: a header but no rows")
    return Series(header[index], values, labels if len(header) > 1 and index != 0 else None)


def read_series(path: Path, column: str | None = None) -> Series:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeriesError(f"{path}: cannot read: {exc}") from None
    return parse_series(text, column, str(path))
