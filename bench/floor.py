"""The I/O floor: read every CSV of the period with the csv module, write a payroll CSV.

python bench/floor.py WORK_DIR OUT_CSV
"""

from __future__ import annotations

import csv
import pathlib
import sys


def main(work: pathlib.Path, out: pathlib.Path) -> None:
    folder = work / "data" / "2024-05"
    salaries = []
    with (folder / "employees.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            salaries.append((row[0], row[4]))
    for name in ("deliveries.csv", "candidates.csv", "ballots.csv"):
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            for _ in csv.reader(handle):
                pass
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "net"])
        writer.writerows(salaries)


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
