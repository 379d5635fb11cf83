"""Cells: the text of a data file typed, a whole column at a time, every bad cell said.

A cell's type is decided here once: :func:`parse_money`, :func:`parse_date`, ... for the columns
a policy declares (employee fields), :func:`infer_cell` for the columns a metric formula reads.
:func:`type_column` and :func:`infer_column` apply them to a column and give the typed column
with the problem of every bad cell; where the column is an arrow array, a faster kernel checks
every cell at once and types it in C, and leaves any column with a bad or unusual cell to the
cell-by-cell kernel (``tests/test_cells.py`` holds the two to the same columns and problems).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..formulas import arrow
from ..formulas.vectors import MAX_DIGITS, Arrow, Values, Vector
from ..numbers import INTEGER_RE, MONEY_RE, parse_decimal
from ..policy.model import FieldKind
from .columns import plain

_fromisoformat = dt.date.fromisoformat
ID_RE = re.compile(r"[A-Za-z0-9_.-]+\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_NUMBERISH = re.compile(r"[-+]?[¥$€£]?[-+]?[0-9０-９][0-9０-９,，._]*([eE][-+]?[0-9]+)?%?\Z")
_NAN = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says what was expected."""


def parse_date(text: str) -> dt.date:
    """An ISO date ``YYYY-MM-DD``."""
    if not DATE_RE.match(text):
        raise CellError(f"'{text}' is not a date; write it as YYYY-MM-DD, like 2024-05-31")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"'{text}' is not a calendar date") from None


def parse_money(text: str) -> Decimal:
    """Money: ``-?digits[.dd]``."""
    if not MONEY_RE.match(text):
        raise CellError(
            f"'{text}' is not an amount; write digits with an optional minus and up to two "
            "decimals, like 12000.00"
        )
    return Decimal(text)


def parse_amount(text: str) -> Decimal:
    """Money that is never negative (an employee's money field, an adjustment's amount)."""
    value = parse_money(text)
    if value < 0:
        raise CellError(f"'{text}' is below zero; an amount here is never negative (a field "
                        "that may be is declared decimal)")  # fmt: skip
    return value


def parse_number(text: str) -> Decimal:
    """A plain decimal number ``-?digits[.digits]``."""
    value = parse_decimal(text)
    if value is None:
        raise CellError(f"'{text}' is not a number; write plain digits like 1234.5")
    return value


def parse_integer(text: str) -> Decimal:
    """A whole number ``-?digits``."""
    if not INTEGER_RE.match(text):
        raise CellError(f"'{text}' is not a whole number")
    return Decimal(text)


def parse_id(text: str) -> str:
    """An id: ASCII letters, digits, ``_``, ``.`` and ``-``, not dots only."""
    if not ID_RE.match(text) or set(text) == {"."}:
        raise CellError(f"'{text}' is not an id; ids are ASCII letters, digits, '_', '.' and '-'")
    return text


def parse_text(text: str) -> str:
    """Text, as written."""
    return text


def parse_label(text: str) -> str:
    """A text a formula compares (a role, a declared text field): no space at either end, which
    would make ``role == "manager"`` silently false."""
    if text != text.strip():
        end = "its end" if text[-1:].isspace() else "its start"
        raise CellError(f"'{text}' has a space at {end}; remove it (a formula compares it as "
                        "written)")  # fmt: skip
    return text


#: The parser of each declared field kind.
PARSERS: dict[FieldKind, Callable[[str], Any]] = {
    FieldKind.MONEY: parse_amount,
    FieldKind.DECIMAL: parse_number,
    FieldKind.INTEGER: parse_integer,
    FieldKind.DATE: parse_date,
    FieldKind.TEXT: parse_label,
}


def infer_cell(text: str) -> Any:
    """A metric table cell: empty → None, ISO date → date, number → Decimal, else text.

    Text that looks like a number but is not plain (``12,000.00``, ``1.23E+17``, ``NaN``,
    ``１２３``) is an error rather than text, so that it never silently fails a condition.
    """
    if text == "":
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # the common case, without a regular expression: fromisoformat takes ASCII only
            return _fromisoformat(text)
        except ValueError:
            pass
    if DATE_RE.match(text):
        return parse_date(text)
    value = parse_decimal(text)
    if value is not None:
        return value
    if _NUMBERISH.match(text) or text.strip().lower() in _NAN:
        raise CellError(f"'{text}' is not a plain number; write digits like 12000.00")
    if re.fullmatch(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}", text):
        raise CellError(f"'{text}' is not an ISO date; write it as YYYY-MM-DD")
    return text


def texts(column: Vector) -> list[str]:
    """A column of cells as text, an empty cell as ``""`` (arrow reads it as null)."""
    return ["" if t is None else t for t in column.values()]


@dataclass(frozen=True)
class Typed:
    """A column typed: a value per row (None where the cell is empty or bad), and the problem
    of every bad cell by row."""

    column: Vector
    problems: dict[int, str]


def type_column(column: Vector, name: str, parse: Callable[[str], Any], required: bool) -> Typed:
    """Every cell of a column read by ``parse`` (an empty one is a problem when ``required``,
    else None)."""
    if isinstance(column, Arrow):
        fast = _fast_type(column, parse, required)
        if fast is not None:
            return Typed(fast, {})

    def one(text: str) -> Any:
        if text == "":
            if required:
                raise CellError(f"{name} is empty")
            return None
        try:
            return parse(text)
        except CellError as exc:
            raise CellError(f"{name}: {exc}") from None

    return cell_by_cell(column, one)


