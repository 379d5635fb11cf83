"""Reading data: pyarrow's reader and the csv module read every file alike, and the arrow
kernels of typing and of the column operations answer as the Python ones do.

Each pair is one function's two ways to its answer; each test gives both the same input and
requires the same answer, and requires the arrow way to have been taken where it can be.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innerpay.data import columns
from innerpay.data.arrowcsv import read_arrow, stream_arrow
from innerpay.data.cells import (
    infer_column,
    parse_date,
    parse_id,
    parse_integer,
    parse_money,
    parse_number,
    parse_text,
    type_column,
)
from innerpay.data.roster import employed_days, employed_days_column
from innerpay.data.tables import Decline, Stream, Table, read_plain, stream_plain
from innerpay.formulas import Arrow, Fault, Values, Vector, arrow
from innerpay.periods import Period

from .factory import as_arrow

assert arrow.available(), "the test extra installs pyarrow"


def python(vector: Vector) -> list[Any]:
    """Row by row, a value as Python holds it (a Decimal's exponent shows in its repr)."""
    return [repr(v) if type(v) is not Fault else v.error.message for v in vector.values()]


def texts(vector: Vector) -> list[str]:
    return ["" if v is None else v for v in vector.values()]


def table_of(table: Table) -> tuple[list[str], list[int], dict[str, list[str]]]:
    return (
        table.header,
        list(table.rows.lines),
        {k: texts(v) for k, v in table.rows.columns.items()},
    )


def stream_of(stream: Stream) -> tuple[list[int], dict[str, list[str]]]:
    lines: list[int] = []
    found: dict[str, list[str]] = {}
    for block in stream:
        lines += block.lines
        for name, column in block.columns.items():
            found.setdefault(name, []).extend(texts(column))
    return lines, found


CELLS = st.sampled_from(
    ["", "E001", "销售部 Sales", "2024-05-01", "12000.00", "0.5", "-3", "x y", "a\"b", "z,z",
     " pad ", "2024-5-1", "１２３", "NaN", "1.23E+17"]
)  # fmt: skip


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, list[list[str]]]:
    width = draw(st.integers(2, 4))
    header = [f"c{i}" for i in range(width)]
    rows = draw(st.lists(st.lists(CELLS, min_size=width, max_size=width), min_size=1, max_size=30))
    return ",".join(header), rows


def write(path: Path, header: str, rows: list[list[str]], newline: str = "\n") -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    for row in rows:
        writer.writerow(row)
    path.write_bytes((header + newline + out.getvalue()).encode())


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(csv_files(), st.sampled_from(["\n", "\r\n"]))
def test_the_two_readers_read_a_file_alike(
    tmp_path: Path, made: tuple[str, list[list[str]]], newline: str
) -> None:
    path = tmp_path / "t.csv"
    header, rows = made
    write(path, header, rows, newline)
    plain, problems = read_plain(str(path))
    assert plain is not None and problems == []
    if any(not any(row) for row in rows):  # a row of empty cells: the csv module's to read
        with pytest.raises(Decline):
            read_arrow(str(path))
        return
    fast = read_arrow(str(path))
    assert table_of(fast) == table_of(plain)
    assert fast.sha256 == plain.sha256
    assert all(isinstance(c, Arrow) for c in fast.rows.columns.values())


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(csv_files(), st.integers(8, 96), st.booleans())
def test_blocks_cut_anywhere_read_alike(
    tmp_path: Path, made: tuple[str, list[list[str]]], block: int, final_newline: bool
) -> None:
    path = tmp_path / "t.csv"
    header, rows = made
    write(path, header, rows)
    if not final_newline:
        path.write_bytes(path.read_bytes().rstrip(b"\n"))
    wanted = header.split(",")[:2]
    plain, _ = stream_plain(str(path), wanted)
    assert plain is not None
    expected = stream_of(plain)
    try:
        fast = stream_arrow(str(path), wanted, block_bytes=block)
        got = stream_of(fast)
    except Decline:
        longest = max(len(line) for line in path.read_bytes().split(b"\n"))
        no_key = any(not row[0] for row in rows)  # the first column is the key (department)
        assert longest > 4 * block or no_key
        return
    assert got == expected
    assert fast.sha256 == plain.sha256


