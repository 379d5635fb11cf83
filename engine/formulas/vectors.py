"""Columns of values: what the evaluator computes, one value per row of a batch.

A :class:`Vector` holds one value per row (an employee, a metric record, a ballot), in one of
three forms, all meaning the same Python values:

- :class:`Const`: the same value on every row (a literal, a parameter, the period's days);
- :class:`Values`: a list of Python values (Decimal, bool, text, date, None for an empty cell,
  a step table), where a row may hold a :class:`Fault`: the error that evaluating it raised;
- :class:`Arrow`: a pyarrow array (decimal128, bool, string, date32; null is an empty value),
  made only where pyarrow read the data.  A decimal array keeps every value's own Decimal
  exponent (``exps``, or the array's scale for all), so that it means exactly the Decimals the
  row would hold; it never holds a fault, a negative zero or more than 28 digits.

:class:`Rows` selects rows of a batch (the rows where a condition holds, for ``and``, ``or`` and
``x if c else y``); :func:`assemble` puts the pieces evaluated on each selection back together.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ..numbers import CONTEXT
from . import arrow
from .parse import FormulaError

#: Decimal's precision: a coefficient of more digits would be rounded.
MAX_DIGITS = 28


class Fault:
    """A row whose evaluation raised: the error, kept as the row's value."""

    __slots__ = ("error",)

    def __init__(self, error: FormulaError):
        self.error = error

    def __repr__(self) -> str:
        return f"Fault({self.error.message!r})"


class Kind(StrEnum):
    """The kind of every value of an :class:`Arrow` vector."""

    NUMBER = "number"
    BOOL = "bool"
    TEXT = "text"
    DATE = "date"


class Rows:
    """A selection of the rows of a batch of ``size`` rows: a boolean mask (arrow) or the
    positions selected (a list), each made from the other when asked for."""

    __slots__ = ("_mask", "_positions", "count", "size")

    def __init__(self, size: int, count: int, mask: Any = None, positions: Any = None):
        self.size, self.count = size, count
        self._mask, self._positions = mask, positions

    @classmethod
    def of_mask(cls, mask: Any) -> Rows:
        """The rows where an arrow boolean mask (without nulls) is true."""
        count = int(arrow.pc.sum(mask).as_py() or 0)
        return cls(len(mask), count, mask=mask)

    @classmethod
    def every(cls, size: int) -> Rows:
        """Every row."""
        return cls(size, size)

    @classmethod
    def of_positions(cls, size: int, positions: list[int]) -> Rows:
        """The rows at these positions (ascending)."""
        return cls(size, len(positions), positions=positions)

    @property
    def everything(self) -> bool:
        """Whether every row is selected."""
        return self.count == self.size

    def positions(self) -> list[int]:
        """The positions selected, ascending."""
        if self._positions is None:
            if self._mask is None:  # every row
                return list(range(self.size))
            self._positions = arrow.pc.indices_nonzero(self._mask).to_pylist()
        return list(self._positions)

    def mask(self) -> Any:
        """The selection as an arrow boolean mask."""
        if self._mask is None:
            flags = [self._positions is None] * self.size
            for k in self._positions or ():
                flags[k] = True
            self._mask = arrow.pa.array(flags, arrow.pa.bool_())
        return self._mask

    def is_arrow(self) -> bool:
        """Whether the selection was made as an arrow mask."""
        return self._mask is not None


class Vector:
    """One value per row; see the module's docstring for the three forms."""

    __slots__ = ()

    def __len__(self) -> int:
        raise NotImplementedError

    def values(self) -> list[Any]:
        """Every row's Python value (a :class:`Fault` where evaluating it raised)."""
        raise NotImplementedError

    def at(self, row: int) -> Any:
        """One row's Python value."""
        raise NotImplementedError

    def __getitem__(self, row: int) -> Any:
        return self.at(row)

    def take(self, rows: Rows) -> Vector:
        """The values of the rows selected."""
        raise NotImplementedError

    def faults(self) -> Iterator[tuple[int, FormulaError]]:
        """The rows whose evaluation raised, with the error."""
        return iter(())


class Const(Vector):
    """The same value on every one of ``size`` rows."""

    __slots__ = ("size", "value")

    def __init__(self, value: Any, size: int):
        self.value, self.size = value, size

    def __len__(self) -> int:
        return self.size

    def values(self) -> list[Any]:
        return [self.value] * self.size

    def at(self, row: int) -> Any:
        return self.value

    def take(self, rows: Rows) -> Vector:
        return Const(self.value, rows.count)

    def faults(self) -> Iterator[tuple[int, FormulaError]]:
        if type(self.value) is Fault:
            return ((row, self.value.error) for row in range(self.size))
        return iter(())


