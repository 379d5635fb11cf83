"""Kernels: each operator of a formula applied to whole columns, one definition each.

An operator has one meaning, its function in :mod:`innerpay.formulas.values`, which is also its
Decimal kernel: applied row by row, a fault on a row kept as that row's value.  Where the
columns are arrow arrays, the operator first tries its arrow kernel, which gives exactly the
values the Decimal kernel would give (the same Decimals, exponent and all) or declines (returns
None): when a value is empty, when a result would need more than Decimal's 28 digits or would be
a negative zero, when the kinds differ.  Declining is never an error: the Decimal kernel then
says what it says.  ``tests/test_kernels.py`` holds every arrow kernel to its Decimal kernel.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..numbers import Rounding
from . import arrow, values
from .parse import BandTable, FormulaError, StepTable
from .vectors import (
    MAX_DIGITS,
    Arrow,
    Const,
    Fault,
    Kind,
    Rows,
    Values,
    Vector,
    decimal_shape,
    kind_of,
    python_values,
    scalar,
)

Scalar = Callable[..., Any]
Fast = Callable[..., "Arrow | None"]


class Operand:
    """A column or a constant as an arrow kernel sees it: data (array or scalar), the values'
    exponents where they differ from the scale, and the kind."""

    __slots__ = ("array", "data", "exps", "kind")

    def __init__(self, data: Any, exps: Any = None):
        self.data, self.exps = data, exps
        self.kind = kind_of(data.type)
        self.array = not isinstance(data, arrow.pa.Scalar)

    @property
    def scale(self) -> int:
        return int(self.data.type.scale)

    @property
    def complete(self) -> bool:
        """No empty value."""
        return self.data.null_count == 0 if self.array else bool(self.data.is_valid)

    def exponents(self) -> Any:
        """Every value's exponent (an array, or one scalar for all)."""
        if self.exps is not None:
            return self.exps
        return arrow.pa.scalar(-self.scale, arrow.pa.int32())


def _operand(vector: Vector) -> Operand | None:
    if isinstance(vector, Arrow):
        return Operand(vector.data, vector.exps)
    if isinstance(vector, Const):
        value = scalar(vector.value)
        if value is None or arrow.pa.types.is_null(value.type):
            return None
        return Operand(value)
    return None


def one(function: Scalar, args: Sequence[Any]) -> Any:
    """One row: the first fault among the arguments, or the function's value or fault."""
    for arg in args:
        if type(arg) is Fault:
            return arg
    try:
        return values.guarded(function, *args)
    except FormulaError as exc:
        return Fault(exc)


def decimal_kernel(function: Scalar, vectors: Sequence[Vector], size: int) -> Vector:
    """``function`` applied row by row (the meaning of every operator)."""
    columns = [python_values(v, size) for v in vectors]
    return Values([one(function, row) for row in zip(*columns, strict=True)])


def apply(function: Scalar, fast: Fast | None, vectors: Sequence[Vector], size: int) -> Vector:
    """An operator over columns: once for constants, by its arrow kernel where that vouches
    for the result, row by row otherwise."""
    if all(isinstance(v, Const) for v in vectors):
        return Const(one(function, [v.value for v in vectors]), size)  # type: ignore[attr-defined]
    if fast is not None and any(isinstance(v, Arrow) for v in vectors):
        operands = [_operand(v) for v in vectors]
        if None not in operands:
            try:
                made = fast(*operands)
            except arrow.pa.ArrowException:
                made = None
            if made is not None:
                return made
    return decimal_kernel(function, vectors, size)


# --- conditions ----------------------------------------------------------------------------------


def _truth_mask(data: Any) -> Any:
    """Python's truth of each value of an arrow array (an empty value is false)."""
    pa, pc = arrow.pa, arrow.pc
    kind = kind_of(data.type)
    if kind is Kind.NUMBER:
        result = pc.not_equal(data, pa.scalar(Decimal(0), data.type))
    elif kind is Kind.BOOL:
        result = data
    elif kind is Kind.TEXT:
        result = pc.greater(pc.utf8_length(data), 0)
    else:
        return pc.is_valid(data)
    return pc.fill_null(result, False)


