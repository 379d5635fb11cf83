"""Metric tables reduced as they stream: per department and metric, Σ weight of the successful
rows, Σ weight of all rows, and the row count.

A metric table can hold millions of records; none of them is kept.  Each typed row is evaluated
once for every metric that its table carries and that a customer appraises for the row's
department, with the same closures and the same errors as everywhere else (a missing value in a
row is a data error naming its file and row).  The result is exact: Decimal sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import Diagnostic, Kind, error
from .formulas import Evaluator, FormulaError, MissingValue, decimal_context, describe
from .model import Metric, Policy
from .numbers import ZERO


@dataclass
class Tally:
    """The sums one metric needs for one department."""

    numerator: Decimal = ZERO
    denominator: Decimal = ZERO
    rows: int = 0


#: metric table → department → metric → tally
Tallies = dict[str, dict[str, Tally]]


def row_error(metric: Metric, part: str, row: Any, exc: FormulaError) -> Diagnostic:
    """A problem evaluating ``success`` or ``weight`` on one row, at its file and line."""
    message = f"metric '{metric.id}' {part}: {exc.message}"
    if isinstance(exc, MissingValue):
        formula = metric.success if part == "success" else metric.weight
        empty = sorted(
            name
            for name, value in row.values.items()
            if value is None and formula is not None and name in formula.name_set
        )
        if empty:
            message += f" ({', '.join(empty)} is empty)"
            if part == "success":
                message += f"; guard it, like '{empty[0]} and ...'"
    return error(row.source, message, Kind.DATA)


def tally_rows(
    policy: Policy, table: str, rows: Iterable[Any], problems: list[Diagnostic]
) -> Tallies:
    """Reduce one metric table's rows to tallies, in one pass; rows are read once and dropped."""
    appraised: dict[str, list[Metric]] = {}
    for dept in policy.departments.values():
        on_table = [
            policy.metrics[m] for m in dept.appraised_metrics if policy.metrics[m].table == table
        ]
        if on_table:
            appraised[dept.id] = on_table
    evaluator = Evaluator(policy.rounding)
    closures = {
        m.id: (
            evaluator.closure(m.success, columns=True),
            evaluator.closure(m.weight, columns=True) if m.weight else None,
        )
        for metrics in appraised.values()
        for m in metrics
    }
    # [successful weight, weight, rows] per department and metric; counted in ints where rows
    # are not weighed (exact either way, and much faster for millions of records)
    sums: dict[str, dict[str, list[Any]]] = {}
    with decimal_context():
        for row in rows:
            metrics = appraised.get(row.department)
            if metrics is None:
                continue
            values = row.values
            for metric in metrics:
                success, weigh = closures[metric.id]
                if weigh is None:
                    weight: Any = 1
                else:
                    try:
                        weight = evaluator.guarded(weigh, values)
                        if weight is None:
                            raise MissingValue("the weight is empty")
                        if type(weight) is not Decimal:
                            raise FormulaError(
                                f"the weight must be a number, not {describe(weight)}"
                            )
                    except FormulaError as exc:
                        problems.append(row_error(metric, "weight", row, exc))
                        continue
                try:
                    met = evaluator.guarded(success, values)
                except FormulaError as exc:
                    problems.append(row_error(metric, "success", row, exc))
                    continue
                by_metric = sums.get(row.department)
                if by_metric is None:
                    by_metric = sums[row.department] = {}
                tally = by_metric.get(metric.id)
                if tally is None:
                    tally = by_metric[metric.id] = [0, 0, 0]
                tally[2] += 1
                tally[1] += weight
                if met:
                    tally[0] += weight
    return {
        department: {
            metric: Tally(Decimal(hit), Decimal(total), count)
            for metric, (hit, total, count) in by_metric.items()
        }
        for department, by_metric in sums.items()
    }
