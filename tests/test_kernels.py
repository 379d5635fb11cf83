"""Every operator's arrow kernel gives exactly what its Decimal kernel gives.

Each test builds the same column twice, as Python values (the Decimal kernel runs) and as an
arrow array (the arrow kernel runs, or declines), and requires the same Python values row by
row: the same Decimals, exponent and all, the same faults with the same messages.  A case where
the arrow kernel may vouch for its result is required to have used it, so that the tests cannot
pass by declining.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerpay.formulas import Arrow, Const, Fault, StepTable, Values, Vector, arrow, kernels
from innerpay.formulas.parse import BandTable
from innerpay.formulas.vectors import Rows, assemble, to_arrow
from innerpay.numbers import CONTEXT, Rounding

assert arrow.available(), "the test extra installs pyarrow"


def shown(vector: Vector) -> list[str]:
    """Row by row, what a value is: a Decimal's text (its exponent shows), or a fault's
    message."""
    return [f"fault: {v.error.message}" if type(v) is Fault else repr(v) for v in vector.values()]


def both(items: list[Any]) -> tuple[Vector, Vector]:
    made = to_arrow(items)
    assert made is not None, items
    return Values(items), made


def agree(function: Any, *columns: list[Any]) -> Vector:
    """``function`` on Python columns and on arrow columns gives the same values; returns the
    arrow side's result."""
    plain = [Values(c) if isinstance(c, list) else c for c in columns]
    fast = [to_arrow(c) if isinstance(c, list) else c for c in columns]
    with decimal.localcontext(CONTEXT):
        expected = function(*plain)
        got = function(*fast)
    assert isinstance(expected, Values | Const)
    assert shown(got) == shown(expected)
    return got


def decimals(places: int = 4, low: str = "-1000000", high: str = "1000000") -> Any:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


@st.composite
def numbers(draw: st.DrawFn, size: int, empty: bool = False) -> list[Decimal | None]:
    """A column of Decimals of mixed exponents (as a file's cells give), zeros and negatives
    among them, and empty cells where asked for."""
    values: list[Decimal | None] = []
    for _ in range(size):
        places = draw(st.integers(0, 6))
        value = draw(decimals(places))
        if draw(st.integers(0, 9)) == 0:
            value = Decimal(0).scaleb(-places)
        values.append(None if empty and draw(st.integers(0, 5)) == 0 else value)
    if all(v is None or (v.is_zero() and v.is_signed()) for v in values):
        values[0] = Decimal(1)
    return [None if v is not None and v.is_zero() and v.is_signed() else v for v in values]


SIZES = st.integers(1, 12)

BINARY = [ast.Add, ast.Sub, ast.Mult, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE]


@settings(max_examples=300, deadline=None)
@given(st.data(), st.sampled_from(BINARY), SIZES, st.booleans())
def test_each_binary_operator(data: st.DataObject, op: type, size: int, empty: bool) -> None:
    left = data.draw(numbers(size, empty))
    right = data.draw(numbers(size, empty))
    got = agree(lambda a, b: kernels.operator(op, [a, b], size), left, right)
    negative_zero = op is ast.Mult and any(
        (a.is_zero() and b < 0) or (b.is_zero() and a < 0)
        for a, b in zip(left, right, strict=True)
        if a is not None and b is not None
    )
    if not empty and not negative_zero:  # the arrow kernel vouches for every other result
        assert isinstance(got, Arrow)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from([ast.USub, ast.UAdd, ast.Not]), SIZES, st.booleans())
def test_each_unary_operator(data: st.DataObject, op: type, size: int, empty: bool) -> None:
    column = data.draw(numbers(size, empty))
    got = agree(lambda a: kernels.operator(op, [a], size), column)
    if not empty or op is ast.Not:
        assert isinstance(got, Arrow)


def test_zero_times_a_negative_number_is_left_to_decimal() -> None:
    got = agree(lambda a, b: kernels.operator(ast.Mult, [a, b], 2), [Decimal(0), Decimal(2)],
                [Decimal(-3), Decimal(1)])  # fmt: skip
    assert shown(got)[0] == "Decimal('-0')"  # Decimal's negative zero, which arrow cannot hold


def test_a_result_beyond_28_digits_is_a_fault_in_both_kernels() -> None:
    # issue 17: rounded to 28 digits, 1000000000000000000000001.18 × 0.3… paid .48 for .47
    big = [Decimal("1234567890123456.78"), Decimal("2")]
    got = agree(lambda a, b: kernels.operator(ast.Mult, [a, b], 2), big, big)
    assert not isinstance(got, Arrow)  # 31 digits: the arrow kernel declines
    assert shown(got) == [
        "fault: 1234567890123456.78 * 1234567890123456.78 needs more than 28 significant digits: "
        "it would be rounded before the cent; the amounts are too large",
        "Decimal('4')",
    ]


