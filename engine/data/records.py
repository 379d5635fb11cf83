"""Record tables: rows per employee (attendance, piece-work output), summed per employee.

A policy's ``records:`` names a table and the sums it gives: ``sum`` (a formula over each row) or
``count`` (a condition), each over the rows where ``when`` holds.  Every cell is typed as a
metric table's are (:func:`~innerpay.data.cells.infer_column`); a row for someone who is not in
employees.csv, a bad cell or a row whose formula fails is a data error at its file and row.  The
rows summed are kept per employee, for `explain`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Diagnostic, Source, suggest
from ..formulas import Formula, values
from ..formulas.evaluator import Batch
from ..formulas.kernels import split
from ..formulas.vectors import Const, Fault, Rows, Vector
from ..numbers import CONTEXT, ONE, ZERO
from ..policy.model import Policy, RecordSum, RecordTable
from .cells import infer_column, texts
from .tables import Table, data_error, require


@dataclass(frozen=True)
class RecordSums:
    """The per-employee totals one record table gives: sum name → employee → total, and the
    lines of the rows each total was made of (for `explain`)."""

    table: str
    path: str  # the file (or the test case) read; absent files are read as no rows
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    lines: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    present: bool = True  # False: an optional table whose file is absent this month


def no_records(table: RecordTable, path: str) -> RecordSums:
    """An optional table without its file this month: no records, every total 0."""
    return RecordSums(table.name, path, {s.name: {} for s in table.sums}, {}, present=False)


def absent(table: RecordTable, path: str, policy: Policy) -> Diagnostic:
    """A required record table whose file is not there."""
    return data_error(
        Source(path),
        f"no {os.path.basename(path)}: record table '{table.name}' is required by "
        f"{policy.file} (declare it optional: true if a month may have none)",
    )


def sum_records(
    source: Table,
    table: RecordTable,
    policy: Policy,
    roster_ids: list[str],
    problems: list[Diagnostic],
) -> RecordSums:
    """Every sum of one record table, per employee."""
    wanted = [table.employee, *table.columns]
    if not require(source, wanted, f"used by record table '{table.name}'", problems):
        return RecordSums(table.name, source.path)
    rows = source.rows
    known = set(roster_ids)
    employees = [e.strip() for e in texts(rows.columns[table.employee])]
    bad: set[int] = set()
    for k, emp_id in enumerate(employees):
        if emp_id not in known:
            bad.add(k)
            where = source.at(rows.lines[k], table.employee)
            message = (
                f"{table.employee} is empty"
                if not emp_id
                else f"record for '{emp_id}', who is not in employees.csv this period"
                f"{suggest(emp_id, roster_ids)}"
            )
            problems.append(data_error(where, message, emp_id or None))
    typed: dict[str, Vector] = {}
    for name in table.columns:
        found = infer_column(rows.columns[name], name)
        typed[name] = found.column
        for k, message in sorted(found.problems.items()):
            if k not in bad:
                bad.add(k)
                problems.append(data_error(source.at(rows.lines[k], name), message))
    good = Rows.of_positions(rows.size, [k for k in range(rows.size) if k not in bad])
    kept = {name: column.take(good) for name, column in typed.items()}
    positions = good.positions()
    made = RecordSums(table.name, source.path)
    for record_sum in table.sums:
        batch = Batch(good.count, lambda name: kept[name])
        totals, lines = _one_sum(policy, record_sum, batch, positions, employees, source, problems)
        made.totals[record_sum.name], made.lines[record_sum.name] = totals, lines
    return made


def _one_sum(
    policy: Policy,
    record_sum: RecordSum,
    batch: Batch,
    positions: list[int],
    employees: list[str],
    source: Table,
    problems: list[Diagnostic],
) -> tuple[dict[str, Decimal], dict[str, list[int]]]:
    """One sum over the rows: Σ per employee, and the lines summed."""

    def run(formula: Formula, rows: Batch) -> Vector:
        return policy.compiled(formula)(rows)

    chosen = Rows.every(batch.size)
    condition = record_sum.when if record_sum.count is None else record_sum.count
    if condition is not None:
        test = run(condition, batch)
        _faults(test, record_sum, positions, source, problems)
        chosen, _, _ = split(test)
        if record_sum.count is not None and record_sum.when is not None:
            sub = batch.subset(chosen)
            also = run(record_sum.when, sub)
            inner = [positions[k] for k in chosen.positions()]
            _faults(also, record_sum, inner, source, problems)
            yes, _, _ = split(also)
            chosen = Rows.of_positions(batch.size, [chosen.positions()[k] for k in yes.positions()])
    amounts: Vector = Const(ONE, chosen.count)
    if record_sum.sum is not None:
        amounts = run(record_sum.sum, batch.subset(chosen))
        inner = [positions[k] for k in chosen.positions()]
        _faults(amounts, record_sum, inner, source, problems)
    totals: dict[str, Decimal] = {}
    lines: dict[str, list[int]] = {}
    for k, amount in zip(chosen.positions(), amounts.values(), strict=True):
        row = positions[k]
        if type(amount) is Fault:
            continue  # said above
        if not isinstance(amount, Decimal) or isinstance(amount, bool):
            problems.append(
                data_error(Source(source.path, source.rows.lines[row]),
                           f"record sum '{record_sum.name}': the sum is {values.describe(amount)},"
                           " not a number")
            )  # fmt: skip
            continue
        emp_id = employees[row]
        totals[emp_id] = CONTEXT.add(totals.get(emp_id, ZERO), amount)
        lines.setdefault(emp_id, []).append(source.rows.lines[row])
    return totals, lines


def _faults(
    column: Vector,
    record_sum: RecordSum,
    positions: list[int],
    source: Table,
    problems: list[Diagnostic],
) -> None:
    for k, exc in column.faults():
        line = source.rows.lines[positions[k]]
        problems.append(
            data_error(Source(source.path, line), f"record sum '{record_sum.name}': {exc.message}")
        )


__all__ = ["RecordSums", "absent", "no_records", "sum_records"]
