"""What a careful analyst writes by hand: csv and Decimal, exact, for the benchmark's policy.

    python bench/careful.py WORK_DIR OUT_CSV

On-time rate per department (delivered_on and delivered_on <= due_on, over all rows), the score
is that rate (one customer each), bonus = salary × step(bonus_table, score), insurance = salary ×
0.105, each rounded half up to the cent; net = base + bonus − insurance.
"""

from __future__ import annotations

import csv
import pathlib
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TABLE = [(Decimal("0.98"), Decimal("0.30")), (Decimal("0.95"), Decimal("0.20")),
         (Decimal("0.90"), Decimal("0.10")), (Decimal("0.00"), Decimal("0.00"))]  # fmt: skip
RATE = Decimal("0.105")


def main(work: pathlib.Path, out: pathlib.Path) -> None:
    folder = work / "data" / "2024-05"
    total: Counter[str] = Counter()
    good: Counter[str] = Counter()
    with (folder / "deliveries.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for _, department, due, done in reader:
            total[department] += 1
            if done and done <= due:
                good[department] += 1
    score = {d: Decimal(good[d]) / Decimal(n) for d, n in total.items()}
    factor = {d: next(v for t, v in TABLE if t <= s) for d, s in score.items()}
    with (
        (folder / "employees.csv").open(encoding="utf-8", newline="") as source,
        out.open("w", encoding="utf-8", newline="") as target,
    ):
        reader = csv.reader(source)
        next(reader)
        writer = csv.writer(target)
        writer.writerow(["id", "net"])
        for emp_id, _, department, _, salary_text in reader:
            salary = Decimal(salary_text)
            bonus = (salary * factor[department]).quantize(CENT, ROUND_HALF_UP)
            insurance = (salary * RATE).quantize(CENT, ROUND_HALF_UP)
            writer.writerow([emp_id, salary + bonus - insurance])


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