@settings(max_examples=150, deadline=None)
@given(st.data(), st.sampled_from(["min", "max"]), SIZES, st.integers(2, 4))
def test_min_and_max_keep_the_first_of_equal_values(
    data: st.DataObject, name: str, size: int, count: int
) -> None:
    columns = [data.draw(numbers(size)) for _ in range(count)]
    scalar = {"min": kernels.values.minimum, "max": kernels.values.maximum}[name]
    got = agree(
        lambda *c: kernels.apply(scalar, kernels.FAST_FUNCTIONS[name], list(c), size), *columns
    )
    assert isinstance(got, Arrow)


def test_min_of_equal_values_of_two_exponents() -> None:
    got = agree(
        lambda a, b: kernels.apply(
            kernels.values.minimum, kernels.FAST_FUNCTIONS["min"], [a, b], 2
        ),
        [Decimal("1.50"), Decimal("2")],
        [Decimal("1.5"), Decimal("2.000")],
    )
    assert shown(got) == ["Decimal('1.50')", "Decimal('2')"]


@settings(max_examples=150, deadline=None)
@given(st.data(), SIZES)
def test_abs(data: st.DataObject, size: int) -> None:
    column = data.draw(numbers(size))
    fast = kernels.FAST_FUNCTIONS["abs"]
    got = agree(lambda a: kernels.apply(kernels.values.absolute, fast, [a], size), column)
    assert isinstance(got, Arrow)


@settings(max_examples=200, deadline=None)
@given(st.data(), SIZES, st.integers(0, 6), st.sampled_from(list(Rounding)))
def test_rounding(data: st.DataObject, size: int, places: int, mode: Rounding) -> None:
    column = data.draw(numbers(size))
    agree(lambda a: kernels.round_to(a, places, mode, size), column)


def test_rounding_halves_as_decimal_does() -> None:
    halves = [Decimal("2.5"), Decimal("-2.5"), Decimal("3.5"), Decimal("0.125"), Decimal("-0.4")]
    for mode in Rounding:
        got = agree(lambda a, m=mode: kernels.round_to(a, 0, m, 5), halves)
        # -0.4 rounds to -0 (but floors to -1): a -0 is left to Decimal
        assert isinstance(got, Arrow) == (mode is Rounding.FLOOR)
    got = agree(lambda a: kernels.round_to(a, 0, Rounding.HALF_UP, 4), halves[:4])
    assert isinstance(got, Arrow)
    assert shown(got) == ["Decimal('3')", "Decimal('-3')", "Decimal('4')", "Decimal('0')"]


TABLE = StepTable(
    (
        (Decimal("0"), Decimal("0.50")),
        (Decimal("0.9"), Decimal("1")),
        (Decimal("0.95"), Decimal("1.20")),
    )
)


@settings(max_examples=150, deadline=None)
@given(st.lists(decimals(6, "-0.1", "1.2"), min_size=1, max_size=12))
def test_step(column: list[Decimal]) -> None:
    fast = kernels.fast_step(TABLE)
    assert fast is not None
    got = agree(lambda x: kernels.apply(lambda v: kernels.values.step(TABLE, v), fast, [x],
                                        len(column)), column)  # fmt: skip
    if min(column) >= 0:
        assert isinstance(got, Arrow)


BANDS = BandTable(
    (Decimal("36000"), Decimal("144000"), Decimal("300000")),
    (
        ("rate", (Decimal("0.03"), Decimal("0.10"), Decimal("0.20"), Decimal("0.25"))),
        ("quick_deduction", (Decimal("0"), Decimal("2520"), Decimal("16920"), Decimal("31920"))),
    ),
)
EDGES = [Decimal(v) for v in ("36000", "36000.01", "35999.99", "144000", "300000.001", "-5")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(decimals(3, "-1000", "400000"), st.sampled_from(EDGES)), min_size=1,
                max_size=12), st.sampled_from(["rate", "quick_deduction"]))  # fmt: skip
def test_band(column: list[Decimal], name: str) -> None:
    fast = kernels.fast_band(BANDS, name)
    assert fast is not None
    got = agree(lambda x: kernels.apply(lambda v: kernels.values.band(BANDS, v, name), fast, [x],
                                        len(column)), column)  # fmt: skip
    assert isinstance(got, Arrow)
    values = dict(BANDS.columns)[name]
    for x, value in zip(column, got.values(), strict=True):  # the row: the first bound >= x
        row = next((k for k, bound in enumerate(BANDS.bounds) if x <= bound), 3)
        assert value == values[row]
        assert (row == 0 or x > BANDS.bounds[row - 1]) and (row == 3 or x <= BANDS.bounds[row])


