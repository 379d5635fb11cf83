"""Appraisal: each department's metrics from their tallies, its customers' verdicts, its
score and review flags (SPEC.md, Computation and Review).

Per department, not per employee: a few Decimal divisions and comparisons, worked out one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..data.tally import Tallies, Tally
from ..errors import Diagnostic, Kind, Source, error
from ..numbers import ONE, ZERO
from ..periods import Period
from ..policy.model import Customer, Department, Metric, Policy
from .results import (
    Appraisal,
    CustomerResult,
    DepartmentResult,
    Flag,
    MetricResult,
    TrendPoint,
)


@dataclass(frozen=True)
class History:
    """An earlier period for review streaks: the version in force then and its metric tables."""

    period: Period
    policy: Policy
    tables: dict[str, Tallies]
    table_files: dict[str, str]


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
) -> dict[str, Appraisal]:
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
        result[dept.id] = Appraisal(metrics, customers, score, target_met)
    return result


def _customer(customer: Customer, metrics: dict[str, MetricResult]) -> CustomerResult:
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


def departments(
    policy: Policy,
    period: Period,
    appraisals: Mapping[str, Appraisal],
    headcount: Counter[str],
    history: Mapping[Period, History],
    problems: list[Diagnostic],
) -> dict[str, DepartmentResult]:
    """Every department's result: its appraisal, review streak, flags and score trend."""
    found: dict[str, DepartmentResult] = {}
    for dept_id, appraisal in appraisals.items():
        dept = policy.departments[dept_id]
        now = TrendPoint(period, appraisal.score, weighted_target(dept), appraisal.target_met)
        streak, trend = _trend(dept, policy, now, history, problems)
        flags = []
        if not dept.customers:
            flags.append(Flag.NO_CUSTOMER)
        if policy.below_target_periods is not None and streak >= policy.below_target_periods:
            flags.append(Flag.BELOW_TARGET)
        found[dept_id] = DepartmentResult(
            id=dept_id,
            name=dept.name,
            metrics=appraisal.metrics,
            customers=appraisal.customers,
            score=appraisal.score,
            target_met=appraisal.target_met,
            flags=tuple(sorted(flags)),
            below_target_streak=streak,
            headcount=headcount.get(dept_id, 0),
            trend=trend,
        )
    return found
