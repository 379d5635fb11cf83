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
import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..data.period import Adjustment, PeriodData
from ..data.roster import Roster, employed_days_column
from ..errors import Diagnostic, Kind, Severity, error, warning
from ..formulas import arrow, kernels, values
from ..formulas.evaluator import Batch, compile_part
from ..formulas.kernels import split
from ..formulas.parse import (
    BandTable,
    Formula,
    FormulaError,
    MissingValue,
    StepTable,
    Unavailable,
)
from ..formulas.vectors import Arrow, Const, Fault, Rows, Values, Vector, assemble, to_arrow
from ..numbers import ZERO
from ..periods import Period
from ..policy.model import Department, LineKind, PayLine, Policy
from ..policy.names import ARREARS
from .earlier import YearToDate, months_employed
from .notes import LineNotes
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
    """A pay line (or a check) that failed for one employee (the row of the roster)."""

    what: str  # "pay line 'base'", "check 'negative_net'"
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
        more: Mapping[str, Callable[[], Vector]] | None = None,
    ):
        self.policy, self.period, self.roster = policy, period, roster
        self.departments = departments  # department → its names
        self.order = sorted(departments)
        self.size = len(roster)
        self._codes: Vector | None = None
        self.employed = employed_days_column(roster, period)
        self.more = more or {}  # names made when first read: records, ytd(x), adjustments
        self.period_names: dict[str, Any] = {
            "period_days": Decimal(period.days),
            "period_year": Decimal(period.year),
            "period_month": Decimal(period.month),
            "period_start": period.first_day,
            "period_end": period.last_day,
        }

    def __call__(self, name: str) -> Vector:
        roster = self.roster
        if name in roster.columns or name in ("hired_on", "left_on"):
            return roster.column(name)
        if name == "employed_days":
            return self.employed
        if name in self.period_names:
            return Const(self.period_names[name], self.size)
        if name in self.more:
            return self.more[name]()
        if self.order and name in self.departments[self.order[0]]:
            return self._by_department(name)
        if name in self.policy.parameters:
            return Const(self.policy.parameters[name], self.size)
        return Const(Fault(values.undefined(name)), self.size)

    def columnar(self, column: Vector) -> Vector:
        """A column of Python values as an arrow column where the roster is one (a rounded line
        that a Decimal kernel made, say a division): the same values, so that the lines that
        read it and the writers stay on arrow kernels."""
        if type(column) is Values and isinstance(self.roster.columns["id"], Arrow):
            made = to_arrow(column.items)
            if made is not None:
                return made
        return column

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
    reads: dict[str, dict[str, int]] | None = None,
) -> tuple[dict[str, LineColumn], dict[str, Vector], list[Failure], Batch]:
    """Every pay line of every employee of ``names``' roster, in dependency order: each line's
    rounded amounts and whether it applies, each line's exact values (for `explain`), every
    failure, and the batch (every line a column of it, for the checks).  With ``traces``, each
    line's list receives the names its formulas read on the first row (for `explain`): only
    what was evaluated, so short-circuited branches stay out.  With ``reads``, each line's dict
    receives every name its formulas read, with the rows it read it on (a bit per row: for
    `diff`, which change an employee's evaluation actually read)."""
    size = names.size
    batch = Batch(size, names)
    made: dict[str, LineColumn] = {}
    exact: dict[str, Vector] = {}
    failures: list[Failure] = []
    for line in policy.evaluation_order:
        what = f"pay line '{line.id}'"
        if traces is not None:
            batch.trace = traces.setdefault(line.id, [])
        if reads is not None:
            batch.reads = reads.setdefault(line.id, {})
        if line.when is None:
            yes, no, bad = Rows.every(size), Rows(size, 0, None, []), Rows(size, 0, None, [])
        else:
            condition = policy.compiled(line.when)(batch)
            yes, no, bad = split(condition)
            failures += [Failure(what, line.when, k, e) for k, e in condition.faults()]
        pieces: list[tuple[Rows, Vector]] = [
            (no, Const(ZERO, no.count)),
            (bad, Const(ZERO, bad.count)),
        ]
        if yes.count:
            value = kernels.amounts(policy.compiled(line.formula)(batch.subset(yes)))
            pieces.append((yes, value))
        amount = assemble(size, pieces)
        rounded = kernels.round_to(amount, line.places, policy.line_rounding(line), size)
        failed = _failed(rounded, line, yes, failures)
        if failed:
            rounded = _zero_at(rounded, failed)
        rounded = names.columnar(rounded)
        batch.set(line.id, rounded)
        exact[line.id] = amount
        applies = assemble(size, [(yes, Const(True, yes.count)), (no, Const(False, no.count)),
                                  (bad, Const(False, bad.count))])  # fmt: skip
        made[line.id] = LineColumn(rounded, names.columnar(applies))
    batch.trace = batch.reads = None
    return {line.id: made[line.id] for line in policy.lines}, exact, failures, batch


