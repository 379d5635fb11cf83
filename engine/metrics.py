"""Metric tables reduced as they stream: per department and metric, Σ weight of the successful
rows, Σ weight of all rows, and the row count.

A metric table can hold millions of records; none of them is kept.  Each typed row is evaluated
once for every metric that its table carries and that a customer appraises for the row's
department, with the same closures and the same errors as everywhere else (a missing value in a
row is a data error naming its file and row).  The result is exact: Decimal sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from .errors import Diagnostic, Kind, Source, error
from .formulas import Evaluator, FormulaError, MissingValue, describe
from .model import Metric, Policy
from .numbers import ZERO


class MetricRow(NamedTuple):
    """One row of a metric table: its department, the typed columns formulas read, where it is.

    Made only to say where a problem is: the records themselves stream through as lists.
    """

    department: str
    values: dict[str, Any]
    file: str
    line: int

    @property
    def source(self) -> Source:
        """The row's file and line."""
        return Source(self.file, self.line)


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


class Accumulator:
    """Per department and metric: [successful weight, weight, rows], summed as records stream.

    Counted in ints where rows are not weighed (exact either way, and much faster for millions
    of records); Decimals where a weight formula gives amounts.
    """

    def __init__(self, policy: Policy, table: str, columns: list[str], path: str):
        self.columns, self.path = columns, path
        positions = {column: k for k, column in enumerate(columns)}
        self.appraised: dict[str, list[Metric]] = {}
        for dept in policy.departments.values():
            on_table = [
                policy.metrics[m]
                for m in dept.appraised_metrics
                if policy.metrics[m].table == table
            ]
            if on_table:
                self.appraised[dept.id] = on_table
        self.evaluator = Evaluator(policy.rounding)
        # compiled for this table's column positions: a row is a list of typed cells
        self.functions = {
            m.id: (
                self.evaluator.closure(m.success, positions=positions),
                self.evaluator.closure(m.weight, positions=positions) if m.weight else None,
            )
            for metrics in self.appraised.values()
            for m in metrics
        }
        self.sums: dict[str, dict[str, list[Any]]] = {}

    def row(self, department: str, values: list[Any], line: int) -> MetricRow:
        """A row as problems name it (made only when there is one)."""
        return MetricRow(department, dict(zip(self.columns, values, strict=True)), self.path, line)

    def add(
        self, department: str, values: list[Any], line: int, problems: list[Diagnostic]
    ) -> None:
        """Count one row of typed cells (in the order of ``columns``)."""
        metrics = self.appraised.get(department)
        if metrics is None:
            return
        guarded = self.evaluator.guarded
        for metric in metrics:
            success, weigh = self.functions[metric.id]
            if weigh is None:
                weight: Any = 1
            else:
                try:
                    weight = guarded(weigh, values)
                    if weight is None:
                        raise MissingValue("the weight is empty")
                    if type(weight) is not Decimal:
                        raise FormulaError(f"the weight must be a number, not {describe(weight)}")
                except FormulaError as exc:
                    problems.append(
                        row_error(metric, "weight", self.row(department, values, line), exc)
                    )
                    continue
            try:
                met = guarded(success, values)
            except FormulaError as exc:
                problems.append(
                    row_error(metric, "success", self.row(department, values, line), exc)
                )
                continue
            by_metric = self.sums.get(department)
            if by_metric is None:
                by_metric = self.sums[department] = {}
            tally = by_metric.get(metric.id)
            if tally is None:
                tally = by_metric[metric.id] = [0, 0, 0]
            tally[2] += 1
            tally[1] += weight
            if met:
                tally[0] += weight

    def tallies(self) -> Tallies:
        """The sums as Decimals."""
        return {
            department: {
                metric: Tally(Decimal(hit), Decimal(total), count)
                for metric, (hit, total, count) in by_metric.items()
            }
            for department, by_metric in self.sums.items()
        }
