"""Small policies and period data built in code, for unit and property tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from innerpay.data import Employee, PeriodData, assemble
from innerpay.data.tables import Block, Table, inline_table, streamed
from innerpay.errors import Source, has_errors
from innerpay.formulas import Arrow, arrow
from innerpay.periods import Period
from innerpay.policy.model import Policy
from innerpay.policy.versions import load_policy_text

BASE = """\
innerpay: 1
version: "t"
effective_from: 2024-01
currency: CNY
rounding: {rounding}
parameters:
  bonus_ratio: 0.30
  factor:
    - [0.90, 1.00]
    - [0.00, 0.50]
employee_fields:
  base_salary: money
metrics:
{metric}departments:
  a:
    name: A
    customers:
      - {{department: b, metric: rate, target: 0.90}}
  b:
    name: B
    customers:
      - {{department: a, metric: rate, target: 0.90}}
  c:
    name: C
pay:
  lines:
{lines}
promotion:
  gates:
    metric: {{min: 0.90}}
    customer_vote: {{min_share: 0.50, min_turnout: 0.60}}
    own_vote: {{min_share: 0.50, min_turnout: 0.60}}
  weights: {{metric: 0.4, customer_vote: 0.3, own_vote: 0.3}}
review:
  below_target_periods: 2
"""

DEFAULT_LINES = """\
    - id: base
      label: Base
      formula: prorate(base_salary)
    - id: bonus
      label: Bonus
      when: has_customer
      formula: base * bonus_ratio * step(factor, score)
    - id: insurance
      label: Insurance
      kind: deduction
      formula: base_salary * 0.105
"""


DEFAULT_METRIC = """\
  rate:
    label: Rate
    table: rows
    success: ok == 1
"""


def make_policy(
    lines: str = DEFAULT_LINES, rounding: str = "half_up", metric: str = DEFAULT_METRIC
) -> Policy:
    """A three-department policy (a and b appraise each other, c has no customer)."""
    policy, problems = load_policy_text(
        BASE.format(lines=lines, rounding=rounding, metric=metric), "t.yaml", "0" * 64
    )
    assert policy is not None, [str(p) for p in problems]
    return policy


def employee(
    emp_id: str,
    department: str,
    salary: str = "10000.00",
    role: str = "staff",
    hired_on: dt.date | None = None,
    left_on: dt.date | None = None,
    name: str | None = None,
) -> Employee:
    """One employee."""
    return Employee(
        emp_id,
        name or f"Name {emp_id}",
        department,
        role,
        {"base_salary": Decimal(salary)},
        hired_on,
        left_on,
        Source("employees.csv", 2),
    )


def rows(department: str, ok: int, total: int) -> list[tuple[str, str]]:
    """``total`` metric rows for a department, the first ``ok`` of them successful."""
    return [(department, "1" if i < ok else "0") for i in range(total)]


def _table(path: str, header: list[str], rows: Iterable[Iterable[str]]) -> Table:
    cells = [(i + 2, dict(zip(header, row, strict=True))) for i, row in enumerate(rows)]
    table = inline_table(path, cells)
    if not cells:
        return Table(path, header, Block({h: table.rows.columns.get(h) or _empty() for h in header},
                                         []), "", located=False)  # fmt: skip
    return table


def _empty() -> Any:
    from innerpay.formulas import Values

    return Values([])


def as_arrow(table: Table) -> Table:
    """The same table with every column an arrow array (an empty cell: null), as pyarrow's
    reader gives a large file."""
    assert arrow.available()
    pa = arrow.pa
    columns = {
        name: Arrow(pa.array([v or None for v in column.values()], pa.string()))
        for name, column in table.rows.columns.items()
    }
    return Table(table.path, table.header, Block(columns, table.rows.lines), table.sha256,
                 table.located)  # fmt: skip


def period_data(
    employees: Iterable[Employee],
    metric_rows: Iterable[tuple[str, str]] = (),
    candidates: Iterable[tuple[str, str]] = (),
    ballots: Iterable[tuple[str, str, str]] = (),
    period: str = "2024-05",
    policy: Policy | None = None,
    columns: bool = False,
    adjustments: Iterable[tuple[str, str, str, str, str, str]] = (),
) -> PeriodData:
    """Period data from plain values, read as innerpay reads files (with ``columns``: as arrow
    arrays, as pyarrow reads a large file)."""
    policy = policy or make_policy()
    people = [
        [e.id, e.name, e.department, e.role, str(e.fields["base_salary"]),
         e.hired_on.isoformat() if e.hired_on else "", e.left_on.isoformat() if e.left_on else ""]
        for e in employees
    ]  # fmt: skip
    header = ["id", "name", "department", "role", "base_salary", "hired_on", "left_on"]
    tables = {
        "employees": _table("employees.csv", header, people),
        "candidates": _table("candidates.csv", ["candidate", "position"], candidates),
        "ballots": _table("ballots.csv", ["candidate", "voter", "vote"], ballots),
        "adjustments": _table(
            "adjustments.csv",
            ["employee", "label", "amount", "kind", "reason", "approved_by"],
            adjustments,
        ),
    }
    metric = _table("rows.csv", ["department", "ok"], metric_rows)
    if columns:
        tables = {name: as_arrow(t) for name, t in tables.items()}
        metric = as_arrow(metric)
    problems: list[Any] = []
    data = assemble(
        Period.parse(period),
        f"data/{period}",
        dict(tables),
        {"rows": streamed(metric, ["department", "ok"])},
        {},
        policy,
        problems,
    )
    assert not has_errors(problems), [str(p) for p in problems]
    return data
