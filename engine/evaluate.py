"""Evaluation: ``evaluate(policy, data, history) -> Results``, pure.

No I/O, no clock, no randomness: the caller reads the period's data (and the metric tables of
earlier periods, for review streaks) and passes them in.  Every number is a Decimal computed in
:data:`~innerpay.numbers.CONTEXT`; pay lines are rounded one by one, and totals are sums of the
rounded lines, so a slip always adds up.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from .bulk import BallotCount, EmployeeResults, LazyEmployees, count_ballots, pay_columns
from .data import Adjustment, Employee, PeriodData
from .errors import Diagnostic, Kind, Source, error, warning
from .formulas import (
    Evaluator,
    Formula,
    FormulaError,
    MissingValue,
    Unavailable,
    decimal_context,
)
from .metrics import Tallies, Tally
from .model import Department, Metric, PayLine, Policy
from .numbers import ONE, ZERO, round_money
from .periods import Period
from .progress import Progress, quietly

NO_CUSTOMER = "no_customer"
BELOW_TARGET = "below_target"

VOID_REASONS = {
    "invalid_vote": "the vote is not yes or no",
    "unknown_voter": "the voter is not an employee this period",
    "outside_electorate": "the voter is in neither the customer nor the own department",
    "self_vote": "a candidate may not vote for themself",
    "double_vote": "the voter cast more than one ballot for this candidate; all are void",
}


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
class DepartmentResult:
    """A department's appraisal: metrics, score, target and review flags."""

    id: str
    name: str
    metrics: dict[str, MetricResult]
    customers: tuple[CustomerResult, ...]
    score: Decimal | None
    target_met: bool | None
    flags: tuple[str, ...]
    below_target_streak: int
    headcount: int
    trend: tuple[TrendPoint, ...] = ()  # earlier periods then this one, for the report's chart


@dataclass(frozen=True)
class TrendPoint:
    """A department's score in one period against its (customer-weighted) target."""

    period: Period
    score: Decimal | None
    target: Decimal | None
    met: bool | None


class LineResult(NamedTuple):
    """One pay line of one employee, rounded as the slip shows it (a named tuple: there is one
    per line and employee)."""

    id: str
    label: str
    kind: str
    amount: Decimal
    applies: bool  # False when the line's `when` is false: 0.00 and left off the slip
    raw: Decimal  # the formula's exact value, before rounding


@dataclass(frozen=True)
class Arrear:
    """A correction of a closed period, carried by a later one (补发 pays back, 扣回 claws back).

    ``amount`` is positive; ``kind`` says which way it goes.  ``paid`` is what the closed period
    and earlier corrections paid in net, ``due`` what the version in force now gives.
    """

    employee: str
    period: Period
    kind: str
    amount: Decimal
    paid: Decimal
    due: Decimal
    version: str

    @property
    def label(self) -> str:
        """补发 Arrears 2024-05 or 扣回 Clawback 2024-05."""
        if self.kind == "earning":
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


@dataclass(frozen=True)
class Results:
    """Everything computed for one period; rendering and export read only this."""

    period: Period
    policy: Policy
    departments: dict[str, DepartmentResult]
    employees: Mapping[str, EmployeeResult]  # by id, in id order
    candidates: dict[str, CandidateResult]
    void_ballots: dict[str, int]
    valid_ballots: int
    inputs: dict[str, str] = field(default_factory=dict)

    @property
    def total_gross(self) -> Decimal:
        """Σ gross over all employees."""
        return self._totals()[0]

    @property
    def total_deductions(self) -> Decimal:
        """Σ deductions over all employees."""
        return self._totals()[1]

    @property
    def total_net(self) -> Decimal:
        """Σ net over all employees."""
        return self._totals()[2]

    def _totals(self) -> tuple[Decimal, Decimal, Decimal]:
        if isinstance(self.employees, EmployeeResults):
            return self.employees.totals()
        gross = deductions = net = ZERO
        for e in self.employees.values():
            gross += e.gross
            deductions += e.deductions
            net += e.net
        return gross, deductions, net