@settings(max_examples=200, deadline=None)
@given(decimals(6, "-100000", "100000"), st.integers(0, 4))
def test_floor_ceil_and_truncate_bracket_the_value(x: Decimal, places: int) -> None:
    unit = Decimal(1).scaleb(-places)
    down = kernels.values.rounded(x, places, Rounding.FLOOR, "floor")
    up = kernels.values.rounded(x, places, Rounding.CEILING, "ceil")
    toward = kernels.values.rounded(x, places, Rounding.TRUNCATE, "truncate")
    assert down <= x <= up and up - down in (0, unit)
    assert (down == up) == (x == x.quantize(unit, rounding=decimal.ROUND_DOWN))
    assert abs(toward) <= abs(x) < abs(toward) + unit
    assert toward == (down if x >= 0 else up)
    for value in (down, up, toward):
        assert value.as_tuple().exponent == -places


@settings(max_examples=150, deadline=None)
@given(st.data(), SIZES)
def test_prorate_of_a_whole_month_and_of_part_of_one(data: st.DataObject, size: int) -> None:
    amounts = data.draw(numbers(size))
    days = [Decimal(data.draw(st.sampled_from([31, 31, 17, 0]))) for _ in range(size)]
    got = agree(
        lambda x, d: kernels.apply(kernels.values.prorate, kernels.fast_prorate,
                                   [x, d, Const(Decimal(31), size)], size),
        amounts, days)  # fmt: skip
    if all(d == 31 for d in days):
        assert isinstance(got, Arrow)


def test_comparisons_of_dates_text_and_conditions() -> None:
    days = [dt.date(2024, 5, 1), dt.date(2024, 5, 3), None]
    later = [dt.date(2024, 5, 2), dt.date(2024, 5, 3), dt.date(2024, 5, 4)]
    agree(lambda a, b: kernels.operator(ast.LtE, [a, b], 3), days, later)
    got = agree(lambda a, b: kernels.operator(ast.LtE, [a, b], 2), days[:2], later[:2])
    assert isinstance(got, Arrow)
    agree(lambda a, b: kernels.operator(ast.Eq, [a, b], 2), ["manager", "staff"], ["manager", "x"])
    agree(lambda a, b: kernels.operator(ast.Lt, [a, b], 2), ["manager", "staff"], ["a", "x"])
    agree(lambda a, b: kernels.operator(ast.Eq, [a, b], 2), [True, False], [True, True])
    agree(lambda a, b: kernels.operator(ast.Lt, [a, b], 2), days[:2], [Decimal(1), Decimal(2)])


@settings(max_examples=100, deadline=None)
@given(st.data(), SIZES)
def test_truth_splits_alike(data: st.DataObject, size: int) -> None:
    column = data.draw(numbers(size, empty=True))
    plain, fast = both(column)
    assert [r.positions() for r in kernels.split(plain)] == [
        r.positions() for r in kernels.split(fast)
    ]


@settings(max_examples=100, deadline=None)
@given(st.data(), SIZES)
def test_totals(data: st.DataObject, size: int) -> None:
    column = data.draw(numbers(size))
    plain, fast = both(column)
    with decimal.localcontext(CONTEXT):
        assert repr(kernels.total(plain)) == repr(kernels.total(fast))


@settings(max_examples=150, deadline=None)
@given(st.data(), SIZES)
def test_pieces_put_together(data: st.DataObject, size: int) -> None:
    """Pieces evaluated on the rows each selects, merged (``x if c else y``): the same values,
    whatever mix of exponents, empty values and constants."""
    flags = [data.draw(st.booleans()) for _ in range(size)]
    yes = [k for k, f in enumerate(flags) if f]
    no = [k for k, f in enumerate(flags) if not f]
    first = data.draw(numbers(len(yes), empty=True)) if yes else []
    constant = data.draw(st.sampled_from([Decimal("0"), Decimal("1.50"), None]))
    mask = arrow.pa.array(flags, arrow.pa.bool_())
    plain = assemble(size, [(Rows.of_positions(size, yes), Values(first)),
                            (Rows.of_positions(size, no), Const(constant, len(no)))])  # fmt: skip
    fast_first = to_arrow(first) if first else Values([])
    fast = assemble(size, [(Rows.of_mask(mask), fast_first or Values([])),
                           (Rows.of_mask(arrow.pc.invert(mask)), Const(constant, len(no)))])  # fmt: skip
    assert shown(fast) == shown(plain)


def test_amounts_must_be_numbers() -> None:
    assert shown(kernels.amounts(Values([Decimal(1), True, None]))) == [
        "Decimal('1')",
        "fault: the formula gave a condition (true/false), not an amount",
        "fault: the formula gave no value, not an amount",
    ]


@pytest.mark.parametrize(
    "value",
    [Decimal("-0"), Decimal("1E+3"), Decimal("1" * 29), Decimal("NaN"), Decimal("0.50")],
)
def test_arrow_holds_a_value_only_exactly(value: Decimal) -> None:
    made = to_arrow([value, Decimal(1)])
    if made is None:
        return  # left to Python values
    assert repr(made.values()[0]) == repr(value)