@pytest.mark.parametrize(
    "content",
    [
        b"a,b\n1,2\n\n3,4\n",  # a blank line
        b'a,b\n"1\n2",3\n',  # a cell across lines
        b"a,b\n1,2,3\n",  # a row too wide
        b"a,a\n1,2\n",  # a column twice
        b"a, b\n1,2\n",  # a spaced name
        b"a,b\n\xff,2\n",  # not UTF-8
    ],
)
def test_the_arrow_reader_declines_what_the_csv_module_must_say(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises((Decline, arrow.pa.ArrowException)):
        read_arrow(str(path))
        for _ in stream_arrow(str(path), ["a"]):
            pass


PARSERS = [parse_money, parse_number, parse_integer, parse_date, parse_id, parse_text]


@settings(max_examples=200, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=20), st.sampled_from(PARSERS), st.booleans())
def test_typing_a_column(cells: list[str], parse: Any, required: bool) -> None:
    plain = type_column(Values(cells), "c", parse, required)
    data = arrow.pa.array([c or None for c in cells], arrow.pa.string())
    fast = type_column(Arrow(data), "c", parse, required)
    assert python(fast.column) == python(plain.column)
    assert fast.problems == plain.problems


@pytest.mark.parametrize(
    ("cells", "parse"),
    [
        (["12000.00", "3", "0.5"], parse_money),
        (["2024-05-01", "", "2023-12-31"], parse_date),
        (["E001", "a.b-c_1"], parse_id),
        (["1.25", "-7", "0.000"], parse_number),
    ],
)
def test_a_clean_column_is_typed_by_arrow(cells: list[str], parse: Any) -> None:
    data = arrow.pa.array([c or None for c in cells], arrow.pa.string())
    fast = type_column(Arrow(data), "c", parse, False)
    assert isinstance(fast.column, Arrow)
    assert python(fast.column) == python(type_column(Values(cells), "c", parse, False).column)


METRIC_CELLS = st.sampled_from(
    ["", "2024-05-01", "2024-02-29", "2023-02-29", "12.50", "7", "-0.25", "done", "2024/05/01",
     "1,000", "NaN", "x1"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(METRIC_CELLS, min_size=1, max_size=20), st.booleans())
def test_inferring_a_metric_column(cells: list[str], encoded: bool) -> None:
    plain = infer_column(Values(cells), "c")
    data = arrow.pa.array([c or None for c in cells], arrow.pa.string())
    if encoded:
        data = data.dictionary_encode()  # as the block reader gives it
    fast = infer_column(Arrow(data), "c")
    assert python(fast.column) == python(plain.column)
    assert fast.problems == plain.problems


@pytest.mark.parametrize(
    "cells",
    [["2024-05-01", "", "2024-05-31"], ["12.50", "7", ""], ["done", "open"], ["", ""]],
)
def test_a_clean_metric_column_is_typed_by_arrow(cells: list[str]) -> None:
    data = arrow.pa.array([c or None for c in cells], arrow.pa.string()).dictionary_encode()
    fast = infer_column(Arrow(data), "c")
    assert isinstance(fast.column, Arrow)
    assert python(fast.column) == python(infer_column(Values(cells), "c").column)


WORDS = st.sampled_from(["a", "b", "c", "d", None])


def at(a: Vector, b: Vector) -> tuple[Vector, Vector]:
    """Both columns as positions among a, b, c, d (an empty value: none)."""
    keys = columns.like(a, ["a", "b", "c", "d"])
    return columns.positions_in(a, keys), columns.positions_in(b, keys)


def pair(items: list[Any]) -> tuple[Vector, Vector]:
    return Values(items), Arrow(arrow.pa.array(items, arrow.pa.string()))


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=15), st.lists(WORDS, min_size=1, max_size=15))
def test_the_column_operations(left: list[Any], other: list[Any]) -> None:
    right = (other * len(left))[: len(left)]
    a_plain, a_fast = pair(left)
    b_plain, b_fast = pair(right)
    keys = ["a", "c"]
    for operation in (
        lambda a, b: columns.outside(a, keys),
        lambda a, b: columns.within(a, keys).positions(),
        lambda a, b: columns.empty(a),
        lambda a, b: dict(columns.counts(a)),
        lambda a, b: python(columns.not_in(a, keys)),
        lambda a, b: python(columns.missing(a)),
        lambda a, b: python(columns.same(a, b)),
        lambda a, b: python(columns.pair_in(*at(a, b), {(0, 1), (2, 2)}, 4)),
        lambda a, b: python(columns.repeated(*at(a, b), 4)),
        lambda a, b: columns.distinct(a),
        lambda a, b: columns.lookalikes_distinct(a),
        lambda a, b: python(columns.positions_in(a, columns.like(a, keys))),
        lambda a, b: dict(columns.count_where(a, columns.same(a, b))),
        lambda a, b: columns.true_rows(columns.either(columns.same(a, b), columns.missing(a))),
        lambda a, b: python(columns.first_true([columns.missing(a), columns.same(a, b)])),
    ):
        assert operation(a_fast, b_fast) == operation(a_plain, b_plain)