def _failed(rounded: Vector, line: PayLine, yes: Rows, failures: list[Failure]) -> list[int]:
    """The rows whose line failed (the formula, or its rounding), each failure recorded."""
    found = list(rounded.faults())
    for row, exc in found:
        failures.append(Failure(f"pay line '{line.id}'", line.formula, row, exc))
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
        grouped[(failure.what, exc.message, missing, exc.name)].append(failure)
    problems = []
    for (what, message, missing, name), cases in grouped.items():
        first = cases[0]
        employee = roster.employee(first.row)
        more = f" (and {len(cases) - 1} more)" if len(cases) > 1 else ""
        text = f"{what} for employee {employee.id}{more}: {message}"
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


def per_employee(roster: Roster, sums: Mapping[str, Decimal]) -> Vector:
    """A column over the roster from the sums of the employees who have one (others: 0)."""
    ids = roster.ids
    column = [sums.get(emp_id, ZERO) for emp_id in ids] if sums else None
    if column is None:
        return Const(ZERO, len(roster))
    if isinstance(roster.columns["id"], Arrow):
        made = to_arrow(column)
        if made is not None:
            return made
    return Values(column)


def _signed_sums(items: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for emp_id, amount in items:
        sums[emp_id] = sums.get(emp_id, ZERO) + amount
    return sums


def more_names(
    policy: Policy,
    data: PeriodData,
    arrears: tuple[Arrear, ...],
    earlier: YearToDate | None,
    roster: Roster | None = None,
) -> dict[str, Callable[[], Vector]]:
    """The names made from more than the roster, each when first read: the months employed,
    the arrears and adjustments of each category, the record sums, and ``ytd(x)`` (over the
    period's roster, or ``roster``: one employee of it, to explain them)."""
    period = data.period
    roster = data.roster if roster is None else roster
    made: dict[str, Callable[[], Vector]] = {
        "months_employed": lambda: per_employee(
            roster,
            {
                e: months_employed(h, period)
                for e, h in zip(roster.ids, roster.column("hired_on").values(), strict=True)
            },
        ),
        ARREARS: lambda: per_employee(
            roster, _signed_sums((a.employee, a.signed) for a in arrears)
        ),
    }
    for category in policy.adjustment_categories:
        made[f'adjustments("{category}")'] = lambda category=category: per_employee(  # type: ignore[misc]
            roster,
            _signed_sums(
                (a.employee, a.signed) for a in data.adjustments if a.category == category
            ),
        )
    for name, record_sum in policy.record_sums.items():
        found = data.records.get(record_sum.table)
        totals = found.totals.get(name, {}) if found is not None else {}
        made[name] = lambda totals=totals: per_employee(roster, totals)  # type: ignore[misc]
    for name in policy.earlier_names:
        if earlier is None:
            fault = Fault(FormulaError(f"ytd({name}): the earlier periods were not read"))
            made[f"ytd({name})"] = lambda fault=fault: Const(fault, len(roster))  # type: ignore[misc]
        else:
            made[f"ytd({name})"] = lambda name=name: per_employee(  # type: ignore[misc]
                roster, earlier.totals(name)
            )
    return made


def run_checks(
    policy: Policy, batch: Batch, roster: Roster, failures: list[Failure]
) -> tuple[dict[str, tuple[tuple[str, str], ...]], list[Diagnostic]]:
    """The policy's checks over every employee (the batch holds every line and the totals):
    the warnings per employee, and one diagnostic per check that fails (an error stops the
    run), naming the employees."""
    warned: dict[str, list[tuple[str, str]]] = defaultdict(list)
    problems: list[Diagnostic] = []
    ids = roster.ids
    for check in policy.checks:
        result = policy.compiled(check.when)(batch)
        failures += [Failure(f"check '{check.id}'", check.when, k, e) for k, e in result.faults()]
        yes, _, _ = split(result)
        rows = yes.positions()
        if not rows:
            continue
        named = ", ".join(ids[k] for k in rows[:NAMED])
        more = f" and {len(rows) - NAMED} more" if len(rows) > NAMED else ""
        who = f"employee {named}" if len(rows) == 1 else f"{len(rows)} employees ({named}{more})"
        text = f"check '{check.id}' fails for {who}: {check.message}"
        if check.severity is Severity.ERROR:
            problems.append(error(check.source, text, Kind.DATA))
        else:
            problems.append(warning(check.source, text, Kind.DATA))
            for k in rows:
                warned[ids[k]].append((check.id, check.message))
    return {k: tuple(v) for k, v in warned.items()}, problems


#: Employees named in a check's message (the others are counted).
NAMED = 5


def pay(
    policy: Policy,
    data: PeriodData,
    appraisals: Mapping[str, Appraisal],
    arrears: tuple[Arrear, ...] = (),
    earlier: YearToDate | None = None,
    lint: bool = False,
    reads: bool = False,
) -> tuple[Payroll, list[Diagnostic]]:
    """Every employee's pay lines, adjustments, arrears, totals and checks (and, with ``lint``,
    the warnings of :func:`one_row_reached`)."""
    roster = data.roster
    staffed = roster.headcount()  # the departments someone is paid in (a test case: a few)
    departments = {
        d.id: department_names(policy, d, appraisals.get(d.id))
        for d in policy.departments.values()
        if d.id in staffed
    }
    more = more_names(policy, data, arrears, earlier)
    names = Names(policy, data.period, roster, departments, more)
    read: dict[str, dict[str, int]] | None = {} if reads else None
    lines, _, failures, batch = pay_lines(policy, names, reads=read)
    size = len(roster)
    adjustments: dict[str, list[Adjustment]] = defaultdict(list)
    for adjustment in data.adjustments:
        adjustments[adjustment.employee].append(adjustment)
    arrears_of: dict[str, list[Arrear]] = defaultdict(list)
    for arrear in arrears:
        arrears_of[arrear.employee].append(arrear)
    sums = []
    for kind in (LineKind.EARNING, LineKind.DEDUCTION):
        column = _add([lines[x.id].amounts for x in policy.lines if x.kind is kind], size)
        extra = [(a.employee, a.amount) for a in data.adjustments if a.kind is kind]
        extra += [(a.employee, a.amount) for a in arrears if a.kind is kind]
        if extra:
            column = kernels.operator(ast.Add, [column, per_employee(roster, _signed_sums(extra))],
                                      size)  # fmt: skip
        sums.append(column)
    gross, deductions = sums
    net = kernels.operator(ast.Sub, [gross, deductions], size)
    problems: list[Diagnostic] = []
    if lint:
        problems += one_row_reached(policy, batch, lines, roster.path)
    warned: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, column in (("gross", gross), ("deductions", deductions), ("net", net)):
        batch.set(name, column)  # the checks and the slips' notes read them
    if policy.checks:
        warned, problems = run_checks(policy, batch, roster, failures)
    payroll = Payroll(
        policy,
        roster,
        names.employed,
        lines,
        (gross, deductions, net),
        {k: tuple(v) for k, v in adjustments.items()},
        {k: tuple(v) for k, v in arrears_of.items()},
        warned,
    )
    payroll.reads = read
    payroll.notes = LineNotes(policy, batch, names.employed, data.period.days)
    return payroll, pay_errors(failures, roster) + problems


def one_row_reached(
    policy: Policy, batch: Batch, lines: Mapping[str, LineColumn], path: str
) -> list[Diagnostic]:
    """A step or band table of which every employee's value reaches the same row this period,
    for each ``step()`` and ``band()`` of a pay line (lint, for `validate --period`: a table
    in the wrong unit, percent for a fraction, reaches one row only).  The table's argument is
    evaluated by the same evaluator over the employees the line applies to; a value that cannot
    be had (a department without a score, say) reaches nothing."""
    found: list[Diagnostic] = []
    for line in policy.lines:
        yes, _, _ = split(lines[line.id].applies)
        if not yes.count:
            continue  # idle_lines says so
        for fn, offset, args in line.formula.calls:
            table = policy.parameters.get(getattr(args[0], "id", "") if args else "")
            if fn not in ("step", "band") or not isinstance(table, (StepTable, BandTable)):
                continue
            column = compile_part(args[1], policy.rounding)(batch.subset(yes))
            reached = [v for v in column.values() if isinstance(v, Decimal) and v.is_finite()]
            if not reached:
                continue
            rows = _table_rows(table)
            hit = {_row_of(table, v) for v in reached}
            if len(hit) != 1 or len(rows) < 2 or -1 in hit:
                continue  # a value below a step table's rows is an error of its own
            (only,) = hit
            call = f"{fn}({line.formula.text_of(args[0])}, {line.formula.text_of(args[1])}"
            call += ", ...)" if fn == "band" else ")"
            low, high = (_shown(f(reached)) for f in (min, max))
            values = f"from {low} to {high}" if low != high else low
            found.append(warning(line.formula.at(offset), f"{call} in pay line '{line.id}': "
                f"every employee in {path} reaches {rows[only]} ({values}), no other of its "
                f"{len(rows)} rows; is the table in the unit of the value?",
                Kind.DATA))  # fmt: skip
    return found


def _table_rows(table: StepTable | BandTable) -> list[str]:
    """Each row of a table as a message names it."""
    if isinstance(table, StepTable):
        return [f"the row from {threshold}" for threshold, _ in table.rows]
    lows = ["", *(f"above {b} " for b in table.bounds)]
    highs = [f"up to {b}" for b in table.bounds] + ["and more"]
    return [f"the band {low}{high}".replace("band and more", "band above") for low, high in
            zip(lows, highs, strict=True)]  # fmt: skip


def _shown(value: Decimal) -> str:
    """A value in a message: to four decimal places at most."""
    shorter = value.quantize(Decimal("0.0001"))
    return str(value) if shorter == value else f"{shorter.normalize()}…"


def _row_of(table: StepTable | BandTable, value: Decimal) -> int:
    """The row of a table that a value reaches (a step table: -1 below its lowest row)."""
    if isinstance(table, StepTable):
        return bisect.bisect_right([t for t, _ in table.rows], value) - 1
    return bisect.bisect_left(table.bounds, value)


def idle_lines(payroll: Payroll) -> list[Diagnostic]:
    """A pay line that applies to no employee of the period, or is 0.00 for everyone (lint, for
    `validate --period`: a month without bonuses is no mistake, a typo in a condition is)."""
    found: list[Diagnostic] = []
    if not len(payroll):
        return found
    for line in payroll.policy.lines:
        column = payroll.lines[line.id]
        if not any(v is True for v in column.applies.values()):
            where = line.when.source if line.when is not None else line.source
            found.append(warning(where, f"pay line '{line.id}' applies to no employee in "
                                 f"{payroll.roster.path}", Kind.DATA))  # fmt: skip
        elif all(v == 0 for v in column.amounts.values()):
            found.append(warning(line.formula.source, f"pay line '{line.id}' is 0.00 for every "
                                 f"employee in {payroll.roster.path}", Kind.DATA))  # fmt: skip
    return found


__all__ = [
    "Failure",
    "Names",
    "department_names",
    "idle_lines",
    "more_names",
    "one_row_reached",
    "pay",
    "pay_errors",
    "pay_lines",
    "per_employee",
    "run_checks",
]
