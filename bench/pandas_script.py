"""What an analyst writes with pandas: fast, and floats (so some amounts are a cent off).

python bench/pandas_script.py WORK_DIR OUT_CSV
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pandas as pd


def main(work: pathlib.Path, out: pathlib.Path) -> None:
    folder = work / "data" / "2024-05"
    deliveries = pd.read_csv(folder / "deliveries.csv", dtype=str, keep_default_na=False)
    on_time = (deliveries.delivered_on != "") & (deliveries.delivered_on <= deliveries.due_on)
    score = on_time.groupby(deliveries.department).mean()
    factor = np.select([score >= 0.98, score >= 0.95, score >= 0.90], [0.30, 0.20, 0.10], 0.0)
    factor = pd.Series(factor, index=score.index)
    employees = pd.read_csv(folder / "employees.csv")
    salary = employees.base_salary
    bonus = (salary * employees.department.map(factor)).round(2)
    insurance = (salary * 0.105).round(2)
    employees["net"] = (salary + bonus - insurance).round(2)
    employees[["id", "net"]].to_csv(out, index=False, float_format="%.2f")
    for name in ("candidates.csv", "ballots.csv"):
        pd.read_csv(folder / name)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