class Values(Vector):
    """A list of Python values."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def values(self) -> list[Any]:
        return self.items

    def at(self, row: int) -> Any:
        return self.items[row]

    def take(self, rows: Rows) -> Vector:
        if rows.everything:
            return self
        items = self.items
        return Values([items[k] for k in rows.positions()])

    def faults(self) -> Iterator[tuple[int, FormulaError]]:
        return ((k, v.error) for k, v in enumerate(self.items) if type(v) is Fault)


class Arrow(Vector):
    """A pyarrow array; a decimal array with ``exps`` (int32) holds values whose exponents
    differ from its scale."""

    __slots__ = ("data", "exps")

    def __init__(self, data: Any, exps: Any = None):
        self.data, self.exps = data, exps

    def __len__(self) -> int:
        return len(self.data)

    @property
    def kind(self) -> Kind:
        """What the array holds."""
        return kind_of(self.data.type)

    @property
    def scale(self) -> int:
        """The scale of a decimal array."""
        return int(self.data.type.scale)

    def values(self) -> list[Any]:
        items = self.data.to_pylist()
        if self.exps is None:
            return items  # type: ignore[no-any-return]
        return [
            v if v is None else v.quantize(Decimal(1).scaleb(e), context=CONTEXT)
            for v, e in zip(items, self.exps.to_pylist(), strict=True)
        ]

    def at(self, row: int) -> Any:
        value = self.data[row].as_py()
        if self.exps is not None and value is not None:
            value = value.quantize(Decimal(1).scaleb(self.exps[row].as_py()), context=CONTEXT)
        return value

    def take(self, rows: Rows) -> Vector:
        if rows.everything:
            return self
        pc = arrow.pc
        if rows.is_arrow():
            mask = rows.mask()
            return Arrow(pc.filter(self.data, mask), _maybe(pc.filter, self.exps, mask))
        at = arrow.pa.array(rows.positions(), arrow.pa.int64())
        return Arrow(pc.take(self.data, at), _maybe(pc.take, self.exps, at))


def _maybe(function: Any, exps: Any, *args: Any) -> Any:
    return None if exps is None else function(exps, *args)


def kind_of(kind: Any) -> Kind:
    """The kind of an arrow type innerpay makes."""
    pa = arrow.pa
    if pa.types.is_decimal(kind):
        return Kind.NUMBER
    if pa.types.is_boolean(kind):
        return Kind.BOOL
    if pa.types.is_date(kind):
        return Kind.DATE
    return Kind.TEXT


# --- Python values and arrow ---------------------------------------------------------------


def decimal_shape(value: Decimal) -> tuple[int, int] | None:
    """(integer digits, scale) of a Decimal an arrow decimal holds exactly, or None (not finite,
    a negative zero, a positive exponent, more than 28 digits)."""
    if not value.is_finite():
        return None
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent > 0 or len(digits) > MAX_DIGITS or (sign and not any(digits)):
        return None
    return max(len(digits) + exponent, 0), -exponent


def arrow_type(values: Sequence[Any]) -> Any:
    """The arrow type that holds these Python values exactly (None: an empty value), or None."""
    pa = arrow.pa
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) != 1:
        return None if kinds else pa.null()
    kind = kinds.pop()
    if kind is Decimal:
        shapes = [decimal_shape(v) for v in values if v is not None]
        if any(s is None for s in shapes):
            return None
        whole = max(s[0] for s in shapes)  # type: ignore[index]
        scale = max(s[1] for s in shapes)  # type: ignore[index]
        if whole + scale > MAX_DIGITS + 10:
            return None
        return pa.decimal128(max(whole + scale, 1), scale)
    import datetime as dt

    return {bool: pa.bool_(), str: pa.string(), dt.date: pa.date32()}.get(kind)


def _decimals_arrow(values: Sequence[Any]) -> Arrow | None:
    """Decimals (or None) as an arrow decimal column with their exponents, each Decimal's shape
    read once; None where arrow cannot hold one exactly (see :func:`decimal_shape`)."""
    exponents: list[int] = []
    whole = scale = 0
    for v in values:
        if v is None:
            exponents.append(0)
            continue
        if type(v) is not Decimal or not v.is_finite():
            return None
        sign, digits, exponent = v.as_tuple()
        assert isinstance(exponent, int)
        if exponent > 0 or len(digits) > MAX_DIGITS or (sign and not any(digits)):
            return None
        whole = max(whole, len(digits) + exponent)
        scale = max(scale, -exponent)
        exponents.append(exponent)
    if whole + scale > MAX_DIGITS + 10:
        return None
    pa = arrow.pa
    data = pa.array(values, pa.decimal128(max(whole + scale, 1), scale))
    wanted = -scale
    exps = None
    if any(e != wanted for v, e in zip(values, exponents, strict=True) if v is not None):
        exps = pa.array(
            [wanted if v is None else e for v, e in zip(values, exponents, strict=True)], pa.int32()
        )
    return Arrow(data, exps)  # fmt: skip


def to_arrow(values: Sequence[Any]) -> Arrow | None:
    """Python values as an :class:`Arrow` vector, or None where one cannot hold them exactly."""
    first = next((v for v in values if v is not None), None)
    if type(first) is Decimal:
        return _decimals_arrow(values)
    kind = arrow_type(values)
    if kind is None or arrow.pa.types.is_null(kind):
        return None
    data = arrow.pa.array(values, kind)
    exps = None
    if arrow.pa.types.is_decimal(kind):
        wanted = -kind.scale
        exponents = [wanted if v is None else v.as_tuple().exponent for v in values]
        if any(e != wanted for e in exponents):
            exps = arrow.pa.array(exponents, arrow.pa.int32())
    return Arrow(data, exps)


def scalar(value: Any) -> Any:
    """A Python value as an arrow scalar, or None where one cannot hold it exactly."""
    kind = arrow_type([value])
    if kind is None:
        return None
    return arrow.pa.scalar(value, kind)


# --- putting pieces back together ----------------------------------------------------------------


def assemble(size: int, pieces: Sequence[tuple[Rows, Vector]]) -> Vector:
    """One vector of ``size`` rows from pieces evaluated on disjoint selections that cover them."""
    pieces = [(rows, v) for rows, v in pieces if rows.count]
    if len(pieces) == 1:
        return pieces[0][1]
    if not pieces:
        return Values([])
    if all(isinstance(v, Const) for _, v in pieces):
        first = pieces[0][1]
        assert isinstance(first, Const)
        if all(_same(v.value, first.value) for _, v in pieces):  # type: ignore[attr-defined]
            return Const(first.value, size)
    if any(isinstance(v, Arrow) for _, v in pieces) or any(r.is_arrow() for r, _ in pieces):
        made = _assemble_arrow(size, pieces)
        if made is not None:
            return made
    items: list[Any] = [None] * size
    for rows, vector in pieces:
        for k, value in zip(rows.positions(), vector.values(), strict=True):
            items[k] = value
    return Values(items)


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and (a is b or (type(a) is not Fault and str(a) == str(b)))


def _assemble_arrow(size: int, pieces: Sequence[tuple[Rows, Vector]]) -> Arrow | None:
    """The pieces merged as one arrow array, or None where their kinds differ or a piece holds
    what arrow cannot."""
    pa, pc = arrow.pa, arrow.pc
    parts: list[tuple[Rows, Any, Any]] = []  # rows, data (array or scalar), exps
    for rows, vector in pieces:
        if isinstance(vector, Arrow):
            parts.append((rows, vector.data, vector.exps))
        elif isinstance(vector, Const):
            value = scalar(vector.value)
            if value is None:
                return None
            parts.append((rows, value, None))
        else:
            return None
    # a piece of empty values only (the false side of `x and ...` where x is empty) takes the
    # others' type
    parts = [(r, pa.nulls(r.count) if _all_null(d) else d, e) for r, d, e in parts]
    types = [p[1].type for p in parts if not pa.types.is_null(p[1].type)]
    if not types:
        return None
    scale = 0
    if all(pa.types.is_decimal(t) for t in types):
        whole = max(t.precision - t.scale for t in types)
        scale = max(t.scale for t in types)
        if whole + scale > 38:
            return None
        target = pa.decimal128(max(whole + scale, 1), scale)
        uniform = len({t.scale for t in types}) == 1 and all(p[2] is None for p in parts)
    elif len({str(t) for t in types}) == 1:
        target, uniform = types[0], True
    else:
        return None
    # booleans are merged as bytes: replacing bits one by one is eight times slower (bench)
    merged = pa.int8() if pa.types.is_boolean(target) else target
    result = pa.nulls(size, merged)
    exps = None if uniform else pa.nulls(size, pa.int32())
    for rows, data, piece_exps in parts:
        if pa.types.is_null(data.type) or (isinstance(data, pa.Scalar) and not data.is_valid):
            continue  # the result starts as empty values
        mask = rows.mask()
        own = -data.type.scale if pa.types.is_decimal(data.type) else -scale
        if isinstance(data, pa.Scalar):
            value = data.cast(target) if data.is_valid else pa.scalar(None, target)
            data = pa.repeat(value, rows.count)
        result = pc.replace_with_mask(result, mask, data.cast(target).cast(merged))
        if exps is not None:
            if piece_exps is None:
                piece_exps = pa.repeat(pa.scalar(own, pa.int32()), rows.count)
            exps = pc.replace_with_mask(exps, mask, piece_exps)
    return Arrow(result.cast(target) if merged != target else result, exps)


def _all_null(data: Any) -> bool:
    if isinstance(data, arrow.pa.Scalar):
        return not data.is_valid
    return bool(data.null_count == len(data))


def python_values(vector: Vector, size: int) -> Iterator[Any]:
    """Every row's value, without making a list of a constant."""
    if isinstance(vector, Const):
        return itertools.repeat(vector.value, size)
    return iter(vector.values())
