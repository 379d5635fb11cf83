"""One value: what every operator and function of a formula means, in Decimal.

These functions are the meaning of a formula, and the Decimal kernel of every operator: the
evaluator (:mod:`innerpay.formulas.evaluator`) applies them row by row wherever no faster kernel
can vouch for its result (:mod:`innerpay.formulas.kernels`), and every faster kernel is held to
them by a property test.  Each raises :class:`~innerpay.formulas.parse.FormulaError` with the
message a user reads; they run in :data:`~innerpay.numbers.CONTEXT`.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..numbers import CONTEXT, EXACT, MAX_QUOTIENT, Rounding
from .parse import BandTable, FormulaError, MissingValue, StepTable, Unavailable

#: What a name, an operator or a function of a formula gives for one row: a number, a
#: condition, a text, a date, a step or band table (a parameter), or nothing (an empty cell).
Value = Decimal | bool | str | dt.date | StepTable | BandTable | None


def describe(value: object) -> str:
    """A value's kind, for messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the condition {value}"
    if isinstance(value, Decimal):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, StepTable):
        return "a step table"
    if isinstance(value, BandTable):
        return "a band table"
    return type(value).__name__  # pragma: no cover - no other values exist


def number(value: Value, symbol: str) -> Decimal:
    """``value`` where ``symbol`` needs a number."""
    if type(value) is Decimal:
        return value
    if value is None:
        raise MissingValue(f"'{symbol}' needs a value but got an empty one")
    raise FormulaError(f"'{symbol}' needs numbers, got {describe(value)}")


def read(name: str, value: Value | Unavailable) -> Value:
    """A name's value as a formula reads it (a name this employee does not have says why)."""
    if isinstance(value, Unavailable):
        raise FormulaError(f"'{name}' has no value here: {value.reason}", name)
    return value


def undefined(name: str) -> FormulaError:
    """The error of a name that nothing defines here."""
    return FormulaError(f"name '{name}' is not defined here", name)


def _arith(
    symbol: str, fn: Callable[[Decimal, Decimal], Decimal]
) -> Callable[[Value, Value], Decimal]:
    def apply(left: Value, right: Value) -> Decimal:
        a, b = number(left, symbol), number(right, symbol)
        if symbol == "/":
            result = fn(a, b)
            if abs(result) >= MAX_QUOTIENT:
                raise FormulaError(f"{a} / {b} is {result:.3E}: too large to round to the cent "
                                   "exactly (innerpay keeps 28 significant digits)")  # fmt: skip
            return result
        try:
            return fn(a, b)
        except decimal.Inexact:
            raise _too_many_digits(f"{a} {symbol} {b}") from None

    return apply


def _too_many_digits(what: str) -> FormulaError:
    return FormulaError(f"{what} needs more than 28 significant digits: it would be rounded "
                        "before the cent; the amounts are too large")  # fmt: skip


def power(left: Value, right: int) -> Decimal:
    """``left ** right``; the exponent is a checked literal whole number."""
    base = number(left, "**")
    try:
        return EXACT.power(base, right)
    except decimal.Inexact:
        if right < 0:  # a negative power is a division: rounded at 28 digits, like one
            return CONTEXT.power(base, right)
        raise _too_many_digits(f"{base} ** {right}") from None


def _comparable(left: Value, right: Value, symbol: str) -> None:
    if left is None or right is None:
        raise MissingValue(f"'{symbol}' compares an empty value")
    kinds = (type(left), type(right))
    if kinds[0] is not kinds[1]:
        raise FormulaError(f"'{symbol}' cannot compare {describe(left)} with {describe(right)}")
    if kinds[0] in (str, bool) and symbol not in ("==", "!="):
        raise FormulaError(f"'{symbol}' cannot order {describe(left)}; only == and != apply")
    if kinds[0] is StepTable:
        raise FormulaError("a step table cannot be compared; use step(table, x)")
    if kinds[0] is BandTable:
        raise FormulaError('a band table cannot be compared; use band(table, x, "column")')


def _compare(symbol: str, fn: Callable[[Any, Any], bool]) -> Callable[[Value, Value], bool]:
    def apply(left: Value, right: Value) -> bool:
        _comparable(left, right, symbol)
        return fn(left, right)

    return apply


def negate(value: Value) -> Decimal:
    """``-x``."""
    return -number(value, "-")


def plus(value: Value) -> Decimal:
    """``+x``."""
    return number(value, "+")


def truth(value: Value) -> bool:
    """A value as a condition: an empty value, zero and empty text are false."""
    return bool(value)


def negation(value: Value) -> bool:
    """``not x``."""
    return not value