def test_order_and_spaces() -> None:
    items = ["E3", "E1", "E2"]
    plain, fast = pair(items)
    assert list(columns.sorted_order(plain)) == columns.sorted_order(fast).to_pylist()
    assert columns.sorted_order(pair(sorted(items))[1]) is None
    spaced = [" yes", "no", "x "]
    assert python(columns.stripped(pair(spaced)[1])) == python(columns.stripped(Values(spaced)))


dates = st.one_of(
    st.none(), st.dates(min_value=dt.date(2024, 3, 1), max_value=dt.date(2024, 7, 31))
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(dates, dates), min_size=1, max_size=10))
def test_employed_days(spans: list[tuple[dt.date | None, dt.date | None]]) -> None:
    """The arrow kernel of the days employed counts as the rule does, day by day."""
    from innerpay.data.roster import Roster

    period = Period.parse("2024-05")
    hired = [h for h, _ in spans]
    left = [w for _, w in spans]
    roster = Roster(
        "e.csv",
        {
            "hired_on": Arrow(arrow.pa.array(hired, arrow.pa.date32())),
            "left_on": Arrow(arrow.pa.array(left, arrow.pa.date32())),
        },
        list(range(len(spans))),
        (),
    )
    got = employed_days_column(roster, period)
    assert isinstance(got, Arrow)
    assert [int(v) for v in got.values()] == [employed_days(h, w, period) for h, w in spans]


def test_a_roster_typed_from_arrow_columns_is_the_one_typed_from_text() -> None:
    from innerpay.data.roster import type_roster
    from innerpay.data.tables import inline_table

    from .factory import make_policy

    rows = [
        {"id": "E2", "name": "二", "department": "a", "role": "staff", "base_salary": "100.5"},
        {"id": "E1", "name": "一", "department": "b", "role": "manager", "base_salary": "7"},
        {"id": "e2", "name": "x", "department": "zz", "role": "", "base_salary": "1,0"},
    ]
    table = inline_table("employees.csv", [(k + 2, r) for k, r in enumerate(rows)])
    policy = make_policy()
    found: dict[str, tuple[Any, ...]] = {}
    for name, source in (("plain", table), ("fast", as_arrow(table))):
        problems: list[Any] = []
        roster = type_roster(source, policy, problems)
        found[name] = (
            [str(p) for p in problems],
            roster.lines,
            {k: python(v) for k, v in roster.columns.items()},
        )
    assert found["fast"] == found["plain"]
    assert found["plain"][1] == [3, 2]  # sorted by id; the bad row left out
    assert found["plain"][2]["base_salary"] == ["Decimal('7')", "Decimal('100.5')"]
