"""Small policies and period data built in code, for unit and property tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from innerpay.data import Ballot, Candidate, Employee, PeriodData, RawTable, tally_metric_table
from innerpay.errors import Source
from innerpay.model import Policy
from innerpay.periods import Period
from innerpay.policy import load_policy_text

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
) -> Employee:
    """One employee."""
    return Employee(
        emp_id,
        f"Name {emp_id}",
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


def period_data(
    employees: Iterable[Employee],
    metric_rows: Iterable[tuple[str, str]] = (),
    candidates: Iterable[tuple[str, str]] = (),
    ballots: Iterable[tuple[str, str, str]] = (),
    period: str = "2024-05",
    policy: Policy | None = None,
    **extra: Any,
) -> PeriodData:
    """Period data from plain values."""
    return PeriodData(
        period=Period.parse(period),
        folder=f"data/{period}",
        employees=tuple(sorted(employees, key=lambda e: e.id)),
        tables={
            "rows": tally_metric_table(
                RawTable(
                    "rows.csv",
                    ["department", "ok"],
                    [(i + 2, list(r)) for i, r in enumerate(metric_rows)],
                    "",
                ),
                "rows",
                policy or make_policy(),
                [],
            )
        },
        candidates=tuple(
            Candidate(c, p, Source("candidates.csv", i + 2)) for i, (c, p) in enumerate(candidates)
        ),
        ballots=tuple(
            Ballot(c, v, vote, "ballots.csv", i + 2) for i, (c, v, vote) in enumerate(ballots)
        ),
        **extra,
    )