def cell_by_cell(column: Vector, typed: Callable[[str], Any]) -> Typed:
    """Every cell typed by ``typed``, one after the other; a cell it refuses is None, with its
    problem."""
    made: list[Any] = []
    problems: dict[int, str] = {}
    for row, text in enumerate(texts(column)):
        try:
            made.append(typed(text))
        except CellError as exc:
            problems[row] = str(exc)
            made.append(None)
    return Typed(Values(made), problems)


_PATTERNS: dict[Callable[[str], Any], str] = {
    parse_money: r"^-?[0-9]+(\.[0-9]{1,2})?$",
    parse_amount: r"^[0-9]+(\.[0-9]{1,2})?$",
    parse_label: r"^(\S|\S.*\S)$",
    parse_number: r"^-?[0-9]+(\.[0-9]+)?$",
    parse_integer: r"^-?[0-9]+$",
    parse_date: r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    parse_id: r"^[A-Za-z0-9_.-]+$",
}


def _fast_type(column: Arrow, parse: Callable[[str], Any], required: bool) -> Vector | None:
    """The arrow kernel of :func:`type_column`: every cell checked at once; None (the
    cell-by-cell kernel) for a column with a bad cell, or an empty one that is required."""
    pa, pc = arrow.pa, arrow.pc
    data = plain(column)
    if not pa.types.is_string(data.type) or (required and data.null_count):
        return None
    if parse is parse_text:
        return Arrow(data)
    present = pc.drop_null(data)
    if len(present) and not pc.all(pc.match_substring_regex(present, _PATTERNS[parse])).as_py():
        return None
    if parse is parse_label:
        return Arrow(data)
    if parse is parse_id:
        if len(present) and pc.any(pc.match_substring_regex(present, r"^\.+$")).as_py():
            return None
        return Arrow(data)
    if parse is parse_date:
        return _dates(data)
    return _numbers(data)


def _dates(data: Any) -> Vector | None:
    """ISO date texts as dates; None where one is not a calendar date."""
    pa, pc = arrow.pa, arrow.pc
    distinct = pc.unique(pc.drop_null(data))
    try:
        days = pa.array([_fromisoformat(t) for t in distinct.to_pylist()], pa.date32())
    except ValueError:
        return None
    return Arrow(pc.take(days, pc.index_in(data, value_set=distinct)))


def _numbers(data: Any) -> Vector | None:
    """Plain number texts as decimals keeping each one's exponent; None where one needs more
    digits than Decimal keeps."""
    pa, pc = arrow.pa, arrow.pc
    dot = pc.find_substring(data, ".")
    places = pc.if_else(pc.less(dot, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(data), dot), 1))
    scale = int(pc.max(places).as_py() or 0)
    before = pc.if_else(pc.less(dot, 0), pc.utf8_length(data), dot)  # with a minus, if any
    whole = int(pc.max(before).as_py() or 0)
    if scale > 18 or whole + scale > 38 or whole > MAX_DIGITS + 1:
        return None
    if pc.any(pc.match_substring_regex(data, r"^-0*(\.0*)?$")).as_py():
        return None  # a negative zero
    values = data.cast(pa.decimal128(max(whole + scale, 1), scale))
    low = int(pc.min(places).as_py() or 0)
    exps = None if low == scale else pc.negate(places.cast(pa.int32()))
    return Arrow(values, exps)


def infer_column(column: Vector, name: str) -> Typed:
    """Every cell of a metric table's column typed as :func:`infer_cell` types it."""
    if isinstance(column, Arrow):
        fast = _fast_infer(column)
        if fast is not None:
            return Typed(fast, {})

    def one(text: str) -> Any:
        try:
            return infer_cell(text)
        except CellError as exc:
            raise CellError(f"{name}: {exc}") from None

    return cell_by_cell(column, one)


_SUSPECT = r"[0-9０-９]|^\s*(nan|inf|-inf|\+inf|infinity|-infinity)\s*$"


def _fast_infer(column: Arrow) -> Vector | None:
    """The arrow kernel of :func:`infer_column`: a column whose cells are all dates, all plain
    numbers or all text without digits (or empty); None for any other."""
    pa, pc = arrow.pa, arrow.pc
    data = column.data
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if pa.types.is_dictionary(data.type):
        distinct, indices = data.dictionary, data.indices
    else:
        distinct = pc.unique(data)
        indices = pc.index_in(data, value_set=distinct)
    distinct_present = pc.drop_null(distinct)
    if len(distinct_present) == 0 or data.null_count == len(data):
        return Arrow(pa.nulls(len(data), pa.string()))
    if pc.all(pc.match_substring_regex(distinct_present, _PATTERNS[parse_date])).as_py():
        try:
            days = [None if t is None else _fromisoformat(t) for t in distinct.to_pylist()]
        except ValueError:
            return None  # not a calendar date: the cell-by-cell kernel says which
        return Arrow(pc.take(pa.array(days, pa.date32()), indices))
    if pc.all(pc.match_substring_regex(distinct_present, _PATTERNS[parse_number])).as_py():
        return _numbers(pc.take(distinct, indices))
    if pc.any(pc.match_substring_regex(distinct_present, _SUSPECT, ignore_case=True)).as_py():
        return None  # numbers or dates written oddly: errors, or text the cell kernel types
    return Arrow(pc.take(distinct, indices))