def split(vector: Vector) -> tuple[Rows, Rows, Rows]:
    """The rows where a value is true, where it is false, and where it is a fault."""
    size = len(vector)
    if isinstance(vector, Const):
        everything, nothing = Rows.of_positions(size, list(range(size))), Rows(size, 0, None, [])
        if type(vector.value) is Fault:
            return nothing, nothing, everything
        return (everything, nothing, nothing) if vector.value else (nothing, everything, nothing)
    if isinstance(vector, Arrow):
        mask = _truth_mask(vector.data)
        return Rows.of_mask(mask), Rows.of_mask(arrow.pc.invert(mask)), Rows(size, 0, None, [])
    yes: list[int] = []
    no: list[int] = []
    bad: list[int] = []
    for k, value in enumerate(vector.values()):
        if type(value) is Fault:
            bad.append(k)
        elif value:
            yes.append(k)
        else:
            no.append(k)
    return (
        Rows.of_positions(size, yes),
        Rows.of_positions(size, no),
        Rows.of_positions(size, bad),
    )


def _fast_not(a: Operand) -> Arrow | None:
    if not a.array:
        return None
    return Arrow(arrow.pc.invert(_truth_mask(a.data)))


# --- numbers -------------------------------------------------------------------------------------


def fit(data: Any, exps: Any) -> Arrow | None:
    """A decimal result in the fewest digits that hold it, or None where a value would need
    more than Decimal's 28 digits (Decimal would have rounded it)."""
    pa = arrow.pa
    if isinstance(data, pa.Scalar):
        return None
    scale = int(data.type.scale)
    largest = _largest(data)
    whole = largest.adjusted() + 1 if largest else 0
    digits = max(whole, 0) + scale
    if digits > MAX_DIGITS:
        return None
    return Arrow(data.cast(pa.decimal128(max(digits, 1), scale)), exps)


def _largest(data: Any) -> Decimal | None:
    """The largest magnitude of a decimal array (one pass for both ends)."""
    if not len(data):
        return None
    ends = arrow.pc.min_max(data)
    low, high = ends["min"].as_py(), ends["max"].as_py()
    if low is None:
        return None
    largest: Decimal = max(abs(low), abs(high))
    return largest


def _numbers(*operands: Operand) -> bool:
    return all(o.kind is Kind.NUMBER and o.complete for o in operands)


def _exponents(combine: Callable[[Any, Any], Any], a: Operand, b: Operand) -> Any:
    if a.exps is None and b.exps is None:
        return None
    return combine(a.exponents(), b.exponents())


def _fast_sum(add: bool) -> Fast:
    def kernel(a: Operand, b: Operand) -> Arrow | None:
        if not _numbers(a, b):
            return None
        pc = arrow.pc
        data = (pc.add if add else pc.subtract)(a.data, b.data)
        exps = _exponents(pc.min_element_wise, a, b)
        if exps is not None and not isinstance(exps, arrow.pa.Array):
            exps = arrow.pa.repeat(exps, len(data))
        return fit(data, exps)

    return kernel


def _negative(o: Operand) -> Any:
    return arrow.pc.less(o.data, arrow.pa.scalar(Decimal(0), o.data.type))


def _any(mask: Any) -> bool:
    if isinstance(mask, arrow.pa.Scalar):
        return bool(mask.as_py())
    return bool(arrow.pc.any(mask).as_py())


def _fast_multiply(a: Operand, b: Operand) -> Arrow | None:
    if not _numbers(a, b):
        return None
    pa, pc = arrow.pa, arrow.pc
    data = pc.multiply(a.data, b.data)
    zero = pc.equal(data, pa.scalar(Decimal(0), data.type))
    if _any(pc.and_(zero, pc.xor(_negative(a), _negative(b)))):
        return None  # 0 × a negative number is -0 for Decimal
    exps = _exponents(pc.add, a, b)
    if exps is not None and not isinstance(exps, pa.Array):
        exps = pa.repeat(exps, len(data))
    return fit(data, exps)


def _fast_negate(a: Operand) -> Arrow | None:
    if not _numbers(a) or not a.array:
        return None
    return fit(arrow.pc.negate(a.data), a.exps)  # -0 is 0 for Decimal as well


def _fast_plus(a: Operand) -> Arrow | None:
    if not _numbers(a) or not a.array:
        return None
    return Arrow(a.data, a.exps)


def _fast_abs(a: Operand) -> Arrow | None:
    if not _numbers(a) or not a.array:
        return None
    return Arrow(arrow.pc.abs(a.data), a.exps)


def _common(*operands: Operand) -> Any:
    """The decimal type that holds every operand's values exactly."""
    whole = max(o.data.type.precision - o.data.type.scale for o in operands)
    scale = max(o.scale for o in operands)
    return arrow.pa.decimal128(min(max(whole + scale, 1), 38), scale)


_COMPARISONS = {
    ast.Eq: "equal",
    ast.NotEq: "not_equal",
    ast.Lt: "less",
    ast.LtE: "less_equal",
    ast.Gt: "greater",
    ast.GtE: "greater_equal",
}


