"""The bulk path (employees over whole columns) writes exactly what the row path writes, or
steps aside."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innerpay import bulk, columnar
from innerpay import evaluate as evaluate_module
from innerpay.data import load_period
from innerpay.evaluate import evaluate
from innerpay.outputs import joined
from innerpay.periods import Period
from innerpay.render import Rendered, render_files, templated_files
from innerpay.run import RunOptions, compute_results

from .conftest import run_cli
from .factory import make_policy

PERIODS = [f"2024-0{m}" for m in range(1, 7)]


@contextlib.contextmanager
def bulk_from(size: int) -> Iterator[None]:
    """Files of ``size`` bytes or more take the columnar paths (0: all; a huge size: none)."""
    saved = bulk.MIN_BYTES, columnar.MIN_BYTES
    bulk.MIN_BYTES = columnar.MIN_BYTES = size
    try:
        yield
    finally:
        bulk.MIN_BYTES, columnar.MIN_BYTES = saved


NEVER = 1 << 62


def as_bytes(rendered: Rendered) -> dict[str, bytes]:
    """Every rendered file as bytes (the bulk path gives a large file as its pieces)."""
    return {name: joined(content) for name, content in rendered.files.items()}


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_every_fixture_period_gives_the_same_bytes(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paid: list[tuple[int, int]] = []
    real = bulk.pay_columns

    def spying(*args: Any) -> Any:
        found = real(*args)
        assert found is not None  # the reference policy is one the bulk path pays
        paid.append((len(found.roster), len(found.deferred)))
        return found

    monkeypatch.setattr(evaluate_module, "pay_columns", spying)
    said = ""
    for period in PERIODS:
        with bulk_from(NEVER):
            by_rows = run_cli(["compute", "--period", period, "--out", "rows"])
        with bulk_from(0):
            by_columns = run_cli(["compute", "--period", period, "--out", "cols"])
        assert by_rows.code == by_columns.code == 0
        assert by_columns.stderr.replace("cols", "rows") == by_rows.stderr  # void ballots too
        said += by_rows.stderr
        rows = outputs(company / "rows" / period)
        cols = outputs(company / "cols" / period)
        assert sorted(cols) == sorted(rows)
        for name in rows:
            assert cols[name] == rows[name], f"{period}/{name}"
    assert "void ballot" in said
    assert len(paid) == len(PERIODS)
    assert any(deferred for _, deferred in paid)  # part months went through the row path
    assert all(deferred < employees for employees, deferred in paid)


def test_a_bad_cell_sends_the_file_to_the_row_path(company: Path) -> None:
    employees = company / "fixtures" / "2024-04" / "employees.csv"
    text = employees.read_text(encoding="utf-8")
    employees.write_text(text.replace(",22000.00,", ',"22,000.00",', 1), encoding="utf-8")
    with bulk_from(0):
        ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 4
    assert (
        "fixtures/2024-04/employees.csv:2:5: error: base_salary: '22,000.00' is not an amount"
        in ran.stderr
    )


NAMES = ["Wang Qiang", "王强", "Li, Na", 'Zhao "Zz"', "back\\slash"]
SALARIES = st.one_of(
    st.integers(-2000, 40000).map(str),
    st.tuples(st.integers(-2000, 40000), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]:02d}"),
    st.tuples(st.integers(0, 40000), st.integers(0, 9)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.sampled_from(["0", "0.00", "-0.01", "0.01", "9999.99", "-0"]),
)
FORMULAS = [
    "base_salary",
    "base_salary * bonus_ratio",
    "base_salary * 0.105",
    "-base_salary * 0.333",
    "(base_salary - 10000) * 0.005",
    "round(base_salary * 0.0333, 1)",
    "min(base_salary, 5000) - max(base_salary * 0.1, 100)",
    "abs(base_salary - 8000) * 0.015",
    "base_salary * step(factor, score)",
    "base_salary * step(factor, base_salary * 0.0001)",
    'base_salary if role == "manager" else 0',
    "prorate(base_salary)",
    "base_salary * 1.5 if base_salary > 9000 and has_customer else 100",
    "base_salary * 0",
    "base_salary / 3",
    "base * 0.5 + 0.005",
    "0.125",
]
WHENS = [None, 'role == "manager"', "has_customer", "not target_met", "base_salary > 5000"]


def write_company(
    folder: Path,
    employees: list[tuple[str, str, str, str, str]],
    adjustments: list[tuple[int, str, str]],
    backwards: bool = False,
) -> None:
    data = folder / "2024-05"
    data.mkdir(parents=True)
    lines = ["id,name,department,role,base_salary,hired_on"]
    for k, (name, department, role, salary, hired) in enumerate(employees):
        cell = f'"{name.replace(chr(34), chr(34) * 2)}"' if ("," in name or '"' in name) else name
        lines.append(f"E{k:03d},{cell},{department},{role},{salary},{hired}")
    if backwards:  # not sorted by id: the bulk path sorts, and keeps each row's line
        lines[1:] = lines[:0:-1]
    (data / "employees.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(f"{d},{ok}\n" for d in "ab" for ok in (1, 1, 0))
    (data / "rows.csv").write_text("department,ok\n" + rows, encoding="utf-8")
    if adjustments:
        text = "employee,label,amount,kind,reason,approved_by\n" + "".join(
            f"E{k % len(employees):03d},Fix,{amount},{kind},why,HR\n"
            for k, amount, kind in adjustments
        )
        (data / "adjustments.csv").write_text(text, encoding="utf-8")


def run_both(folder: Path, lines: str, rounding: str) -> tuple[Any, Any, bool]:
    policy = make_policy(lines=lines, rounding=rounding)
    period = Period.parse("2024-05")
    found = []
    for size in (NEVER, 0):
        with bulk_from(size):
            data, problems = load_period(str(folder), period, policy)
            assert data is not None
            results, more = evaluate(policy, data)
            files = None if results is None else as_bytes(render_files(results, ("csv", "json")))
            found.append((files, [str(p) for p in problems + more]))
            bulky = results is not None and isinstance(results.employees, bulk.EmployeeResults)
    return found[0], found[1], bulky


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.sampled_from("abc"),
            st.sampled_from(["staff", "manager"]),
            SALARIES,
            st.sampled_from(["", "", "", "2024-05-10", "2023-01-01"]),
        ),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.tuples(st.sampled_from(FORMULAS), st.sampled_from(WHENS)), min_size=1, max_size=3),
    st.sampled_from(["half_up", "half_even"]),
    st.booleans(),
    st.lists(
        st.tuples(
            st.integers(0, 30),
            st.sampled_from(["12.50", "-3", "0.01"]),
            st.sampled_from(["earning", "deduction"]),
        ),
        max_size=3,
    ),
)
def test_bulk_outputs_equal_row_outputs(
    tmp_path_factory: pytest.TempPathFactory,
    employees: list[tuple[str, str, str, str, str]],
    formulas: list[tuple[str, str | None]],
    rounding: str,
    backwards: bool,
    adjustments: list[tuple[int, str, str]],
) -> None:
    lines = "    - id: base\n      label: Base\n      formula: base_salary\n"
    for k, (formula, when) in enumerate(formulas):
        kind = "deduction" if k % 2 else "earning"
        lines += (
            f"    - id: l{k}\n      label: L{k}\n      kind: {kind}\n      formula: '{formula}'\n"
        )
        if when:
            lines += f"      when: '{when}'\n"
    folder = tmp_path_factory.mktemp("bulk")
    write_company(folder, employees, adjustments, backwards)
    rows, cols, _ = run_both(folder, lines, rounding)
    assert cols == rows


def test_the_bulk_path_pays_the_common_policies(tmp_path: Path) -> None:
    """The property test above would pass if the bulk path always stepped aside: it does not."""
    employees = [(f"N{k}", "abc"[k % 3], "staff", f"{1000 + 37 * k}.{k % 100:02d}", "")
                 for k in range(40)]  # fmt: skip
    write_company(tmp_path, employees, [(3, "12.50", "earning")])
    for formula in FORMULAS:
        if formula in ("base_salary / 3", "base_salary * step(factor, score)"):
            continue  # division: the row path; a department without score: the row path says so
        lines = "    - id: base\n      label: Base\n      formula: base_salary\n"
        lines += f"    - id: l\n      label: L\n      formula: '{formula}'\n"
        for rounding in ("half_up", "half_even"):
            rows, cols, bulky = run_both(tmp_path, lines, rounding)
            assert bulky, formula
            assert cols == rows, formula


def test_every_fixture_period_counts_its_ballots_over_columns(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[int] = []
    real = bulk.count_ballots

    def spying(*args: Any) -> Any:
        found = real(*args)
        counted.append(len(found.void))
        return found

    monkeypatch.setattr(evaluate_module, "count_ballots", spying)
    with bulk_from(0):
        for period in PERIODS:
            assert run_cli(["compute", "--period", period, "--format", "json"]).code == 0
    assert counted and max(counted) >= 5  # 2024-05 holds a void ballot of every kind


VOTES = st.sampled_from(["yes", "no", "yes", "no", "maybe"])
VOTERS = st.sampled_from([f"E{k:03d}" for k in range(12)] + ["X999"])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from("abc"), min_size=3, max_size=12),
    st.lists(st.tuples(st.integers(0, 2), VOTERS, VOTES), min_size=1, max_size=40),
)
def test_bulk_ballots_equal_row_ballots(
    tmp_path_factory: pytest.TempPathFactory,
    departments: list[str],
    ballots: list[tuple[int, str, str]],
) -> None:
    folder = tmp_path_factory.mktemp("ballots")
    write_company(folder, [("N", d, "staff", "5000.00", "") for d in departments], [])
    data = folder / "2024-05"
    (data / "candidates.csv").write_text(
        "candidate,position\nE000,Lead A\nE001,Lead B\nE002,Lead A\n", encoding="utf-8"
    )
    (data / "ballots.csv").write_text(
        "candidate,voter,vote\n" + "".join(f"E{c:03d},{v},{x}\n" for c, v, x in ballots),
        encoding="utf-8",
    )
    policy = make_policy()
    found = []
    for size in (NEVER, 0):
        with bulk_from(size):
            period_data, problems = load_period(str(folder), Period.parse("2024-05"), policy)
            assert period_data is not None
            assert (period_data.ballot_table is not None) == (size == 0)
            results, more = evaluate(policy, period_data)
            assert results is not None
            files = as_bytes(render_files(results, ("json",)))
            # the reports (the slips, which ballots do not reach, are left out: they are slow)
            files.update(itertools.islice(templated_files(results, ("md",)), 2))
            found.append(([str(p) for p in problems + more], files))
    assert "promotion.md" in found[0][1]
    assert found[1] == found[0]


def test_employees_keep_their_lines_when_the_file_is_not_sorted(tmp_path: Path) -> None:
    staff = [(f"N{k}", "abc"[k % 3], "staff", "5000.00", "") for k in range(12)]
    write_company(tmp_path, staff, [], backwards=True)
    policy = make_policy()
    found = []
    for size in (NEVER, 0):
        with bulk_from(size):
            data, problems = load_period(str(tmp_path), Period.parse("2024-05"), policy)
            assert data is not None and problems == []
            assert (data.roster is not None) == (size == 0)
            found.append([(e.id, e.source, e.fields, e.name) for e in data.employees])
    assert found[1] == found[0]
    assert found[0][0][0] == "E000" and found[0][0][1].line == 13  # the last line of the file


@pytest.mark.parametrize("command", [
    ["diff", "--period", "2024-05", "--base", "2024.01", "--head", "2024.05", "--format", "json"],
    ["explain", "--period", "2024-05", "--employee", "E013", "--json"],
    ["explain", "--period", "2024-02", "--employee", "E009"],
])  # fmt: skip
def test_audit_commands_say_the_same_over_columns(company: Path, command: list[str]) -> None:
    with bulk_from(NEVER):
        by_rows = run_cli(command)
    with bulk_from(0):
        by_columns = run_cli(command)
    assert by_rows.code == 0
    assert (by_columns.code, by_columns.stdout, by_columns.stderr) == (
        by_rows.code, by_rows.stdout, by_rows.stderr,
    )  # fmt: skip


def test_arrears_are_the_same_over_columns(company: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .test_ledger import add_retroactive_version

    shutil.copytree(company / "fixtures" / "2024-06", company / "fixtures" / "2024-07")
    modes = {"rows": NEVER, "cols": 0}
    for place in modes:  # two copies of the company, each with its own out/ and ledger
        (company / place).mkdir()
        for folder in ("policies", "fixtures"):
            shutil.copytree(company / folder, company / place / folder)
    said, made = {}, {}
    for place, size in modes.items():
        monkeypatch.chdir(company / place)
        with bulk_from(size):
            for period in ("2024-05", "2024-06"):
                assert run_cli(["compute", "--period", period]).code == 0
                assert run_cli(["close", "--period", period]).code == 0
            add_retroactive_version(company / place)
            ran = run_cli(["compute", "--period", "2024-07"])
        assert ran.code == 0, ran.stderr
        said[place], made[place] = ran.stderr, outputs(company / place / "out" / "2024-07")
    assert said["cols"] == said["rows"]
    assert "settle it by hand" in said["rows"]  # arrears of someone who has left
    assert sorted(made["cols"]) == sorted(made["rows"])
    for name in made["rows"]:
        assert made["cols"][name] == made["rows"][name], name
    assert b"2024-05 2024-06" in made["rows"]["payroll.csv"]  # arrears are there to compare


def test_a_bulk_run_verifies_and_its_large_files_are_written_in_pieces(company: Path) -> None:
    with bulk_from(0):
        assert run_cli(["compute", "--period", "2024-05"]).code == 0
        ran = run_cli(["verify", "out/2024-05"])
    assert (ran.code, ran.stdout) == (
        0, "ok: out/2024-05 matches its inputs byte for byte (69 files)\n",
    )  # fmt: skip
    with bulk_from(NEVER):
        assert run_cli(["verify", "out/2024-05"]).code == 0  # the row path agrees
    with bulk_from(0):
        computed = compute_results(Period.parse("2024-05"), RunOptions())
        assert computed.results is not None
        files = render_files(computed.results, ("csv", "json")).files
    assert isinstance(files["results.json"], tuple) and isinstance(files["payroll.csv"], tuple)
    on_disk = company / "out" / "2024-05"
    for name in ("results.json", "payroll.csv"):
        assert joined(files[name]) == (on_disk / name).read_bytes()


COMMAND = (
    "import sys\n"
    "from innerpay import bulk, columnar, cli\n"
    "bulk.MIN_BYTES = columnar.MIN_BYTES = 0\n"
    "sys.argv = ['innerpay', *sys.argv[1:]]\n"
    "try:\n"
    "    cli.main()\n"
    "finally:\n"
    "    print(sorted(n for n in ('numpy', 'pandas') if n in sys.modules), file=sys.stderr)\n"
)


def test_the_command_pays_over_columns_without_numpy_or_pandas(company: Path) -> None:
    """The console script hides numpy and pandas from pyarrow; every columnar path still runs."""
    with bulk_from(NEVER):
        by_rows = run_cli(["compute", "--period", "2024-05", "--out", "rows"])
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, "compute", "--period", "2024-05", "--out", "cols"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (by_rows.code, done.returncode) == (0, 0)
    assert done.stderr.replace("cols", "rows") == by_rows.stderr + "[]\n"
    assert outputs(company / "cols" / "2024-05") == outputs(company / "rows" / "2024-05")


@pytest.mark.parametrize("rows", [1, 4, 7])
def test_results_json_made_slice_by_slice_is_the_same(
    company: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """results.json is written a slice of employees at a time; any slicing gives the same bytes,
    the employees the row path makes (adjustments, names to escape) wherever they fall."""
    from innerpay import render

    monkeypatch.setattr(render, "SLICE_ROWS", rows)
    made: list[int] = []
    real = render.bulk_employee_lines

    def counting(employees: Any) -> Any:
        for piece in real(employees):
            made.append(len(piece))
            yield piece

    for period in ("2024-03", "2024-05"):
        with bulk_from(NEVER):
            assert run_cli(["compute", "--period", period, "--out", "rows"]).code == 0
        made.clear()
        monkeypatch.setattr(render, "bulk_employee_lines", counting)
        with bulk_from(0):
            assert run_cli(["compute", "--period", period, "--out", "cols"]).code == 0
        monkeypatch.setattr(render, "bulk_employee_lines", real)
        assert len(made) > 1  # more than one slice
        assert outputs(company / "cols" / period) == outputs(company / "rows" / period)
