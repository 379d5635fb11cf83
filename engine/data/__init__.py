"""Period data: files → text columns (``tables``) → typed columns (``cells``, ``roster``) →
metric tallies (``tally``) → :class:`PeriodData` (``period``)."""

from .period import (
    Adjustment,
    Ballots,
    Candidate,
    PeriodData,
    assemble,
    load_period,
    load_tables,
    period_folder,
)
from .roster import Employee, Roster, employed_days
from .tally import Tallies, Tally

__all__ = [
    "Adjustment",
    "Ballots",
    "Candidate",
    "Employee",
    "PeriodData",
    "Roster",
    "Tallies",
    "Tally",
    "assemble",
    "employed_days",
    "load_period",
    "load_tables",
    "period_folder",
]