@dataclass(frozen=True)
class History:
    """An earlier period for review streaks: the version in force then and its metric tables."""

    period: Period
    policy: Policy
    tables: dict[str, Tallies]
    table_files: dict[str, str]


# --- metrics and departments ---------------------------------------------------------------------


def compute_metric(
    metric: Metric,
    department: str,
    tally: Tally | None,
    problems: list[Diagnostic],
    table_file: str,
) -> MetricResult | None:
    """One metric of one department from its tally: Σ successful weight ÷ Σ weight."""
    count = tally.rows if tally else 0
    numerator = tally.numerator if tally else ZERO
    denominator = tally.denominator if tally else ZERO
    if count == 0 or denominator == ZERO:
        if metric.when_empty is None:
            why = "no rows" if count == 0 else "rows whose weights add up to 0"
            problems.append(
                error(
                    Source(table_file),
                    f"{why} for department '{department}' and metric '{metric.id}' has no "
                    "when_empty; add rows, or give the metric a when_empty value",
                    Kind.DATA,
                )
            )
            return None
        return MetricResult(
            metric.id, metric.label, metric.when_empty, numerator, denominator, count, True
        )
    value = numerator / denominator
    if not value:
        value = ZERO  # not 0E+2: a zero rate reads 0, whatever the scale of the amounts
    return MetricResult(metric.id, metric.label, value, numerator, denominator, count, False)


