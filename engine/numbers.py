"""Numbers: the only way innerpay makes a number.

Money never passes through a float.  Every number comes from its text (YAML, CSV, a formula
literal), checked against a pattern before Decimal reads it, and all arithmetic runs in
:data:`CONTEXT`, whatever the caller's decimal context is, so results do not depend on the
machine.  Formatting for people is here too, used only by rendering.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

#: 28 significant digits and Decimal's own rounding; errors trap instead of giving NaN/Infinity.
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
#: :data:`CONTEXT` for the operations that are exact when their result fits (+, -, ×, a whole
#: power): one that would be rounded to 28 digits raises Inexact instead, so that a value
#: never loses digits silently before it is rounded to the cent.
EXACT = CONTEXT.copy()
EXACT.traps[decimal.Inexact] = True
#: A quotient at least this large is refused: 28 significant digits would leave it fewer than
#: eight decimals, and its rounding to the cent would no longer be to the exact value's.
MAX_QUOTIENT = Decimal(10) ** 20


class Rounding(StrEnum):
    """A rounding mode: a policy's (SPEC.md: every pay line is rounded to 0.01 with it), a pay
    line's own, or that of floor(), ceil() and truncate()."""

    HALF_UP = "half_up"  # halves away from zero
    HALF_EVEN = "half_even"  # halves to the even neighbour
    FLOOR = "floor"  # down, towards minus infinity
    CEILING = "ceiling"  # up, towards plus infinity
    TRUNCATE = "truncate"  # towards zero

    @property
    def decimal(self) -> str:
        """The mode as the decimal module names it."""
        return _DECIMAL[self]


_DECIMAL = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.FLOOR: decimal.ROUND_FLOOR,
    Rounding.CEILING: decimal.ROUND_CEILING,
    Rounding.TRUNCATE: decimal.ROUND_DOWN,
}


CENT = Decimal("0.01")
ZERO = Decimal("0")
ONE = Decimal("1")

DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
MONEY_RE = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?\Z")
INTEGER_RE = re.compile(r"-?[0-9]+\Z")


def parse_decimal(text: str) -> Decimal | None:
    """The Decimal written as plain ``-?digits[.digits]``, or None for anything else."""
    return Decimal(text) if DECIMAL_RE.match(text) else None


def round_money(value: Decimal, mode: Rounding) -> Decimal:
    """Round to 0.01 with a policy rounding mode."""
    return value.quantize(CENT, rounding=mode.decimal, context=CONTEXT)


def no_negative_zero(value: Decimal) -> Decimal:
    """``-0.00`` as ``0.00`` (Decimal keeps a zero's sign; no output shows it)."""
    return value.copy_abs() if value.is_zero() else value


def money_str(value: Decimal) -> str:
    """Money as results.json and payroll.csv hold it: two decimals, no exponent, no grouping;
    never ``-0.00``."""
    value = no_negative_zero(value)
    text = str(value)
    if len(text) > 3 and text[-3] == "." and "E" not in text:
        return text  # already in cents, as every rounded line and every sum of them is
    return f"{value.quantize(CENT, context=CONTEXT):f}"


def rate_str(value: Decimal) -> str:
    """A rate's exact Decimal text (SPEC.md: rates keep their exact Decimal string)."""
    return str(value)


#: The most decimal places of a percentage shown to keep a rate on its side of a threshold.
MOST_PLACES = 10


def _side(x: Decimal, t: Decimal) -> int:
    return (x > t) - (x < t)


def percent_str(value: Decimal, places: int = 2, against: Iterable[Decimal] = ()) -> str:
    """A rate for display: ``0.9`` → ``90.00%`` (rounded half-even only for display).

    The one display rule for rates: shown with ``places`` decimals, or as many more as it takes
    for the shown value to fall on the same side of every rate ``against`` (a target, a gate's
    minimum) as the exact value does: 0.89995 against 0.90 shows 89.995%, never 90.00%.  Past
    :data:`MOST_PLACES`, it is rounded toward the side it is on.
    """
    scaled = value * 100
    marks = [t * 100 for t in against]
    for shown_places in range(places, MOST_PLACES + 1):
        shown = scaled.quantize(Decimal(1).scaleb(-shown_places), context=CONTEXT)
        if all(_side(shown, t) == _side(scaled, t) for t in marks):
            return f"{shown:f}%"
    below = any(_side(scaled, t) < 0 for t in marks)
    toward = decimal.ROUND_FLOOR if below else decimal.ROUND_CEILING
    shown = scaled.quantize(Decimal(1).scaleb(-MOST_PLACES), rounding=toward, context=CONTEXT)
    return f"{shown:f}%"


def target_str(value: Decimal, places: int = 0) -> str:
    """A target or a gate's minimum as written: ``0.9`` → ``90%``, ``0.955`` → ``95.5%`` (never
    rounded to another number)."""
    return percent_str(value, places, against=[value])


def compared(value: Decimal, threshold: Decimal, what: str = "met") -> str:
    """A rate against its threshold, as a true statement: ``92.31% ≥ 90.00%: met`` or
    ``83.33% < 90.00%: not met`` (each shown by :func:`percent_str`'s rule)."""
    shown, mark = percent_str(value, against=[threshold]), target_str(threshold, 2)
    if value >= threshold:
        return f"{shown} ≥ {mark}: {what}"
    return f"{shown} < {mark}: not {what}"


def grouped(value: Decimal) -> str:
    """Money for people: ``12345.6`` → ``12,345.60`` (never ``-0.00``)."""
    return f"{no_negative_zero(value.quantize(CENT, context=CONTEXT)):,.2f}"
