"""Every command of innerpay at several sizes: none may cost more than in proportion.

    python bench/commands.py --employees 10000 100000 1000000 [--rounds 1] [--slips-up-to 100000]

For each size, the workload of bench/generate.py (generated once), with a second policy
version for `diff` (the top step of the bonus table raised) and twenty policy test cases for
`test` (each a department given its score and five employees, the expected pay worked out here
with Decimal).  Each command runs in a process of its own, as a user runs it; the table shows
the median wall seconds and peak memory, the cost per employee, and how each grew from one size
to the next (for a command that costs in proportion, the growth is the growth of the company).
"""

from __future__ import annotations

import argparse
import itertools
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

TABLE = [(Decimal("0.98"), Decimal("0.30")), (Decimal("0.95"), Decimal("0.20")),
         (Decimal("0.90"), Decimal("0.10")), (Decimal("0.00"), Decimal("0.00"))]  # fmt: skip
CENT = Decimal("0.01")


def prepare(employees: int, root: pathlib.Path) -> pathlib.Path:
    """The workload, a head version for `diff`, and test cases for `test`."""
    work = root / str(employees)
    if not (work / "data" / "2024-05" / "employees.csv").exists():
        generate(employees, work)
    policy = (work / "policies" / "bench.yaml").read_text(encoding="utf-8")
    head = work / "head"
    head.mkdir(exist_ok=True)
    (head / "bench-head.yaml").write_text(
        policy.replace('version: "bench"', 'version: "bench-head"').replace(
            "- [0.98, 0.30]", "- [0.98, 0.35]"
        ),
        encoding="utf-8",
    )
    tests = work / "policies" / "tests"
    tests.mkdir(exist_ok=True)
    lines = ["cases:"]
    for case in range(20):
        department = f"d{case:04d}"
        score = Decimal(90 + case % 10) / 100
        factor = next(v for t, v in TABLE if t <= score)
        lines += [
            f"  - name: department {department} at {score}",
            "    period: 2024-05",
            f"    metrics: {{{department}: {{on_time_rate: {score}}}}}",
            "    data:",
            "      employees:",
        ]
        expected = []
        for k in range(5):
            salary = Decimal(4000 + 997 * (case * 5 + k)) + Decimal("0.35")
            emp = f"T{case:02d}{k}"
            lines.append(
                f"        - {{id: {emp}, name: Test {emp}, department: {department}, "
                f"role: staff, base_salary: {salary}}}"
            )
            bonus = (salary * factor).quantize(CENT, ROUND_HALF_UP)
            insurance = (salary * Decimal("0.105")).quantize(CENT, ROUND_HALF_UP)
            expected.append(f"        {emp}: {{net: {salary + bonus - insurance}}}")
        lines += ["    expect:", "      employees:", *expected]
    (tests / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return work


def commands(work: pathlib.Path, slips: bool) -> dict[str, list[str]]:
    common = ["--policies", str(work / "policies"), "--data", str(work / "data")]
    out = ["--out", str(work / "runs")]
    found = {
        "compute json,csv": [
            "compute",
            "--period",
            "2024-05",
            *common,
            *out,
            "--format",
            "csv,json",
        ],
        "verify": ["verify", str(work / "runs" / "2024-05")],
        "explain": ["explain", "--period", "2024-05", "--employee", "E0000007", *common],
        "diff": [
            "diff",
            "--period",
            "2024-05",
            "--base",
            "bench",
            "--head",
            str(work / "head" / "bench-head.yaml"),
            "--format",
            "json",
            *common,
        ],
        "validate --period": ["validate", "--period", "2024-05", *common],
        "validate": ["validate", "--policies", str(work / "policies")],
        "test": ["test", str(work / "policies" / "tests"), "--policies", str(work / "policies")],
    }
    if slips:
        found["compute every format"] = ["compute", "--period", "2024-05", *common,
                                         "--out", str(work / "every")]  # fmt: skip
    return found


def timed(command: list[str], cwd: pathlib.Path) -> tuple[float, int]:
    """Wall seconds and peak memory (MiB) of one run of the command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "innerpay.cli", *command],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # diff and test may exit 1
        raise SystemExit(f"{' '.join(command)} failed: {stderr[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--root", type=pathlib.Path, default=HERE / "work")
    parser.add_argument(
        "--slips-up-to", type=int, default=1_000_000,
        help="measure `compute` with every format (a slip per employee) up to this size",
    )  # fmt: skip
    args = parser.parse_args()
    from run import compiled

    compiled()
    results: dict[int, dict[str, tuple[float, int]]] = {}
    for size in args.employees:
        work = prepare(size, args.root)
        for folder in ("runs", "every"):
            shutil.rmtree(work / folder, ignore_errors=True)
        found: dict[str, list[tuple[float, int]]] = {}
        for _ in range(args.rounds):
            for name, command in commands(work, size <= args.slips_up_to).items():
                found.setdefault(name, []).append(timed(command, work))
        results[size] = {
            name: (statistics.median(t for t, _ in runs), max(m for _, m in runs))
            for name, runs in found.items()
        }
        shutil.rmtree(work / "every", ignore_errors=True)
    sizes = args.employees
    names = list(results[sizes[0]])
    for size in sizes[1:]:
        names += [n for n in results[size] if n not in names]
    header = f"{'command':<22}" + "".join(f"{f'{s:,} s':>14}{'MiB':>7}" for s in sizes)
    header += "".join(f"{f'× {b // a}':>8}" for a, b in itertools.pairwise(sizes))
    print(header + f"{'µs/employee':>13}")
    for name in names:
        row = f"{name:<22}"
        for size in sizes:
            seconds, mib = results[size].get(name, (float("nan"), 0))
            row += f"{seconds:>14.2f}{mib:>7}"
        for a, b in itertools.pairwise(sizes):
            if name in results[a] and name in results[b]:
                row += f"{results[b][name][0] / results[a][name][0]:>8.1f}"
            else:
                row += f"{'':>8}"
        largest = max(s for s in sizes if name in results[s])
        row += f"{results[largest][name][0] / largest * 1e6:>13.1f}"
        print(row)


if __name__ == "__main__":
    main()
