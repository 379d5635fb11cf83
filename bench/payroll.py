"""The payroll of record at size: a year of examples/cn-payroll's policy for a large company.

    python bench/payroll.py --employees 10000 100000 [--rounds 1]

For each size, twelve months of data in the example's layout (employees.csv, attendance.csv with
0 to 6 records a person, the five metric tables; generated once, deterministic), and the
example's policy: cumulative income tax read year to date, contributions, overtime and leave
from attendance.  Each command runs in a process of its own, as a user runs it:

- ``january``: compute 2024-01 (no earlier month): the baseline, one month's work;
- ``december, open``: compute 2024-12 with January to November not closed (each computed again);
- ``december, closed``: the same after closing January to November (each read as recorded);
- ``explain``: one employee's December slip, every line; ``verify``: the closed December run.

The table shows median wall seconds, peak memory and each figure as a multiple of January.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
BASES = ("2300.00", "5200.00", "8000.00", "12000.00", "25000.00")
sys.path.insert(0, str(ROOT / "examples" / "cn-payroll"))

from make_data import METRIC_TABLES as TABLES  # noqa: E402  (the example's five tables)

KINDS = ("weekday_ot", "restday_ot", "unpaid_leave")


def generate(employees: int, work: pathlib.Path) -> None:
    """Twelve months of a company of ``employees`` people (deterministic)."""
    rng = random.Random(employees)
    shutil.copytree(ROOT / "examples" / "cn-payroll" / "policies", work / "policies",
                    ignore=shutil.ignore_patterns("tests"))  # fmt: skip
    departments = [d for d, _ in TABLES.values()]
    people = [
        (f"E{k:07d}", f"员工{k}", departments[k % 5], rng.choice(BASES)) for k in range(employees)
    ]
    for month in range(1, 13):
        folder = work / "data" / f"2024-{month:02d}"
        folder.mkdir(parents=True)
        with (folder / "employees.csv").open("w", encoding="utf-8") as out:
            out.write("id,name,department,role,base_salary,hired_on,left_on,si_base_avg,"
                      "special_additional\n")  # fmt: skip
            for emp_id, name, department, base in people:
                out.write(f"{emp_id},{name},{department},staff,{base},2020-01-01,,{base},1000.00\n")
        with (folder / "attendance.csv").open("w", encoding="utf-8") as out:
            out.write("employee,date,kind,hours\n")
            for emp_id, *_ in people:
                for _ in range(rng.randint(0, 6)):
                    day = rng.randint(1, 28)
                    kind = rng.choice(KINDS)
                    out.write(
                        f"{emp_id},2024-{month:02d}-{day:02d},{kind},{rng.choice((2, 4, 8))}\n"
                    )
        for table, (department, header) in TABLES.items():
            with (folder / f"{table}.csv").open("w", encoding="utf-8") as out:
                out.write(header + "\n")
                for k in range(max(200, employees // 50)):
                    done = rng.choice((10, 14, 16, 20))
                    row = [f"K{k}", department, f"2024-{month:02d}-15", f"2024-{month:02d}-{done}"]
                    out.write(
                        ",".join(row + (["1000.00"] if header.count(",") == 4 else [])) + "\n"
                    )


def timed(args: list[str], cwd: pathlib.Path) -> tuple[float, float]:
    """Wall seconds and peak MiB of one innerpay command in its own process."""
    command = [sys.executable, "-c", "from innerpay.cli import main; main()", *args]
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", *command], cwd=cwd, capture_output=True,
                          text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def measure(employees: int, rounds: int, root: pathlib.Path) -> list[tuple[str, float, float]]:
    work = root / f"payroll-{employees}"
    if not (work / "data" / "2024-12" / "employees.csv").exists():
        shutil.rmtree(work, ignore_errors=True)
        generate(employees, work)
    compute = ["compute", "--format", "csv,json"]
    rows: list[tuple[str, float, float]] = []

    def run(label: str, args: list[str]) -> None:
        times, peaks = [], []
        for _ in range(rounds):
            seconds, peak = timed(args, work)
            times.append(seconds)
            peaks.append(peak)
        rows.append((label, statistics.median(times), max(peaks)))

    shutil.rmtree(work / "open", ignore_errors=True)
    run("january", [*compute, "--period", "2024-01", "--out", "open"])
    run("december, open", [*compute, "--period", "2024-12", "--out", "open"])
    shutil.rmtree(work / "closed", ignore_errors=True)
    for month in range(1, 12):
        period = f"2024-{month:02d}"
        timed([*compute, "--period", period, "--out", "closed"], work)
        timed(["close", "--period", period, "--out", "closed", "--by", "bench"], work)
    shutil.rmtree(work / "closed" / "2024-12", ignore_errors=True)
    run("december, closed", [*compute, "--period", "2024-12", "--out", "closed"])
    emp = "E0000002"
    run("explain", ["explain", "--period", "2024-12", "--employee", emp, "--out", "closed"])
    run("verify", ["verify", "closed/2024-12"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, nargs="+", default=[10000])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--work", default=str(HERE / "work"))
    options = parser.parse_args()
    root = pathlib.Path(options.work)
    root.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    for employees in options.employees:
        rows = measure(employees, options.rounds, root)
        base = rows[0][1]
        print(f"\n{employees} employees, {options.rounds} round(s)")
        print(f"{'command':<20}{'median s':>10}{'× january':>12}{'peak MiB':>10}")
        for label, seconds, peak in rows:
            print(f"{label:<20}{seconds:>10.2f}{seconds / base:>12.2f}{peak:>10.0f}")


if __name__ == "__main__":
    main()