#: The operators of a formula by their syntax node, as one value each.
OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _arith("+", EXACT.add),
    ast.Sub: _arith("-", EXACT.subtract),
    ast.Mult: _arith("*", EXACT.multiply),
    ast.Div: _arith("/", CONTEXT.divide),
    ast.Pow: power,
    ast.USub: negate,
    ast.UAdd: plus,
    ast.Not: negation,
    ast.Eq: _compare("==", operator.eq),
    ast.NotEq: _compare("!=", operator.ne),
    ast.Lt: _compare("<", operator.lt),
    ast.LtE: _compare("<=", operator.le),
    ast.Gt: _compare(">", operator.gt),
    ast.GtE: _compare(">=", operator.ge),
}


# --- the functions of SPEC.md, each checking its arguments ---------------------------------------


def step(table: Value, x: Value) -> Decimal:
    """``step(table, x)``: the value of the row with the greatest threshold <= x."""
    if not isinstance(table, StepTable):
        raise FormulaError(f"step(table, x): the table is {describe(table)}, not a step table")
    at = number(x, "step")
    found = None
    for threshold, value in table.rows:
        if threshold <= at:
            found = value
        else:
            break
    if found is None:
        raise FormulaError(f"step: {at} is below the table's lowest threshold {table.rows[0][0]}")
    return found


def band(table: Value, x: Value, column: str) -> Decimal:
    """``band(table, x, "column")``: the column's value in the first row whose upper bound is
    x or more (the last row: everything above)."""
    if not isinstance(table, BandTable):
        raise FormulaError(f'band(table, x, "{column}"): the table is {describe(table)}, not a '
                           "band table")  # fmt: skip
    at = number(x, "band")
    found = table.column(column)
    if found is None:
        raise FormulaError(f"band(): the table has no column '{column}'")
    row = next((k for k, bound in enumerate(table.bounds) if at <= bound), len(table.bounds))
    return found[row]


def prorate(x: Value, days: Value, period_days: Value) -> Decimal:
    """``prorate(x)``: x × employed_days ÷ period_days."""
    if not isinstance(days, Decimal) or not isinstance(period_days, Decimal):
        raise FormulaError("prorate() applies to employees only")
    return number(x, "prorate") * days / period_days


def minimum(*values: Value) -> Decimal:
    """``min(a, b, ...)``."""
    numbers: list[Decimal] = [number(v, "min") for v in values]
    return min(numbers)


def maximum(*values: Value) -> Decimal:
    """``max(a, b, ...)``."""
    numbers: list[Decimal] = [number(v, "max") for v in values]
    return max(numbers)


def absolute(value: Value) -> Decimal:
    """``abs(x)``."""
    return abs(number(value, "abs"))


def rounded(value: Value, places: int, mode: Rounding, symbol: str = "round") -> Decimal:
    """``round(x, n)`` with the policy's rounding mode, ``floor``, ``ceil``, ``truncate`` with
    theirs (n is a checked literal)."""
    exponent = Decimal(1).scaleb(-places)
    return number(value, symbol).quantize(exponent, rounding=mode.decimal)


#: The rounding mode of each rounding function other than round() (the policy's).
ROUNDING_FUNCTIONS = {
    "floor": Rounding.FLOOR,
    "ceil": Rounding.CEILING,
    "truncate": Rounding.TRUNCATE,
}


#: The functions of SPEC.md that take only values (step, prorate and round have their own
#: calls: a step table, the employee's days, a literal number of places).  A new function of
#: values is its arity in :data:`~innerpay.formulas.parse.PAY_FUNCTIONS` and its meaning here
#: (and, where one can be exact, an arrow kernel in :mod:`innerpay.formulas.kernels`).
FUNCTIONS: dict[str, Callable[..., Decimal]] = {
    "min": minimum,
    "max": maximum,
    "abs": absolute,
}


def amount(value: Value) -> Decimal:
    """A pay line's value, which must be an amount."""
    if type(value) is Decimal:
        return value
    if isinstance(value, bool):
        kind = "a condition (true/false)"
    elif value is None:
        kind = "no value"
    elif isinstance(value, str):
        kind = f"the text {value!r}"
    elif isinstance(value, dt.date):
        kind = "a date"
    else:
        kind = "a step table"
    raise FormulaError(f"the formula gave {kind}, not an amount")


def weight(value: Value) -> Decimal:
    """A metric row's weight, which must be a number."""
    if value is None:
        raise MissingValue("the weight is empty")
    if type(value) is not Decimal:
        raise FormulaError(f"the weight must be a number, not {describe(value)}")
    return value


def guarded(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)``, an arithmetic fault turned into the FormulaError that says what it
    was (the decimal context traps them instead of giving NaN or Infinity)."""
    try:
        return function(*args)
    except FormulaError:
        raise
    except decimal.DivisionByZero:
        raise FormulaError("division by zero") from None
    except (decimal.InvalidOperation, decimal.Overflow):
        raise FormulaError("the result is not a finite number") from None
