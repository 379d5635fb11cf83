"""Time innerpay against the I/O floor and the scripts its users would otherwise write.

    python bench/run.py --employees 100000 --rounds 3 [--openfisca-python of/bin/python]

Generates the workload (bench/generate.py) once, then runs every contender in turn, round after
round (alternating, so that the machine's drift falls on all alike), and reports the median wall
time, the ratio to the I/O floor, the peak memory of each process, and whether the money agrees
exactly with innerpay's payroll.csv (employee by employee, net pay).
"""

from __future__ import annotations

import argparse
import csv
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
from decimal import Decimal

HERE = pathlib.Path(__file__).resolve().parent


def contenders(
    work: pathlib.Path, out: pathlib.Path, openfisca: str | None
) -> dict[str, list[str]]:
    python = sys.executable

    def script(name: str, target: str, interpreter: str = python) -> list[str]:
        return [interpreter, str(HERE / name), str(work), str(out / target)]

    found = {
        "I/O floor (csv module)": script("floor.py", "floor.csv"),
        "careful csv + Decimal": script("careful.py", "careful.csv"),
        "innerpay compute": [
            python, "-m", "innerpay.cli", "compute", "--period", "2024-05",
            "--policies", str(work / "policies"), "--data", str(work / "data"),
            "--out", str(out / "innerpay"), "--format", "csv,json",
        ],
    }  # fmt: skip
    try:
        import pandas  # noqa: F401

        found["pandas (float)"] = script("pandas_script.py", "pandas.csv")
    except ImportError:
        pass
    if openfisca:
        found["OpenFisca (float32)"] = script("openfisca_script.py", "openfisca.csv", openfisca)
    return found


def compiled() -> None:
    """Compile innerpay's modules as an installation would: an editable install leaves that to
    the first run, which never comes where PYTHONDONTWRITEBYTECODE is set (as on CI machines),
    and every start would compile 10,000 lines again (60 ms)."""
    import compileall

    import innerpay

    compileall.compile_dir(os.path.dirname(innerpay.__file__), quiet=1)


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{command[1]} failed: {stderr[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024


def nets(path: pathlib.Path, column: str = "net") -> dict[str, Decimal]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: Decimal(row[column]) for row in csv.DictReader(handle)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=pathlib.Path, default=None)
    parser.add_argument(
        "--openfisca-python",
        default=None,
        help="a Python with openfisca-core installed (OpenFisca is measured when given)",
    )
    args = parser.parse_args()
    work = args.work or HERE / "work" / str(args.employees)
    if not (work / "data" / "2024-05" / "employees.csv").exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(args.employees, work)
    out = work / "runs"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    commands = contenders(work, out, args.openfisca_python)
    compiled()
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, int] = {name: 0 for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            seconds, mib = timed(command)
            times[name].append(seconds)
            memory[name] = max(memory[name], mib)
    floor = statistics.median(times["I/O floor (csv module)"])
    reference = nets(out / "innerpay" / "2024-05" / "payroll.csv")
    agreement = {
        "careful csv + Decimal": out / "careful.csv",
        "pandas (float)": out / "pandas.csv",
        "OpenFisca (float32)": out / "openfisca.csv",
    }
    print(
        f"{args.employees} employees, {args.employees * 20} delivery records, {args.rounds} rounds"
    )
    pandas = statistics.median(times["pandas (float)"]) if "pandas (float)" in times else None
    print(
        f"{'contender':<26} {'median s':>9} {'× floor':>8} {'× pandas':>9} {'peak MiB':>9}"
        "  money vs innerpay"
    )
    for name in commands:
        median = statistics.median(times[name])
        versus = f"{median / pandas:>9.2f}" if pandas else f"{'':>9}"
        note = ""
        if name in agreement and agreement[name].exists():
            theirs = nets(agreement[name])
            off = sum(1 for k, v in reference.items() if theirs.get(k) != v)
            note = f"{off} of {len(reference)} nets differ ({100 * off / len(reference):.1f}%)"
        elif name == "innerpay compute":
            note = "(reference)"
        print(
            f"{name:<26} {median:>9.2f} {median / floor:>8.2f} {versus} {memory[name]:>9}  {note}"
        )


if __name__ == "__main__":
    main()
