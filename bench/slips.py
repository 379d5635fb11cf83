"""What rendering the pay slips adds per slip, and what writing them adds on this disk.

    python bench/slips.py --employees 10000 [--rounds 3]

Times, in this one process, rendering `csv,json` (the baseline) and rendering with the Markdown
slips, the HTML slips, and both, each from freshly computed results (computed untimed: a slip
reads its employee through the row path, kept once made, so a second rendering would come
cheaper); and writing all files into a fresh folder (as `innerpay compute` does). Prints the
medians and the cost per slip over the baseline.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from innerpay.evaluate import Results
from innerpay.outputs import write_run
from innerpay.periods import Period
from innerpay.render import render_files
from innerpay.run import RunOptions, compute_results

HERE = pathlib.Path(__file__).resolve().parent


def median_seconds(
    action: Callable[[Any], object], rounds: int, prepare: Callable[[], Any] = lambda: None
) -> float:
    """The median time of ``action(prepare())``, ``prepare`` untimed."""
    times = []
    for _ in range(rounds):
        prepared = prepare()
        started = time.perf_counter()
        action(prepared)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=pathlib.Path, default=None)
    args = parser.parse_args()
    work = args.work or HERE / "work" / str(args.employees)
    if not (work / "data" / "2024-05" / "employees.csv").exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(args.employees, work)
    options = RunOptions(policies=str(work / "policies"), data=str(work / "data"))

    def computed() -> Results:
        found = compute_results(Period.parse("2024-05"), options)
        assert found.results is not None, [str(p) for p in found.diagnostics]
        return found.results

    results = computed()
    count = len(results.employees)
    base = median_seconds(lambda r: render_files(r, ("csv", "json")), args.rounds, computed)
    print(f"{count} employees; rendering csv,json: {base:.2f} s (the baseline)")
    for formats in (("md",), ("html",), ("md", "html")):
        chosen = ("csv", "json", *formats)
        seconds = median_seconds(lambda r, c=chosen: render_files(r, c), args.rounds, computed)
        slips = count * len(formats)
        per_slip = (seconds - base) / slips * 1e6
        print(f"with {'+'.join(formats)} slips: {seconds:.2f} s, {per_slip:.0f} µs per slip")
    files = render_files(results, ("md", "html", "csv", "json")).files
    folder = pathlib.Path(tempfile.mkdtemp())
    try:

        def write(_: object) -> None:
            shutil.rmtree(folder / "out", ignore_errors=True)
            write_run(str(folder / "out"), "2024-05", files.items(), lambda outputs: b"{}\n")

        seconds = median_seconds(write, args.rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    each = seconds / len(files) * 1e6
    print(f"writing {len(files)} files: {seconds:.2f} s, {each:.0f} µs a file")


if __name__ == "__main__":
    main()
