"""Periods: a calendar month named ``YYYY-MM``."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

PERIOD_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])\Z")


class PeriodError(ValueError):
    """A period that is not ``YYYY-MM``; the message teaches the format."""


@dataclass(frozen=True, order=True)
class Period:
    """One month: ``Period.parse("2024-05")``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``YYYY-MM``; anything else raises :class:`PeriodError` explaining the format."""
        match = PERIOD_RE.match(str(text))
        if not match:
            raise PeriodError(f"period '{text}' is not of the form YYYY-MM (for example 2024-05)")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        """The first calendar day of the month."""
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        """The last calendar day of the month."""
        return dt.date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        """The month's length in days (29 in 2024-02)."""
        return calendar.monthrange(self.year, self.month)[1]

    def previous(self) -> Period:
        """The month before."""
        if self.month == 1:
            return Period(self.year - 1, 12)
        return Period(self.year, self.month - 1)

    def next(self) -> Period:
        """The month after."""
        if self.month == 12:
            return Period(self.year + 1, 1)
        return Period(self.year, self.month + 1)
