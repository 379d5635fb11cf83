"""What printing a pay slip to PDF costs, against rendering its HTML, in this one process.

    python bench/pdf.py [--slips 200] [--rounds 3]

Renders the HTML slips of the first ``--slips`` employees of the reference company grown to
that size (bench/generate.py), then prints each to PDF as `compute --format pdf` does
(:class:`innerpay.render.pdf.Printer`, one per run), and prints the medians per slip and their
ratio; also the payroll.xlsx writer against payroll.csv's on the same results (both per
employee).  A whole run prints every slip: at the per-slip figure, 100,000 slips take hours on
one core, which bench/README.md records.
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from innerpay.outputs import joined
from innerpay.periods import Period
from innerpay.render.excel import payroll_xlsx
from innerpay.render.files import payroll_csv, templated_files
from innerpay.render.pdf import Printer, unavailable
from innerpay.run import RunOptions, compute_results

HERE = pathlib.Path(__file__).resolve().parent


def median(action: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slips", type=int, default=200)
    parser.add_argument("--employees", type=int, default=10_000, help="for the xlsx figure")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if problems := unavailable():
        sys.exit(str(problems[0]))
    sys.path.insert(0, str(HERE))
    from generate import generate

    work = HERE / "work" / str(args.employees)
    if not (work / "data" / "2024-05" / "employees.csv").exists():
        generate(args.employees, work)
    options = RunOptions(policies=str(work / "policies"), data=str(work / "data"))
    found = compute_results(Period.parse("2024-05"), options)
    results = found.results
    assert results is not None, [str(p) for p in found.diagnostics]

    slips = [
        content
        for name, content in templated_files(results, ("html",))
        if name.startswith("payslips/")
    ][: args.slips]
    pages = [joined(content) for content in slips]
    printer = Printer()
    printer(pages[0])  # the fonts loaded once, as a run does before its first slip

    html = median(lambda: list(templated_files(results, ("html",))), args.rounds)
    html_each = html / len(results.employees)
    pdf_each = median(lambda: [printer(page) for page in pages], args.rounds) / len(pages)
    print(f"{len(pages)} slips: HTML {html_each * 1e6:.0f} µs a slip (rendering every "
          f"slip and report of {len(results.employees)} employees), PDF {pdf_each * 1e3:.0f} ms "
          f"a slip: {pdf_each / html_each:.0f}× the HTML")  # fmt: skip
    hours = pdf_each * 100_000 / 3600
    print(f"100,000 slips to PDF at that rate: {hours:.1f} h on one core")

    csv_s = median(lambda: joined(payroll_csv(results)), args.rounds)
    xlsx_s = median(lambda: payroll_xlsx(results), args.rounds)
    print(f"{len(results.employees)} employees: payroll.csv {csv_s:.2f} s, payroll.xlsx "
          f"{xlsx_s:.2f} s ({xlsx_s / csv_s:.1f}× payroll.csv)")  # fmt: skip


if __name__ == "__main__":
    main()
