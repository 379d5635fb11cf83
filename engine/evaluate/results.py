"""Results: everything computed for one period, the one type that every output reads.

Slips, the reports, ``results.json``, ``payroll.csv``, ``diff``, ``explain`` and the ledger all
read a :class:`Results`.  Its employees are a :class:`Payroll`: each pay line, gross,
deductions and net as one column over the roster (as the evaluator computed them), and each
employee as an :class:`EmployeeResult` when one is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from ..data.period import Adjustment
from ..data.roster import Roster
from ..formulas.vectors import Vector
from ..numbers import ZERO
from ..periods import Period
from ..policy.model import LineKind, Policy
from .earlier import YearToDate

if TYPE_CHECKING:
    from .notes import LineNotes


class Flag(StrEnum):
    """A review flag of a department."""

    NO_CUSTOMER = "no_customer"
    BELOW_TARGET = "below_target"


class VoidReason(StrEnum):
    """Why a ballot is void, in the order the rules are checked."""

    INVALID_VOTE = "invalid_vote"
    UNKNOWN_VOTER = "unknown_voter"
    SELF_VOTE = "self_vote"
    OUTSIDE_ELECTORATE = "outside_electorate"
    DOUBLE_VOTE = "double_vote"

    @property
    def text(self) -> str:
        """The reason in words."""
        return _VOID_TEXT[self]


_VOID_TEXT = {
    VoidReason.INVALID_VOTE: "the vote is not yes or no",
    VoidReason.UNKNOWN_VOTER: "the voter is not an employee this period",
    VoidReason.OUTSIDE_ELECTORATE: "the voter is in neither the customer nor the own department",
    VoidReason.SELF_VOTE: "a candidate may not vote for themself",
    VoidReason.DOUBLE_VOTE: "the voter cast more than one ballot for this candidate; all are void",
}


# --- departments ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricResult:
    """One metric of one department: Σ weight of successful rows ÷ Σ weight of all rows."""

    id: str
    label: str
    value: Decimal
    numerator: Decimal
    denominator: Decimal
    rows: int
    empty: bool  # no rows: the value is the metric's when_empty


@dataclass(frozen=True)
class CustomerResult:
    """One customer's appraisal of a department."""

    department: str | None
    external: str | None
    metric: str | None
    target: Decimal | None
    weight: Decimal | None
    value: Decimal | None
    met: bool | None


@dataclass(frozen=True)
class Appraisal:
    """A department as its customers appraise it: the metrics, each customer's verdict, the
    customer-weighted score, and whether every internal customer's target is met."""

    metrics: dict[str, MetricResult]
    customers: tuple[CustomerResult, ...]
    score: Decimal | None
    target_met: bool | None


@dataclass(frozen=True)
class TrendPoint:
    """A department's score in one period against its (customer-weighted) target."""

    period: Period
    score: Decimal | None
    target: Decimal | None
    met: bool | None


@dataclass(frozen=True)
class DepartmentResult:
    """A department's appraisal: metrics, score, target and review flags."""

    id: str
    name: str
    metrics: dict[str, MetricResult]
    customers: tuple[CustomerResult, ...]
    score: Decimal | None
    target_met: bool | None
    flags: tuple[Flag, ...]
    below_target_streak: int
    headcount: int
    trend: tuple[TrendPoint, ...] = ()  # earlier periods then this one, for the report's chart


# --- pay -----------------------------------------------------------------------------------------


class LineResult(NamedTuple):
    """One pay line of one employee, rounded as the slip shows it."""

    id: str
    label: str
    kind: LineKind
    amount: Decimal
    applies: bool  # False when the line's `when` is false: 0.00 and left off the slip
    places: int = 2  # the line's rounding unit: 10^-places


