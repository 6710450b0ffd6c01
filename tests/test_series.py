"""The CSV series reader of `detect`: missing builds keep their rows; bad cells say where."""

from __future__ import annotations

import pytest

from bot.series import SeriesError, parse_series, read_series


def test_last_column_labels_and_missing_cells():
    s = parse_series("build,date,tput\nv1,2026-01-01,100\nv2,2026-01-02,\nv3,2026-01-03,102.5\n")
    assert s.column == "tput"
    assert s.values == [100.0, None, 102.5]
    assert s.labels == ["v1", "v2", "v3"]


def test_named_column_and_one_column_files():
    s = parse_series("a,b\n1,2\n3,4\n", column="a")
    assert s.values == [1.0, 3.0] and s.labels is None
    s = parse_series("value\n1\n\n3\n")
    assert s.values == [1.0, None, 3.0] and s.labels is None


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("", None, "empty"),
        ("\n\n", None, "empty"),
        ("a,b\n", None, "no rows"),
        ("a,b\n1,2\n3\n", None, "row 1 has 1 fields"),
        ("a,b\n1,x2\n", None, "row 0, column 'b': not a number"),
        ("a,b\n1,inf\n", None, "not a finite number"),
        ("a,b\n1,nan\n", None, "not a finite number"),
        ("a,b\n1,2\n", "c", "no column 'c'"),
        ('a,b\n1,"2\n', None, "not valid CSV"),
    ],
)
def test_bad_csv(text, column, words):
    with pytest.raises(SeriesError, match=words):
        parse_series(text, column)


def test_unreadable_file(tmp_path):
    with pytest.raises(SeriesError, match="cannot read"):
        read_series(tmp_path / "absent.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SeriesError, match="cannot read"):
        read_series(binary)