def _fast_compare(op: type[ast.cmpop]) -> Fast:
    name = _COMPARISONS[op]
    ordering = op not in (ast.Eq, ast.NotEq)

    def kernel(a: Operand, b: Operand) -> Arrow | None:
        if a.kind is not b.kind or not (a.complete and b.complete):
            return None
        if ordering and a.kind in (Kind.TEXT, Kind.BOOL):
            return None
        left, right = a.data, b.data
        if a.kind is Kind.NUMBER:
            common = _common(a, b)
            left, right = left.cast(common), right.cast(common)
        result = getattr(arrow.pc, name)(left, right)
        return Arrow(result) if isinstance(result, arrow.pa.Array) else None

    return kernel


def _fast_extreme(least: bool) -> Fast:
    def kernel(*operands: Operand) -> Arrow | None:
        if not _numbers(*operands) or not any(o.array for o in operands):
            return None
        pa, pc = arrow.pa, arrow.pc
        common = _common(*operands)
        uniform = len({o.scale for o in operands}) == 1 and all(o.exps is None for o in operands)
        result, exps = operands[0].data.cast(common), operands[0].exponents()
        for other in operands[1:]:
            data = other.data.cast(common)
            # Python's min and max keep the first of equal values
            first = (pc.less_equal if least else pc.greater_equal)(result, data)
            result = pc.if_else(first, result, data)
            if not uniform:
                exps = pc.if_else(first, exps, other.exponents())
        if not isinstance(result, pa.Array):
            return None
        if not uniform and not isinstance(exps, pa.Array):
            exps = pa.repeat(exps, len(result))
        return fit(result, None if uniform else exps)

    return kernel


_ARROW_ROUNDING = {
    Rounding.HALF_UP: "half_towards_infinity",
    Rounding.HALF_EVEN: "half_to_even",
    Rounding.FLOOR: "down",
    Rounding.CEILING: "up",
    Rounding.TRUNCATE: "towards_zero",
}


def fast_round(places: int, mode: Rounding) -> Fast:
    """The arrow kernel of rounding to ``places`` decimals (``round(x, n)``, and every pay
    line to the cent)."""

    def kernel(a: Operand) -> Arrow | None:
        if not _numbers(a) or not a.array:
            return None
        pa, pc = arrow.pa, arrow.pc
        data = a.data
        if a.scale > places:
            # one more digit first: rounding 999.5 up needs room for 1000
            precision = data.type.precision + 1
            if precision > 38:
                return None
            data = data.cast(pa.decimal128(precision, a.scale))
            data = pc.round(data, ndigits=places, round_mode=_ARROW_ROUNDING[mode])
        whole = data.type.precision - data.type.scale
        if whole + places > 38:
            return None
        data = data.cast(pa.decimal128(max(whole + places, 1), places))
        if a.scale > places:
            ends = pc.min_max(a.data)
            if ends["min"].as_py() is not None and ends["min"].as_py() < 0:
                zero = pc.equal(data, pa.scalar(Decimal(0), data.type))
                if _any(pc.and_(zero, _negative(a))):
                    return None  # a negative amount rounded to -0.00
        return fit(data, None)

    return kernel


def fast_step(table: StepTable) -> Fast | None:
    """The arrow kernel of ``step(table, x)`` for one step table, or None where arrow cannot
    hold its values."""
    shapes = [decimal_shape(v) for row in table.rows for v in row]
    if any(s is None for s in shapes):
        return None
    thresholds = [t for t, _ in table.rows]
    results = [v for _, v in table.rows]

    def kernel(x: Operand) -> Arrow | None:
        if not _numbers(x) or not x.array:
            return None
        pa, pc = arrow.pa, arrow.pc
        marks = Operand(pa.array(thresholds))
        common = _common(x, marks)
        at = x.data.cast(common)
        if _any(pc.less(at, pa.scalar(thresholds[0]).cast(common))):
            return None  # below the lowest threshold: the Decimal kernel's error
        out = Values(results)
        made = _values_arrow(out)
        if made is None:
            return None
        chosen = pa.repeat(pa.scalar(0, pa.int32()), len(at))
        for k, threshold in enumerate(thresholds[1:], start=1):  # ascending: the last reached
            reached = pc.greater_equal(at, pa.scalar(threshold).cast(common))
            chosen = pc.if_else(reached, pa.scalar(k, pa.int32()), chosen)
        return Arrow(pc.take(made.data, chosen), None if made.exps is None else
                     pc.take(made.exps, chosen))  # fmt: skip

    return kernel