@dataclass(frozen=True)
class Arrear:
    """A correction of a closed period, carried by a later one (补发 pays back, 扣回 claws back).

    ``amount`` is positive; ``kind`` says which way it goes.  ``paid`` is what the closed period
    and earlier corrections paid in net, ``due`` what the version in force now gives.
    """

    employee: str
    period: Period
    kind: LineKind
    amount: Decimal
    paid: Decimal
    due: Decimal
    version: str
    because: str = ""  # what changed: the version in force, the closed period's data

    @property
    def signed(self) -> Decimal:
        """The amount as it changes net pay (a clawback negative)."""
        return self.kind.signed(self.amount)

    @property
    def label(self) -> str:
        """补发 Arrears 2024-05 or 扣回 Clawback 2024-05."""
        if self.kind is LineKind.EARNING:
            return f"补发 Arrears {self.period}"
        return f"扣回 Clawback {self.period}"


@dataclass(frozen=True)
class EmployeeResult:
    """One employee's slip."""

    id: str
    name: str
    department: str
    role: str
    employed_days: int
    lines: tuple[LineResult, ...]
    adjustments: tuple[Adjustment, ...]
    arrears: tuple[Arrear, ...]
    gross: Decimal
    deductions: Decimal
    net: Decimal
    warnings: tuple[tuple[str, str], ...] = ()  # the policy checks that warn: (id, message)


@dataclass(frozen=True)
class LineColumn:
    """One pay line over the roster: each employee's rounded amount, and whether it applies."""

    amounts: Vector
    applies: Vector


class Payroll(Mapping[str, EmployeeResult]):
    """Every employee's pay as columns over the roster, in id order; an employee's slip
    (:class:`EmployeeResult`) made when asked for."""

    def __init__(
        self,
        policy: Policy,
        roster: Roster,
        employed_days: Vector,
        lines: dict[str, LineColumn],
        totals: tuple[Vector, Vector, Vector],
        adjustments: Mapping[str, tuple[Adjustment, ...]],
        arrears: Mapping[str, tuple[Arrear, ...]],
        warnings: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
    ):
        self.policy, self.roster, self.employed_days = policy, roster, employed_days
        self.lines = lines  # by line id, in the policy's order
        self.gross, self.deductions, self.net = totals
        self.adjustments = adjustments  # by employee: the few who have some
        self.arrears = arrears
        self.warnings = warnings or {}  # by employee: the few a check warns about
        # line → name → the rows that read it (a bit per row), where asked for (`diff`)
        self.reads: dict[str, dict[str, int]] | None = None
        self.notes: LineNotes | None = None  # the sentences under each line of a slip

    def __len__(self) -> int:
        return len(self.roster)

    def __iter__(self) -> Iterator[str]:
        return iter(self.roster.ids)

    def __contains__(self, key: object) -> bool:
        return key in self.roster

    def __getitem__(self, key: str) -> EmployeeResult:
        at = self.roster.index(key) if isinstance(key, str) else None
        if at is None:
            raise KeyError(key)
        return self._employee(at, self._columns, every=False)

    def rows(self) -> Slips:
        """Every employee's slip, in id order, each made as it is taken (a run renders 100,000
        slips once each: keeping them would only fill the memory)."""
        return Slips(self)

    def values(self) -> Slips:  # type: ignore[override]
        """Every employee's slip, in id order (see :meth:`rows`)."""
        return self.rows()

    @cached_property
    def _columns(self) -> dict[str, Vector]:
        """Every column by name."""
        made: dict[str, Vector] = {
            "days": self.employed_days,
            "gross": self.gross,
            "deductions": self.deductions,
            "net": self.net,
        }
        for line_id, column in self.lines.items():
            made[f"amount {line_id}"] = column.amounts
            made[f"applies {line_id}"] = column.applies
        return made

    @cached_property
    def _python(self) -> dict[str, list[Any]]:
        """Every column as Python values, made once (a slip per employee reads them all)."""
        return {name: column.values() for name, column in self._columns.items()}

    def _employee(self, at: int, columns: Mapping[str, Any], every: bool = True) -> EmployeeResult:
        employee = self.roster.employee(at, every)
        return EmployeeResult(
            id=employee.id,
            name=employee.name,
            department=employee.department,
            role=employee.role,
            employed_days=int(columns["days"][at]),
            lines=tuple(
                LineResult(
                    line.id,
                    line.label,
                    line.kind,
                    columns[f"amount {line.id}"][at],
                    bool(columns[f"applies {line.id}"][at]),
                    line.places,
                )
                for line in self.policy.lines
            ),
            adjustments=self.adjustments.get(employee.id, ()),
            arrears=self.arrears.get(employee.id, ()),
            gross=columns["gross"][at],
            deductions=columns["deductions"][at],
            net=columns["net"][at],
            warnings=self.warnings.get(employee.id, ()),
        )

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """Σ gross, Σ deductions, Σ net."""
        from ..formulas.kernels import total

        return total(self.gross), total(self.deductions), total(self.net)


