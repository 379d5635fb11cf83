"""The columnar path (pyarrow) gives exactly what the row path gives, or steps aside."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerpay import columnar
from innerpay.data import RawTable, needed_columns, tally_metric_table

from .conftest import ROOT, run_cli
from .factory import make_policy

PERIODS = sorted(p.name for p in (ROOT / "fixtures").iterdir() if p.is_dir())


def test_pyarrow_is_there_for_the_tests() -> None:
    assert columnar.available()  # the test extra installs it: these tests must not pass empty


def test_every_fixture_period_gives_the_same_results(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    used: list[str] = []
    real = columnar._tally

    def counting(path: str, *args: object) -> object:
        found = real(path, *args)  # type: ignore[arg-type]
        used.append(path)
        return found

    for period in PERIODS:
        assert (
            run_cli(["compute", "--period", period, "--out", "rows", "--format", "json"]).code == 0
        )
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    monkeypatch.setattr(columnar, "_tally", counting)
    for period in PERIODS:
        assert (
            run_cli(["compute", "--period", period, "--out", "columns", "--format", "json"]).code
            == 0
        )
        rows = json.loads((company / "rows" / period / "results.json").read_text(encoding="utf-8"))
        columns = json.loads(
            (company / "columns" / period / "results.json").read_text(encoding="utf-8")
        )
        assert columns == rows, period
    assert len(used) >= len(PERIODS) * 5  # every metric table of every period went columnar


def test_a_bad_cell_sends_the_table_to_the_row_path(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    shipments = company / "fixtures" / "2024-04" / "shipments.csv"
    shipments.write_text(
        shipments.read_text(encoding="utf-8").replace(",2024-04-28\n", ",2024-4-28\n"),
        encoding="utf-8",
    )
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 4
    assert (
        "fixtures/2024-04/shipments.csv:21:5: error: shipped_on: '2024-4-28' is not an ISO date"
        in ran.stderr
    )


CELLS = st.sampled_from(
    [
        "",
        "2024-05-01",
        "2024-05-02",
        "2024-05-31",
        "2024-02-30",
        "1",
        "0",
        "2.50",
        "-3",
        "x",
        "ab",
        "12,0",
    ]
)
FORMULAS = [
    "x and x <= z",
    "x == z",
    "not x or x > z",
    "x != z and z",
    "x",
    "not x",
    'x == "x" or z == "ab"',
    "x >= 1 and z < 2.50",
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(FORMULAS),
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), CELLS, CELLS), min_size=1, max_size=12),
)
def test_columnar_tallies_equal_row_tallies(
    tmp_path_factory: pytest.TempPathFactory,
    formula: str,
    weighed: bool,
    records: list[tuple[str, str, str]],
) -> None:
    metric = f"  rate:\n    label: Rate\n    table: rows\n    success: '{formula}'\n"
    if weighed:
        metric += "    weight: z\n"
    policy = make_policy(metric=metric)
    folder = tmp_path_factory.mktemp("columnar")
    path = folder / "rows.csv"
    path.write_text(
        "department,x,z\n" + "".join(f"{d},{x},{z}\n" for d, x, z in records), encoding="utf-8"
    )
    columns = needed_columns(policy, "rows")
    try:
        fast = columnar._tally(str(path), "rows", policy, columns)
    except (columnar.Fallback, columnar.pa.ArrowException):
        return  # the row path takes the table: nothing to compare
    problems: list = []  # type: ignore[type-arg]
    cells = [(i + 2, [d, x, z]) for i, (d, x, z) in enumerate(records)]
    slow = tally_metric_table(
        RawTable(str(path), ["department", "x", "z"], cells, ""), "rows", policy, problems
    )
    assert problems == []  # the columnar path only answers where the row path finds nothing wrong
    assert fast[0] == slow
    for by_metric in fast[0].values():
        for tally in by_metric.values():
            assert isinstance(tally.numerator, Decimal) and isinstance(tally.denominator, Decimal)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), CELLS, CELLS), min_size=1, max_size=30),
    st.integers(min_value=8, max_value=96),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_blocks_cut_anywhere_give_the_same_tallies_and_hash(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str, str, str]],
    block: int,
    newline: str,
    last_newline: bool,
) -> None:
    """The file is cut into blocks at line ends and parsed in parallel: tiny blocks (many per
    file, lines across their edges) count what one block counts, and hash the same bytes."""
    policy = make_policy(
        metric="  rate:\n    label: Rate\n    table: rows\n    success: 'x and x <= z'\n"
    )
    text = "department,x,z" + "".join(f"{newline}{d},{x},{z}" for d, x, z in records)
    path = tmp_path_factory.mktemp("blocks") / "rows.csv"
    path.write_bytes((text + (newline if last_newline else "")).encode())
    columns = needed_columns(policy, "rows")

    def tally() -> object:
        try:
            return columnar._tally(str(path), "rows", policy, columns)
        except (columnar.Fallback, columnar.pa.ArrowException):
            return "row path"

    whole = tally()
    saved = columnar.BLOCK_BYTES
    columnar.BLOCK_BYTES = block
    try:
        cut = tally()
    finally:
        columnar.BLOCK_BYTES = saved
    if cut != "row path" or max(map(len, text.split(newline))) <= 4 * block:
        assert cut == whole
    if whole == "row path":
        return
    problems: list = []  # type: ignore[type-arg]
    cells = [(i + 2, [d, x, z]) for i, (d, x, z) in enumerate(records)]
    by_rows = tally_metric_table(
        RawTable(str(path), ["department", "x", "z"], cells, ""), "rows", policy, problems
    )
    assert problems == []
    assert whole == (by_rows, hashlib.sha256(path.read_bytes()).hexdigest())


def test_a_line_longer_than_four_blocks_takes_the_row_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = make_policy(metric="  rate:\n    label: Rate\n    table: rows\n    success: x\n")
    path = tmp_path / "rows.csv"
    path.write_text("department,x\na," + "y" * 40 + "\n", encoding="utf-8")
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 8)
    with pytest.raises(columnar.Fallback):
        columnar._tally(str(path), "rows", policy, ["x"])
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 16)
    tallies, _ = columnar._tally(str(path), "rows", policy, ["x"])
    assert tallies["a"]["rate"].rows == 1


CLEAN = {
    "x and x <= z": [
        ("a", "2024-05-01", "2024-05-02"),
        ("a", "", "2024-05-02"),
        ("b", "2024-05-31", "2024-05-02"),
    ],
    "x == z": [("a", "2.50", "2.5"), ("a", "1", "2"), ("b", "0", "0")],
    "not x or x > z": [("a", "", "1"), ("a", "3", "1"), ("b", "1", "3")],
    'x == "x" or z == "ab"': [("a", "x", "q"), ("a", "q", "ab"), ("b", "q", "q")],
}


@pytest.mark.parametrize("formula", sorted(CLEAN))
def test_clean_tables_go_columnar_and_agree(tmp_path: Path, formula: str) -> None:
    policy = make_policy(
        metric=f"  rate:\n    label: Rate\n    table: rows\n    success: '{formula}'\n"
    )
    records = CLEAN[formula]
    path = tmp_path / "rows.csv"
    path.write_text(
        "department,x,z\n" + "".join(f"{d},{x},{z}\n" for d, x, z in records), encoding="utf-8"
    )
    fast, _ = columnar._tally(
        str(path), "rows", policy, needed_columns(policy, "rows")
    )  # no Fallback
    cells = [(i + 2, list(r)) for i, r in enumerate(records)]
    problems: list = []  # type: ignore[type-arg]
    slow = tally_metric_table(
        RawTable(str(path), ["department", "x", "z"], cells, ""), "rows", policy, problems
    )
    assert problems == []
    assert fast == slow
    assert sum(t.rows for m in fast.values() for t in m.values()) == len(records)


def test_reading_a_large_metric_table_reports_its_progress(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from innerpay.periods import Period
    from innerpay.run import RunOptions, run_compute

    monkeypatch.setattr(columnar, "MIN_BYTES", 0)
    seen: list[tuple[str, int, int]] = []

    def progress(label: str, items: object) -> object:
        blocks = list(items)  # type: ignore[call-overload]
        seen.append((label, len(items), len(blocks)))  # type: ignore[arg-type]
        return blocks

    results, _ = run_compute(Period.parse("2024-05"), RunOptions(), progress)
    assert results is not None
    reading = [s for s in seen if s[0].startswith("reading ")]
    assert [label for label, _, _ in reading] == [
        "reading production_orders.csv",
        "reading purchase_requests.csv",
        "reading receivables.csv",
        "reading shipments.csv",
        "reading supplier_payments.csv",
    ]
    assert all(expected == found == 1 for _, expected, found in reading)  # one block each