def fast_band(table: BandTable, column: str) -> Fast | None:
    """The arrow kernel of ``band(table, x, "column")`` for one band table and column, or None
    where arrow cannot hold its values."""
    found = table.column(column)
    if found is None or any(decimal_shape(v) is None for v in (*table.bounds, *found)):
        return None

    def kernel(x: Operand) -> Arrow | None:
        if not _numbers(x) or not x.array:
            return None
        results = _values_arrow(Values(list(found)))  # arrow is loaded: x is an arrow column
        if results is None:
            return None
        pa, pc = arrow.pa, arrow.pc
        if not table.bounds:
            chosen = pa.repeat(pa.scalar(0, pa.int32()), len(x.data))
        else:
            common = _common(x, Operand(pa.array(list(table.bounds))))
            at = x.data.cast(common)
            chosen = None
            for bound in table.bounds:  # the row: how many upper bounds x is above
                above = pc.greater(at, pa.scalar(bound).cast(common)).cast(pa.int32())
                chosen = above if chosen is None else pc.add(chosen, above)
        exps = None if results.exps is None else pc.take(results.exps, chosen)
        return Arrow(pc.take(results.data, chosen), exps)

    return kernel


def _values_arrow(vector: Values) -> Arrow | None:
    from .vectors import to_arrow

    return to_arrow(vector.items)


def fast_prorate(x: Operand, days: Operand, period_days: Operand) -> Arrow | None:
    """``prorate(x)`` for rows employed the whole period: x × d ÷ d is exactly x (Decimal's
    quotient keeps x's exponent); any other row declines."""
    pa, pc = arrow.pa, arrow.pc
    if not (_numbers(x, days, period_days) and x.array):
        return None
    if x.array and fit(x.data, x.exps) is None:
        return None
    whole = pc.equal(days.data.cast(pa.decimal128(10, 0)), period_days.data.cast(
        pa.decimal128(10, 0)))  # fmt: skip
    if not _all(whole):
        return None
    largest = pc.max(pc.abs(x.data)).as_py() if len(x.data) else None
    if largest and largest.adjusted() + 1 + x.scale > MAX_DIGITS - 2:
        return None  # x × days might need more than 28 digits before the division
    return Arrow(x.data, x.exps)


def _all(mask: Any) -> bool:
    if isinstance(mask, arrow.pa.Scalar):
        return bool(mask.as_py())
    return bool(arrow.pc.all(mask).as_py())


#: The arrow kernel of each operator, by its syntax node (division and powers have none).
FAST: dict[type, Fast] = {
    ast.Add: _fast_sum(True),
    ast.Sub: _fast_sum(False),
    ast.Mult: _fast_multiply,
    ast.USub: _fast_negate,
    ast.UAdd: _fast_plus,
    ast.Not: _fast_not,
    **{op: _fast_compare(op) for op in _COMPARISONS},
}

#: The arrow kernels of the functions that have one.
FAST_FUNCTIONS: dict[str, Fast] = {
    "min": _fast_extreme(True),
    "max": _fast_extreme(False),
    "abs": _fast_abs,
    "prorate": fast_prorate,
}


def operator(op: type, vectors: Sequence[Vector], size: int) -> Vector:
    """A unary or binary operator (not ``**``) over columns."""
    return apply(values.OPERATORS[op], FAST.get(op), vectors, size)


def round_to(
    vector: Vector, places: int, mode: Rounding, size: int, symbol: str = "round"
) -> Vector:
    """``round(x, n)`` (and ``floor``, ``ceil``, ``truncate``) over a column."""
    return apply(
        lambda x: values.rounded(x, places, mode, symbol), fast_round(places, mode), [vector], size
    )


def amounts(vector: Vector) -> Vector:
    """A pay line's values, each of which must be an amount (a fault where it is not)."""
    if isinstance(vector, Arrow) and vector.kind is Kind.NUMBER and vector.data.null_count == 0:
        return vector
    return apply(values.amount, None, [vector], len(vector))


def total(vector: Vector) -> Decimal:
    """Σ of a column of numbers, added one by one from 0 as Decimal adds them."""
    if isinstance(vector, Arrow) and vector.kind is Kind.NUMBER and vector.data.null_count == 0:
        pa, pc = arrow.pa, arrow.pc
        if len(vector.data) == 0:
            return Decimal(0)
        found = pc.sum(vector.data).as_py()
        lowest = -vector.scale if vector.exps is None else int(pc.min(vector.exps).as_py())
        summed = found.quantize(Decimal(1).scaleb(min(lowest, 0)))
        if decimal_shape(summed) is not None:
            return summed  # type: ignore[no-any-return]
        del pa
    result = Decimal(0)
    for value in vector.values():
        result += value
    return result