def appraise(
    policy: Policy,
    tables: Mapping[str, Tallies],
    table_files: Mapping[str, str],
    problems: list[Diagnostic],
    given: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> dict[
    str, tuple[dict[str, MetricResult], tuple[CustomerResult, ...], Decimal | None, bool | None]
]:
    """Metrics, customer appraisals, score and target_met of every department.

    With ``given`` (a policy test case), a metric value given for a department is used as is, and
    a department with neither a given value nor rows is left out rather than an error.
    """
    result = {}
    for dept in sorted(policy.departments.values(), key=lambda d: d.id):
        metrics: dict[str, MetricResult] = {}
        for metric_id in dept.appraised_metrics:
            metric = policy.metrics[metric_id]
            if given is not None:
                value = given.get(dept.id, {}).get(metric_id)
                if value is not None:
                    metrics[metric_id] = MetricResult(
                        metric_id, metric.label, value, value, ONE, 0, False
                    )
                    continue
                if dept.id not in tables.get(metric.table, {}):
                    continue
            found = compute_metric(
                metric,
                dept.id,
                tables.get(metric.table, {}).get(dept.id, {}).get(metric_id),
                problems,
                table_files.get(metric.table, metric.table + ".csv"),
            )
            if found is not None:
                metrics[metric_id] = found
        customers = tuple(_customer(c, metrics) for c in dept.customers)
        score, target_met = _score(dept, metrics)
        result[dept.id] = (metrics, customers, score, target_met)
    return result


def _customer(customer: Any, metrics: dict[str, MetricResult]) -> CustomerResult:
    value = metrics[customer.metric].value if customer.metric in metrics else None
    return CustomerResult(
        department=customer.department,
        external=customer.external,
        metric=customer.metric,
        target=customer.target,
        weight=customer.weight,
        value=value,
        met=None if value is None or customer.target is None else value >= customer.target,
    )


def _score(
    dept: Department, metrics: dict[str, MetricResult]
) -> tuple[Decimal | None, bool | None]:
    """The customer-weighted mean of the appraised metrics, and every target met."""
    internal = dept.internal_customers
    if not internal or any(c.metric not in metrics for c in internal):
        return None, None
    total = sum(((c.weight or ONE) * metrics[c.metric].value for c in internal), ZERO)  # type: ignore[index]
    weights = sum((c.weight or ONE for c in internal), ZERO)
    score = total / weights
    met = all(metrics[c.metric].value >= c.target for c in internal)  # type: ignore[index,operator]
    return score, met


def weighted_target(dept: Department) -> Decimal | None:
    """The customers' targets weighted as the score is (the reference line of the chart)."""
    internal = dept.internal_customers
    if not internal:
        return None
    total = sum(((c.weight or ONE) * (c.target or ZERO) for c in internal), ZERO)
    return total / sum((c.weight or ONE for c in internal), ZERO)


def judge(past: History, department: str, problems: list[Diagnostic]) -> TrendPoint:
    """A department's score and target_met in an earlier period, by the version in force then.

    None when that version has no such department or it has no internal customer (the streak
    ends); a metric that cannot be computed is a problem, as it would be in that period's own run.
    """
    dept = past.policy.departments.get(department)
    if dept is None or not dept.internal_customers:
        return TrendPoint(past.period, None, None, None)
    metrics = {}
    for metric_id in dept.appraised_metrics:
        metric = past.policy.metrics[metric_id]
        found = compute_metric(
            metric,
            department,
            past.tables.get(metric.table, {}).get(department, {}).get(metric_id),
            problems,
            past.table_files.get(metric.table, metric.table),
        )
        if found is None:
            return TrendPoint(past.period, None, weighted_target(dept), None)
        metrics[metric_id] = found
    score, met = _score(dept, metrics)
    return TrendPoint(past.period, score, weighted_target(dept), met)


# --- pay -----------------------------------------------------------------------------------------


def employed_days(employee: Employee, period: Period) -> int:
    """Calendar days employed in the period, both ends included (left_on is the last day)."""
    if employee.hired_on is None and employee.left_on is None:
        return period.days
    start = max(employee.hired_on or period.first_day, period.first_day)
    end = min(employee.left_on or period.last_day, period.last_day)
    return max((end - start).days + 1, 0)


def base_env(
    policy: Policy,
    period: Period,
    dept: Department,
    metrics: dict[str, MetricResult],
    score: Any,
    met: Any,
) -> dict[str, Any]:
    """The names every employee of a department shares: parameters, the department's, the
    period's.  Built once per department; each employee's are added to a copy."""
    env: dict[str, Any] = dict(policy.parameters)
    env.update(department_names(policy, dept, metrics, score, met))
    env["period_days"] = Decimal(period.days)
    return env


def department_names(
    policy: Policy, dept: Department, metrics: dict[str, MetricResult], score: Any, met: Any
) -> dict[str, Any]:
    """The names a pay formula reads from its department (unavailable ones say why)."""
    names: dict[str, Any] = {}
    has_customer = bool(dept.internal_customers)
    why = f"department '{dept.id}' has no internal customer"
    if has_customer and score is None:
        why = f"the metrics of department '{dept.id}' are not given in this test case"
    names["has_customer"] = has_customer
    names["score"] = score if score is not None else Unavailable(why)
    names["target_met"] = met if met is not None else Unavailable(why)
    for metric_id in policy.metrics:
        names[metric_id] = (
            metrics[metric_id].value
            if metric_id in metrics
            else Unavailable(f"metric '{metric_id}' is not appraised for department '{dept.id}'")
        )
    return names


def pay_employee(
    policy: Policy,
    employee: Employee,
    period: Period,
    base_env: dict[str, Any],
    adjustments: tuple[Adjustment, ...],
    evaluator: Evaluator,
    failures: list[tuple[PayLine, Formula, Employee, FormulaError]],
    arrears: tuple[Arrear, ...] = (),
    traces: dict[str, list[tuple[str, Any]]] | None = None,
) -> EmployeeResult | None:
    """Every pay line of one employee, in dependency order, each rounded.

    ``base_env`` holds the names common to the employee's department (see :func:`base_env`).
    With ``traces``, each line's list receives the names its formulas read, with their values
    (for `explain`): only what was evaluated, so short-circuited branches stay out.
    """
    days = employed_days(employee, period)
    env = dict(base_env)
    env.update(employee.fields)
    env["id"] = employee.id
    env["name"] = employee.name
    env["department"] = employee.department
    env["role"] = employee.role
    env["hired_on"] = employee.hired_on  # a date, or missing (false in a condition)
    env["left_on"] = employee.left_on
    env["employed_days"] = Decimal(days)
    amounts: dict[str, LineResult] = {}
    failed = False
    for line in policy.evaluation_order:
        part = line.when or line.formula
        if traces is not None:
            evaluator.trace = traces.setdefault(line.id, [])
        try:
            applies = line.when is None or bool(evaluator.run(line.when, env))
            amount = ZERO
            if applies:
                part = line.formula
                value = evaluator.run(line.formula, env)
                if type(value) is not Decimal:
                    raise FormulaError(f"the formula gave {_kind(value)}, not an amount")
                amount = value
        except FormulaError as exc:
            failures.append((line, part, employee, exc))
            failed = True
            env[line.id] = ZERO
            continue
        rounded = round_money(amount, policy.rounding)
        env[line.id] = rounded
        amounts[line.id] = LineResult(line.id, line.label, line.kind, rounded, applies, amount)
    evaluator.trace = None
    if failed:
        return None
    lines = tuple(amounts[line.id] for line in policy.lines)
    earnings = [x.amount for x in lines if x.kind == "earning"]
    deductions = [x.amount for x in lines if x.kind == "deduction"]
    extras: list[Adjustment | Arrear] = [*adjustments, *arrears]
    for extra in extras:
        (earnings if extra.kind == "earning" else deductions).append(extra.amount)
    gross = sum(earnings, ZERO)
    total_deductions = sum(deductions, ZERO)
    return EmployeeResult(
        id=employee.id,
        name=employee.name,
        department=employee.department,
        role=employee.role,
        employed_days=days,
        lines=lines,
        adjustments=adjustments,
        arrears=arrears,
        gross=gross,
        deductions=total_deductions,
        net=gross - total_deductions,
    )


def _kind(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"the number {value}"
    if isinstance(value, bool):
        return "a condition (true/false)"
    if value is None:
        return "no value"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dt.date):
        return "a date"
    return "a step table"


def pay_errors(failures: list[tuple[PayLine, Formula, Employee, FormulaError]]) -> list[Diagnostic]:
    """One diagnostic per pay line and problem, naming the first employee and how many more.

    A missing value in the employee's data is a data problem at the employee's row; anything else
    (an unguarded name, a division by zero) is the formula's, at its line in the policy.
    """
    grouped: dict[tuple[str, str, bool, str | None], list[tuple[Formula, Employee]]]
    grouped = defaultdict(list)
    for line, formula, employee, exc in failures:
        missing = isinstance(exc, MissingValue)
        grouped[(line.id, exc.message, missing, exc.name)].append((formula, employee))
    problems = []
    for (line_id, message, missing, name), cases in grouped.items():
        formula, first = cases[0]
        more = f" (and {len(cases) - 1} more)" if len(cases) > 1 else ""
        if missing:
            problems.append(
                error(
                    first.source,
                    f"pay line '{line_id}' for employee {first.id}{more}: {message}",
                    Kind.DATA,
                )
            )
        else:
            problems.append(
                error(
                    formula.name_at(name) if name else formula.source,
                    f"pay line '{line_id}' for employee {first.id}{more}: {message}",
                    Kind.POLICY,
                )
            )
    return problems


# --- elections -----------------------------------------------------------------------------------


def _vote(
    yes: int, valid: int, electorate: int, gate: Any, reason_if_none: str | None
) -> VoteResult:
    if reason_if_none:
        return VoteResult(
            0, 0, 0, None, None, gate.min_share, gate.min_turnout, False, reason_if_none
        )
    share = Decimal(yes) / Decimal(valid) if valid else ZERO
    turnout = Decimal(valid) / Decimal(electorate) if electorate else ZERO
    reasons = []
    if not valid:
        reasons.append("no valid ballots")
    else:
        if share < gate.min_share:
            reasons.append(f"share below {gate.min_share}")
        if turnout < gate.min_turnout:
            reasons.append(f"turnout below {gate.min_turnout}")
    return VoteResult(
        yes, valid, electorate, share, turnout, gate.min_share, gate.min_turnout,
        not reasons, "; ".join(reasons),
    )  # fmt: skip


def _count_ballots(policy: Policy, data: PeriodData, employees: Mapping[str, str]) -> BallotCount:
    """The ballots counted one by one (the rules of :func:`elect`)."""
    by_department: dict[str, set[str]] = defaultdict(set)
    for emp_id, dept_id in employees.items():
        by_department[dept_id].add(emp_id)
    electorates: dict[str, tuple[set[str], set[str]]] = {}
    for c in data.candidates:
        dept = policy.departments[employees[c.id]]
        customer = set().union(*(by_department[d] for d in dept.customer_departments))
        own = by_department[dept.id] - {c.id}
        electorates[c.id] = (customer, own)
    cast = Counter((b.candidate, b.voter) for b in data.ballots)
    tallies: dict[str, dict[str, list[int]]] = {
        c.id: {"customer": [0, 0], "own": [0, 0]} for c in data.candidates
    }
    void: list[tuple[Source, str, str]] = []
    valid_total = 0
    for ballot in data.ballots:
        customer, own = electorates[ballot.candidate]
        if ballot.vote not in ("yes", "no"):
            reason = "invalid_vote"
        elif ballot.voter not in employees:
            reason = "unknown_voter"
        elif ballot.voter == ballot.candidate:
            reason = "self_vote"
        elif ballot.voter not in customer and ballot.voter not in own:
            reason = "outside_electorate"
        elif cast[(ballot.candidate, ballot.voter)] > 1:
            reason = "double_vote"
        else:
            electorate = "customer" if ballot.voter in customer else "own"
            tally = tallies[ballot.candidate][electorate]
            tally[1] += 1
            tally[0] += ballot.vote == "yes"
            valid_total += 1
            continue
        void.append((ballot.source, ballot.candidate, reason))
    return BallotCount(tallies, void, valid_total)


def elect(
    policy: Policy,
    data: PeriodData,
    scores: dict[str, Decimal | None],
    problems: list[Diagnostic],
) -> tuple[dict[str, CandidateResult], dict[str, int], int]:
    """Ballot validity, the three gates, weighted scores and ranks (SPEC.md, Elections)."""
    void: Counter[str] = Counter()
    if not data.candidates:
        return {}, {}, 0
    promotion = policy.promotion
    if promotion is None:
        problems.append(
            error(
                data.candidates[0].source,
                f"candidates are listed but {policy.file} has no promotion section",
                Kind.POLICY,
            )
        )
        return {}, {}, 0
    # the departments of the candidates (over columns), or of every employee (one by one)
    if data.roster is not None:
        department_of = {c.id: data.roster.department(c.id) for c in data.candidates}
        headcount = Counter(data.roster.headcount())
    else:
        department_of = data.department_of()
        headcount = Counter(department_of.values())
    sizes: dict[str, tuple[int, int]] = {}  # electorates: customer departments', own less one
    for c in data.candidates:
        dept = policy.departments[department_of[c.id]]
        customers = set(dept.customer_departments)
        sizes[c.id] = (sum(headcount[d] for d in customers), headcount[dept.id] - 1)
    if data.ballot_table is not None:
        counted = count_ballots(
            data.ballot_table,
            data.roster,
            {c.id: department_of[c.id] for c in data.candidates},
            {d.id: d.customer_departments for d in policy.departments.values()},
        )
    else:
        counted = _count_ballots(policy, data, department_of)
    tallies, valid_total = counted.tallies, counted.valid
    for source, candidate, reason in counted.void:
        void[reason] += 1
        problems.append(
            warning(
                source,
                f"void ballot for candidate {candidate}: {VOID_REASONS[reason]}",
                Kind.DATA,
            )
        )

    results: dict[str, CandidateResult] = {}
    names = data.names_of([c.id for c in data.candidates])
    for c in data.candidates:
        dept = policy.departments[department_of[c.id]]
        customer_size, own_size = sizes[c.id]
        score = scores.get(dept.id)
        no_customer = (
            None
            if dept.internal_customers
            else f"department '{dept.id}' has no internal customer, so no customer vote can be held"
        )
        (c_yes, c_valid), (o_yes, o_valid) = tallies[c.id]["customer"], tallies[c.id]["own"]
        gate_b = _vote(c_yes, c_valid, customer_size, promotion.customer_vote, no_customer)
        gate_c = _vote(o_yes, o_valid, own_size, promotion.own_vote, None)
        if score is None:
            why = "no internal customer" if no_customer else "its metrics are not given"
            metric_passed, metric_reason = False, f"department '{dept.id}' has no score ({why})"
        else:
            metric_passed = score >= promotion.metric_min
            metric_reason = "" if metric_passed else f"score below {promotion.metric_min}"
        weighted = None
        if score is not None and gate_b.share is not None and gate_c.share is not None:
            weighted = (
                promotion.weight_metric * score
                + promotion.weight_customer * gate_b.share
                + promotion.weight_own * gate_c.share
            )
        results[c.id] = CandidateResult(
            id=c.id,
            name=names[c.id],
            position=c.position,
            department=dept.id,
            metric=score,
            metric_min=promotion.metric_min,
            metric_passed=metric_passed,
            metric_reason=metric_reason,
            customer=gate_b,
            own=gate_c,
            eligible=metric_passed and gate_b.passed and gate_c.passed,
            score=weighted,
            rank=None,
            tied=False,
        )
    return _rank(results), dict(sorted(void.items())), valid_total


def _rank(results: dict[str, CandidateResult]) -> dict[str, CandidateResult]:
    """Competition ranking (1, 1, 3) among the eligible candidates of each position."""
    from dataclasses import replace

    ranked = dict(results)
    positions: dict[str, list[CandidateResult]] = defaultdict(list)
    for c in results.values():
        if c.eligible and c.score is not None:
            positions[c.position].append(c)
    for group in positions.values():
        for c in group:
            assert c.score is not None
            better = sum(1 for o in group if o.score is not None and o.score > c.score)
            tied = sum(1 for o in group if o.score == c.score) > 1
            ranked[c.id] = replace(c, rank=better + 1, tied=tied)
    return ranked


# --- the period ----------------------------------------------------------------------------------


def _trend(
    dept: Department,
    policy: Policy,
    point: TrendPoint,
    history: Mapping[Period, History],
    problems: list[Diagnostic],
) -> tuple[int, tuple[TrendPoint, ...]]:
    """The below-target streak and the score trend of a department.

    The streak counts consecutive periods below target ending with this one, as far back as
    `below_target_periods` needs (a missing period ends it); problems of those periods are
    problems of this run.  Earlier periods read only for the chart never stop a run.
    """
    needed = (policy.below_target_periods or 1) - 1
    points = [point]
    streak = 1 if point.met is False else 0
    earlier = point.period.previous()
    while earlier in history:
        scratch: list[Diagnostic] = []
        judged = judge(history[earlier], dept.id, scratch)
        points.append(judged)
        counting = streak == len(points) - 1 and len(points) - 1 <= needed
        if counting:  # the streak reaches this period: its problems are this run's
            problems += scratch
            streak += judged.met is False
        earlier = earlier.previous()
    return streak, tuple(reversed(points))


def _pay_in_bulk(
    policy: Policy,
    data: PeriodData,
    envs: dict[str, dict[str, Any]],
    adjustments: Mapping[str, list[Adjustment]],
    arrears: Mapping[str, list[Arrear]],
    evaluator: Evaluator,
    failures: list[tuple[PayLine, Formula, Employee, FormulaError]],
) -> EmployeeResults | None:
    """Every employee paid over whole columns (see :mod:`innerpay.bulk`), or None.

    The employees the columns leave to the row path (a part month prorated, a line that fails)
    are paid here one by one, their failures in ``failures``.
    """
    if data.roster is None:
        return None
    extras = {
        emp_id: [
            (x.kind, x.amount) for x in [*adjustments.get(emp_id, ()), *arrears.get(emp_id, ())]
        ]
        for emp_id in {*adjustments, *arrears}
        if emp_id in data.roster  # arrears of someone who has left are settled by hand
    }
    columns = pay_columns(policy, data.period, data.roster, envs, extras)
    if columns is None:
        return None

    def pay_one(
        employee: Employee, failed: list[tuple[PayLine, Formula, Employee, FormulaError]]
    ) -> EmployeeResult | None:
        with decimal_context():
            return pay_employee(
                policy,
                employee,
                data.period,
                envs[employee.department],
                tuple(adjustments.get(employee.id, ())),
                evaluator,
                failed,
                tuple(arrears.get(employee.id, ())),
            )

    def again(employee: Employee) -> EmployeeResult:
        paid = pay_one(employee, [])
        assert paid is not None, "the bulk path paid an employee the row path cannot"
        return paid

    assert isinstance(data.employees, LazyEmployees)
    deferred = {}
    for emp_id in columns.deferred:
        employee = data.employees.find(emp_id)
        assert employee is not None
        paid = pay_one(employee, failures)
        if paid is not None:
            deferred[emp_id] = paid
    return EmployeeResults(columns, data.employees, again, deferred)


def evaluate(
    policy: Policy,
    data: PeriodData,
    history: Mapping[Period, History] | None = None,
    arrears: tuple[Arrear, ...] = (),
    given: Mapping[str, Mapping[str, Decimal]] | None = None,
    progress: Progress = quietly,
) -> tuple[Results | None, list[Diagnostic]]:
    """Compute one period: departments, pay, elections.  Pure: reads only its arguments.

    ``arrears`` are corrections of closed periods (see :mod:`innerpay.ledger`); each goes on the
    slip of its employee.  ``given`` metric values are for policy test cases (see
    :func:`appraise`).
    """
    history = history or {}
    problems: list[Diagnostic] = []
    evaluator = Evaluator(policy.rounding)
    table_files = data.table_files
    with decimal_context():
        appraisal = appraise(policy, data.tables, table_files, problems, given)
        headcount = Counter(
            data.roster.headcount() if data.roster else (e.department for e in data.employees)
        )
        departments: dict[str, DepartmentResult] = {}
        for dept_id, (metrics, customers, score, met) in appraisal.items():
            dept = policy.departments[dept_id]
            now = TrendPoint(data.period, score, weighted_target(dept), met)
            streak, trend = _trend(dept, policy, now, history, problems)
            flags = []
            if not dept.customers:
                flags.append(NO_CUSTOMER)
            if policy.below_target_periods is not None and streak >= policy.below_target_periods:
                flags.append(BELOW_TARGET)
            departments[dept_id] = DepartmentResult(
                id=dept_id,
                name=dept.name,
                metrics=metrics,
                customers=customers,
                score=score,
                target_met=met,
                flags=tuple(sorted(flags)),
                below_target_streak=streak,
                headcount=headcount.get(dept_id, 0),
                trend=trend,
            )
        if any(p.is_error for p in problems):
            return None, problems
        envs = {
            d.id: base_env(
                policy,
                data.period,
                d,
                appraisal[d.id][0],
                appraisal[d.id][2],
                appraisal[d.id][3],
            )
            for d in policy.departments.values()
        }
        by_employee: dict[str, list[Adjustment]] = defaultdict(list)
        for adjustment in data.adjustments:
            by_employee[adjustment.employee].append(adjustment)
        arrears_of: dict[str, list[Arrear]] = defaultdict(list)
        for arrear in arrears:
            arrears_of[arrear.employee].append(arrear)
        employees: Mapping[str, EmployeeResult] = {}
        failures: list[tuple[PayLine, Formula, Employee, FormulaError]] = []
        bulk = _pay_in_bulk(policy, data, envs, by_employee, arrears_of, evaluator, failures)
        for employee in progress("paying employees", () if bulk else data.employees):
            paid = pay_employee(
                policy,
                employee,
                data.period,
                envs[employee.department],
                tuple(by_employee.get(employee.id, ())),
                evaluator,
                failures,
                tuple(arrears_of.get(employee.id, ())),
            )
            if paid is not None:
                employees[employee.id] = paid  # type: ignore[index]  # a dict here
        problems += pay_errors(failures)
        if bulk is not None:
            employees = bulk
        scores = {d: r.score for d, r in departments.items()}
        candidates, void, valid = elect(policy, data, scores, problems)
    if any(p.is_error for p in problems):
        return None, problems
    return Results(
        period=data.period,
        policy=policy,
        departments=departments,
        employees=employees,
        candidates=candidates,
        void_ballots=void,
        valid_ballots=valid,
        inputs=data.inputs,
    ), problems
