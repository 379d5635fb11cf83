"""Year to date: what the earlier periods of the calendar year paid, per employee.

A formula reads ``ytd(x)``: Σ x over the months of the year before the period, as paid.  Each
month is one :class:`Month`: a closed period as recorded when it was closed, a period not closed
yet as computed from its own data and policy version, or the opening balances of a company that
starts mid-year (one entry covering January to its ``through`` month).  Finding them reads the
disk (:mod:`innerpay.run`); this module only holds and sums them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..numbers import ZERO
from ..periods import Period

#: The names besides the pay lines that every month keeps for each employee.
TOTALS = ("gross", "deductions", "net", "arrears")


class Source(StrEnum):
    """Where an earlier month's amounts come from."""

    CLOSED = "closed"  # recorded when it was closed (results.json of the closed period)
    COMPUTED = "computed"  # not closed: computed from its data and policy version
    OPENING = "opening"  # opening balances, January to the month given

    def describe(self, month: Month) -> str:
        """How a run and `explain` say it."""
        if self is Source.OPENING:
            return "opening balances"
        if self is Source.CLOSED:
            return "closed"
        return f"not closed: computed under policy {month.version}"


@dataclass(frozen=True)
class Month:
    """One earlier month of the year (or the opening balances), per employee: name → amount."""

    period: Period  # the month (the opening balances: their first month, January)
    source: Source
    amounts: dict[str, dict[str, Decimal]]  # name → employee → amount (those paid that month)
    names: frozenset[str]  # the names this month holds (its version's lines, the totals)
    version: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # what was read for it → sha256
    through: Period | None = None  # the opening balances: the last month they cover

    @property
    def label(self) -> str:
        """``2024-02`` or ``2024-01..2024-06`` for opening balances."""
        if self.through is not None and self.through != self.period:
            return f"{self.period}..{self.through}"
        return str(self.period)

    def amount(self, employee: str, name: str) -> Decimal:
        """What the employee had of ``name`` this month (nothing: not on the payroll)."""
        return self.amounts.get(name, {}).get(employee, ZERO)


@dataclass(frozen=True)
class YearToDate:
    """The earlier months of the year, in order."""

    period: Period  # the period they lead up to
    months: tuple[Month, ...] = ()

    def totals(self, name: str) -> dict[str, Decimal]:
        """Σ ``name`` over the earlier months, for every employee who had it."""
        found: dict[str, Decimal] = {}
        for month in self.months:
            for employee, amount in month.amounts.get(name, {}).items():
                found[employee] = found[employee] + amount if employee in found else amount
        return found

    def contributions(self, employee: str, name: str) -> list[tuple[Month, Decimal]]:
        """Each month's part of the employee's ``ytd(name)`` (for `explain`)."""
        return [(m, m.amount(employee, name)) for m in self.months]

    @property
    def inputs(self) -> dict[str, str]:
        """Every file the months were read from, with its sha256."""
        found: dict[str, str] = {}
        for month in self.months:
            found |= month.inputs
        return found


def months_employed(hired_on: object, period: Period) -> Decimal:
    """The months of the period's year the employee has been employed through the period: the
    hire month counts as a whole month (0 for someone hired after the period)."""
    import datetime as dt

    if not isinstance(hired_on, dt.date) or hired_on.year < period.year:
        return Decimal(period.month)
    if hired_on > period.last_day:
        return ZERO
    return Decimal(period.month - hired_on.month + 1)


__all__ = ["TOTALS", "Month", "Source", "YearToDate", "months_employed"]
