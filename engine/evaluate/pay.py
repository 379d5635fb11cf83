"""Pay: every pay line of every employee, evaluated over the roster's columns.

The names a pay formula reads (SPEC.md, Formulas) are columns over the roster: parameters and
the period's days are the same for everyone, a department's score and metrics are spread over
its employees, an employee's fields are the roster's columns, and each pay line, once computed
(in dependency order, rounded to the cent), is a column that later lines read.  A line whose
`when` is false is 0.00 and left off the slip; totals are sums of the rounded lines, so a slip
always adds up.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..data.period import Adjustment, PeriodData
from ..data.roster import Roster, employed_days_column
from ..errors import Diagnostic, Kind, error
from ..formulas import arrow, kernels, values
from ..formulas.evaluator import Batch
from ..formulas.kernels import split
from ..formulas.parse import Formula, FormulaError, MissingValue, Unavailable
from ..formulas.vectors import Arrow, Const, Fault, Rows, Values, Vector, assemble, to_arrow
from ..numbers import ZERO
from ..periods import Period
from ..policy.model import Department, LineKind, PayLine, Policy
from .results import Appraisal, Arrear, LineColumn, Payroll


def department_names(
    policy: Policy, dept: Department, appraisal: Appraisal | None
) -> dict[str, Any]:
    """The names a pay formula reads from its department (unavailable ones say why)."""
    names: dict[str, Any] = {}
    has_customer = bool(dept.internal_customers)
    score = appraisal.score if appraisal else None
    met = appraisal.target_met if appraisal else None
    metrics = appraisal.metrics if appraisal else {}
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


@dataclass(frozen=True)
class Failure:
    """A pay line that failed for one employee (the row of the roster)."""

    line: PayLine
    part: Formula
    row: int
    error: FormulaError


class Names:
    """The names a pay formula may read, as columns over a roster (see the module's docstring)."""

    def __init__(
        self,
        policy: Policy,
        period: Period,
        roster: Roster,
        departments: Mapping[str, Mapping[str, Any]],
    ):
        self.policy, self.period, self.roster = policy, period, roster
        self.departments = departments  # department → its names
        self.order = sorted(departments)
        self.size = len(roster)
        self._codes: Vector | None = None
        self.employed = employed_days_column(roster, period)

    def __call__(self, name: str) -> Vector:
        roster = self.roster
        if name in roster.columns or name in ("hired_on", "left_on"):
            return roster.column(name)
        if name == "employed_days":
            return self.employed
        if name == "period_days":
            return Const(Decimal(self.period.days), self.size)
        if self.order and name in self.departments[self.order[0]]:
            return self._by_department(name)
        if name in self.policy.parameters:
            return Const(self.policy.parameters[name], self.size)
        return Const(Fault(values.undefined(name)), self.size)

    def _department_codes(self) -> Vector:
        """Each employee's department by its place among the policy's departments."""
        if self._codes is None:
            from ..data import columns

            departments = self.roster.columns["department"]
            self._codes = columns.positions_in(departments, columns.like(departments, self.order))
        return self._codes

    def _by_department(self, name: str) -> Vector:
        per = []
        for dept_id in self.order:
            value = self.departments[dept_id][name]
            if type(value) is Unavailable:
                try:
                    values.read(name, value)
                except FormulaError as exc:
                    value = Fault(exc)
            per.append(value)
        if self.size == 1:  # one employee (to explain them): their department's value
            return Const(per[self.order.index(self.roster.departments[0])], 1)
        codes = self._department_codes()
        if isinstance(codes, Arrow):
            made = to_arrow(per)
            if made is not None:
                pc = arrow.pc
                taken = pc.take(made.data, codes.data)
                exps = None if made.exps is None else pc.take(made.exps, codes.data)
                return Arrow(taken, exps)
        return Values([per[k] for k in codes.values()])


def pay_lines(
    policy: Policy,
    names: Names,
    traces: dict[str, list[tuple[str, Any]]] | None = None,
) -> tuple[dict[str, LineColumn], dict[str, Vector], list[Failure]]:
    """Every pay line of every employee of ``names``' roster, in dependency order: each line's
    rounded amounts and whether it applies, each line's exact values (for `explain`), and every
    failure.  With ``traces``, each line's list receives the names its formulas read on the
    first row (for `explain`): only what was evaluated, so short-circuited branches stay out."""
    size = names.size
    batch = Batch(size, names)
    made: dict[str, LineColumn] = {}
    exact: dict[str, Vector] = {}
    failures: list[Failure] = []
    for line in policy.evaluation_order:
        if traces is not None:
            batch.trace = traces.setdefault(line.id, [])
        if line.when is None:
            yes, no, bad = Rows.every(size), Rows(size, 0, None, []), Rows(size, 0, None, [])
        else:
            condition = policy.compiled(line.when)(batch)
            yes, no, bad = split(condition)
            failures += [Failure(line, line.when, k, e) for k, e in condition.faults()]
        pieces: list[tuple[Rows, Vector]] = [
            (no, Const(ZERO, no.count)),
            (bad, Const(ZERO, bad.count)),
        ]
        if yes.count:
            value = kernels.amounts(policy.compiled(line.formula)(batch.subset(yes)))
            pieces.append((yes, value))
        amount = assemble(size, pieces)
        rounded = kernels.round_to(amount, 2, policy.rounding, size)
        failed = _failed(rounded, line, yes, failures)
        if failed:
            rounded = _zero_at(rounded, failed)
        batch.set(line.id, rounded)
        exact[line.id] = amount
        applies = assemble(size, [(yes, Const(True, yes.count)), (no, Const(False, no.count)),
                                  (bad, Const(False, bad.count))])  # fmt: skip
        made[line.id] = LineColumn(rounded, applies)
    batch.trace = None
    return {line.id: made[line.id] for line in policy.lines}, exact, failures


def _failed(rounded: Vector, line: PayLine, yes: Rows, failures: list[Failure]) -> list[int]:
    """The rows whose line failed (the formula, or its rounding), each failure recorded."""
    found = list(rounded.faults())
    for row, exc in found:
        failures.append(Failure(line, line.formula, row, exc))
    return [row for row, _ in found]


def _zero_at(column: Vector, rows: list[int]) -> Vector:
    """A failed line reads 0 for later lines (the run fails, but every problem is said)."""
    items = list(column.values())
    for row in rows:
        items[row] = ZERO
    return Values(items)


def pay_errors(failures: list[Failure], roster: Roster) -> list[Diagnostic]:
    """One diagnostic per pay line and problem, naming the first employee and how many more.

    A missing value in the employee's data is a data problem at the employee's row; anything else
    (an unguarded name, a division by zero) is the formula's, at its line in the policy.
    """
    grouped: dict[tuple[str, str, bool, str | None], list[Failure]] = defaultdict(list)
    for failure in sorted(failures, key=lambda f: f.row):
        exc = failure.error
        missing = isinstance(exc, MissingValue)
        grouped[(failure.line.id, exc.message, missing, exc.name)].append(failure)
    problems = []
    for (line_id, message, missing, name), cases in grouped.items():
        first = cases[0]
        employee = roster.employee(first.row)
        more = f" (and {len(cases) - 1} more)" if len(cases) > 1 else ""
        text = f"pay line '{line_id}' for employee {employee.id}{more}: {message}"
        if missing:
            problems.append(error(employee.source, text, Kind.DATA))
        else:
            where = first.part.name_at(name) if name else first.part.source
            problems.append(error(where, text, Kind.POLICY))
    return problems


def _add(columns: list[Vector], size: int) -> Vector:
    """Σ of columns, from 0 (as Decimal's sum of the rounded lines)."""
    total: Vector = Const(ZERO, size)
    for column in columns:
        total = kernels.operator(ast.Add, [total, column], size)
    return total


def _extras(
    roster: Roster, items: Mapping[str, list[tuple[LineKind, Decimal]]], kind: LineKind
) -> Vector | None:
    """Each employee's adjustments and arrears of one kind, summed (None: nobody has any)."""
    sums: dict[int, Decimal] = {}
    for emp_id, extras in items.items():
        at = roster.index(emp_id)
        if at is None:
            continue  # arrears of someone who has left are settled by hand
        for extra_kind, amount in extras:
            if extra_kind is kind:
                sums[at] = sums.get(at, ZERO) + amount
    if not sums:
        return None
    column = [sums.get(k, ZERO) for k in range(len(roster))]
    if isinstance(roster.columns["id"], Arrow):
        made = to_arrow(column)
        if made is not None:
            return made
    return Values(column)


def pay(
    policy: Policy,
    data: PeriodData,
    appraisals: Mapping[str, Appraisal],
    arrears: tuple[Arrear, ...] = (),
) -> tuple[Payroll, list[Diagnostic]]:
    """Every employee's pay lines, adjustments, arrears and totals."""
    roster = data.roster
    staffed = roster.headcount()  # the departments someone is paid in (a test case: a few)
    departments = {
        d.id: department_names(policy, d, appraisals.get(d.id))
        for d in policy.departments.values()
        if d.id in staffed
    }
    names = Names(policy, data.period, roster, departments)
    lines, _, failures = pay_lines(policy, names)
    size = len(roster)
    adjustments: dict[str, list[Adjustment]] = defaultdict(list)
    for adjustment in data.adjustments:
        adjustments[adjustment.employee].append(adjustment)
    arrears_of: dict[str, list[Arrear]] = defaultdict(list)
    for arrear in arrears:
        arrears_of[arrear.employee].append(arrear)
    extras: dict[str, list[tuple[LineKind, Decimal]]] = defaultdict(list)
    for emp_id, items in adjustments.items():
        extras[emp_id] += [(x.kind, x.amount) for x in items]
    for emp_id, carried in arrears_of.items():
        extras[emp_id] += [(x.kind, x.amount) for x in carried]
    sums = []
    for kind in LineKind:
        column = _add([lines[x.id].amounts for x in policy.lines if x.kind is kind], size)
        extra = _extras(roster, extras, kind)
        if extra is not None:
            column = kernels.operator(ast.Add, [column, extra], size)
        sums.append(column)
    gross, deductions = sums
    net = kernels.operator(ast.Sub, [gross, deductions], size)
    payroll = Payroll(
        policy,
        roster,
        names.employed,
        lines,
        (gross, deductions, net),
        {k: tuple(v) for k, v in adjustments.items()},
        {k: tuple(v) for k, v in arrears_of.items()},
    )
    return payroll, pay_errors(failures, roster)


__all__ = ["Failure", "Names", "department_names", "pay", "pay_errors", "pay_lines"]
