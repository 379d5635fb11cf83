"""Generate the scale workload in innerpay's layout, deterministically.

    python bench/generate.py --employees 100000 --out bench/work

N employees in N/100 departments, in loops of five (each department appraised by the next on
its on-time delivery rate, target 0.95); 20 delivery records per employee; one step-table bonus;
one candidate per department, elected by its customer department and its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import random

PERIOD = "2024-05"

POLICY = """\
innerpay: 1
version: "bench"
effective_from: 2024-01
title: scale benchmark
currency: CNY
rounding: half_up
parameters:
  bonus_table:
    - [0.98, 0.30]
    - [0.95, 0.20]
    - [0.90, 0.10]
    - [0.00, 0.00]
  insurance_rate: 0.105
employee_fields:
  base_salary: money
metrics:
  on_time_rate:
    label: On-time delivery rate
    table: deliveries
    success: delivered_on and delivered_on <= due_on
departments:
{departments}
pay:
  lines:
    - id: base
      label: Base pay
      formula: base_salary
    - id: bonus
      label: Delivery bonus
      formula: base_salary * step(bonus_table, score)
    - id: insurance
      label: Social insurance
      kind: deduction
      formula: base_salary * insurance_rate
promotion:
  gates:
    metric: {{min: 0.90}}
    customer_vote: {{min_share: 0.50, min_turnout: 0.60}}
    own_vote: {{min_share: 0.50, min_turnout: 0.60}}
  weights: {{metric: 0.4, customer_vote: 0.3, own_vote: 0.3}}
"""


def department(i: int) -> str:
    return f"d{i:04d}"


def generate(employees: int, out: pathlib.Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    n_depts = max(5, employees // 100 // 5 * 5)
    (out / "policies").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n_depts):
        loop, place = divmod(i, 5)
        customer = department(loop * 5 + (place + 1) % 5)
        lines.append(
            f"  {department(i)}:\n    name: Department {i}\n    customers:\n"
            f"      - {{department: {customer}, metric: on_time_rate, target: 0.95}}"
        )
    (out / "policies" / "bench.yaml").write_text(
        POLICY.format(departments="\n".join(lines)), encoding="utf-8"
    )
    folder = out / "data" / PERIOD
    folder.mkdir(parents=True, exist_ok=True)
    members: list[list[str]] = [[] for _ in range(n_depts)]
    with (folder / "employees.csv").open("w", encoding="utf-8") as handle:
        handle.write("id,name,department,role,base_salary\n")
        for e in range(employees):
            d = e % n_depts
            emp_id = f"E{e:07d}"
            members[d].append(emp_id)
            salary = f"{rng.randrange(4000, 40000)}.{rng.randrange(100):02d}"
            role = "manager" if len(members[d]) == 1 else "staff"
            handle.write(f"{emp_id},Employee {e},{department(d)},{role},{salary}\n")
    start = dt.date(2024, 5, 1)
    with (folder / "deliveries.csv").open("w", encoding="utf-8") as handle:
        handle.write("order_id,department,due_on,delivered_on\n")
        quality = [rng.choice((0.86, 0.93, 0.96, 0.99)) for _ in range(n_depts)]
        for r in range(employees * 20):
            d = r % n_depts
            due = start + dt.timedelta(days=rng.randrange(31))
            roll = rng.random()
            if roll < quality[d]:
                done = str(due - dt.timedelta(days=rng.randrange(3)))
            elif roll < quality[d] + 0.02:
                done = ""
            else:
                done = str(due + dt.timedelta(days=1 + rng.randrange(5)))
                if done > "2024-05-31":
                    done = "2024-05-31" if due < dt.date(2024, 5, 31) else ""
            handle.write(f"O{r:08d},{department(d)},{due},{done}\n")
    with (
        (folder / "candidates.csv").open("w", encoding="utf-8") as c,
        (folder / "ballots.csv").open("w", encoding="utf-8") as b,
    ):
        c.write("candidate,position\n")
        b.write("candidate,voter,vote\n")
        for d in range(n_depts):
            if len(members[d]) < 2:
                continue
            candidate = members[d][1]
            c.write(f"{candidate},Manager of {department(d)}\n")
            customer = (d // 5) * 5 + (d % 5 + 1) % 5
            for voter in members[customer] + members[d]:
                if voter != candidate and rng.random() < 0.8:
                    b.write(f"{candidate},{voter},{'yes' if rng.random() < 0.7 else 'no'}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("bench/work"))
    args = parser.parse_args()
    generate(args.employees, args.out)


if __name__ == "__main__":
    main()