class Slips:
    """Every employee's slip, in id order, made one at a time as they are taken."""

    def __init__(self, payroll: Payroll):
        self.payroll = payroll

    def __len__(self) -> int:
        return len(self.payroll)

    def __iter__(self) -> Iterator[EmployeeResult]:
        payroll = self.payroll
        columns = payroll._python
        for at in range(len(payroll)):
            yield payroll._employee(at, columns)


# --- elections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """The valid ballots one electorate cast for a candidate, and how many said yes."""

    yes: int = 0
    valid: int = 0


@dataclass(frozen=True)
class BallotCount:
    """The ballots counted: per candidate the customer and own electorates' tallies, and every
    void ballot in file order as (line, candidate, reason)."""

    customer: dict[str, Tally]
    own: dict[str, Tally]
    void: list[tuple[int, str, VoidReason]]
    valid: int
    # the valid ballots by (voter's department, candidate's department), for the report's look
    # at departments that elect each other's candidates
    by_departments: dict[tuple[str, str], Tally] = field(default_factory=dict)


@dataclass(frozen=True)
class VoteResult:
    """Gate B or C of one candidate: counts, share and turnout against what is required."""

    yes: int
    valid: int
    electorate: int
    share: Decimal | None
    turnout: Decimal | None
    min_share: Decimal
    min_turnout: Decimal
    passed: bool
    reason: str


@dataclass(frozen=True)
class CandidateResult:
    """A candidate: the three gates, the weighted score and the rank among the eligible."""

    id: str
    name: str
    position: str
    department: str
    metric: Decimal | None
    metric_min: Decimal
    metric_passed: bool
    metric_reason: str
    customer: VoteResult
    own: VoteResult
    eligible: bool
    score: Decimal | None
    rank: int | None
    tied: bool


# --- the period ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """Everything computed for one period; rendering, export and the audit commands read only
    this."""

    period: Period
    policy: Policy
    departments: dict[str, DepartmentResult]
    employees: Payroll
    candidates: dict[str, CandidateResult]
    void_ballots: dict[VoidReason, int]
    valid_ballots: int
    inputs: dict[str, str] = field(default_factory=dict)
    earlier: YearToDate | None = None  # the earlier months of the year, where ytd(x) is read
    encodings: dict[str, str] = field(default_factory=dict)  # a file read in another than UTF-8
    policy_file: str = ""  # the policy as the outputs name it (a run: relative to its root)
    votes_between: dict[tuple[str, str], Tally] = field(default_factory=dict)  # see BallotCount
    draft: bool = False  # a closed period computed again: every output says it is not paid

    def __post_init__(self) -> None:
        if not self.policy_file:
            object.__setattr__(self, "policy_file", self.policy.file)

    @cached_property
    def _totals(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.employees.totals()

    @property
    def total_gross(self) -> Decimal:
        """Σ gross over all employees."""
        return self._totals[0]

    @property
    def total_deductions(self) -> Decimal:
        """Σ deductions over all employees."""
        return self._totals[1]

    @property
    def total_net(self) -> Decimal:
        """Σ net over all employees."""
        return self._totals[2]


__all__ = [
    "ZERO",
    "Appraisal",
    "Arrear",
    "BallotCount",
    "CandidateResult",
    "CustomerResult",
    "DepartmentResult",
    "EmployeeResult",
    "Flag",
    "LineColumn",
    "LineResult",
    "MetricResult",
    "Payroll",
    "Results",
    "Tally",
    "TrendPoint",
    "VoidReason",
    "VoteResult",
]
