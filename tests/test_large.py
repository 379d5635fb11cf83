"""A company large enough for pyarrow's readers gives the bytes the csv module's reading gives.

The benchmark's workload, generated small (4,000 employees: employees.csv, ballots.csv and the
delivery records all above the size the arrow readers take): computed by the command, which
reads the files with pyarrow and evaluates over arrow columns, and computed again from the same
files read by the csv module (Python values, the Decimal kernels): the same outputs, and the
audit commands say the same.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from innerpay import evaluate, load_policies, render_files, version_in_force
from innerpay.data import assemble
from innerpay.data.tables import FAST_BYTES, read_plain, stream_plain
from innerpay.data.tally import needed_columns
from innerpay.errors import has_errors
from innerpay.outputs import joined
from innerpay.periods import Period

from .conftest import ROOT, compute_data, run_cli

EMPLOYEES = 4000


def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("large")
    _generate().generate(EMPLOYEES, home)
    folder = home / "data" / "2024-05"
    employees = folder / "employees.csv"
    lines = employees.read_text(encoding="utf-8").split("\n")
    names = ((2, "=1+2"), (5, "-cmd|x"), (9, "@SUM(A1)"), (14, '"=A1, A2"'), (20, "Li & <Wu>"))
    for k, name in names:  # names a spreadsheet would run, and XML would escape
        cells = lines[k].split(",")
        lines[k] = ",".join([cells[0], name, *cells[2:]])  # names a spreadsheet would run
    employees.write_text("\n".join(lines), encoding="utf-8")
    for name in ("employees.csv", "ballots.csv", "deliveries.csv"):
        assert os.path.getsize(folder / name) >= FAST_BYTES, name  # the arrow readers' size
    return home


def by_the_csv_module() -> dict[str, bytes]:
    """The period (of the current folder) read by the csv module alone, evaluated, rendered."""
    period = Period.parse("2024-05")
    policies, _ = load_policies("policies")
    policy, _ = version_in_force(policies, period, "policies")
    assert policy is not None
    folder = Path("data") / "2024-05"
    problems: list = []  # type: ignore[type-arg]
    tables = {}
    for name in ("employees", "candidates", "ballots"):
        tables[name], found = read_plain(str(folder / f"{name}.csv"))
        problems += found
    stream, found = stream_plain(
        str(folder / "deliveries.csv"), ["department", *needed_columns(policy, "deliveries")]
    )
    problems += found
    data = assemble(period, str(folder), tables, {"deliveries": stream}, {}, policy, problems)
    results, found = evaluate(policy, data)
    assert results is not None and not has_errors(problems + found)
    rendered = render_files(results, ("csv", "json", "xlsx"))
    return {name: joined(content) for name, content in rendered.files.items()}


def test_a_large_company_gives_the_bytes_the_csv_module_gives(
    large: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = compute_data(large, monkeypatch, "2024-05", "--format", "csv,json,xlsx")
    assert ran.code == 0, ran.stderr
    out = large / "out" / "2024-05"
    expected = by_the_csv_module()
    assert (out / "payroll.csv").read_bytes() == expected["payroll.csv"]
    assert (out / "results.json").read_bytes() == expected["results.json"]
    assert (out / "payroll.xlsx").read_bytes() == expected["payroll.xlsx"]


@pytest.mark.parametrize(
    "command",
    [
        ["explain", "--period", "2024-05", "--data", "data", "--employee", "E0000007", "--json"],
        [
            "diff",
            "--period",
            "2024-05",
            "--data",
            "data",
            "--base",
            "bench",
            "--head",
            "policies/bench.yaml",
            "--format",
            "json",
        ],
        ["verify", "out/2024-05"],
    ],
)
def test_the_audit_commands_run_over_arrow_columns(
    large: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(large)
    if command[0] == "verify":
        run_cli(["compute", "--period", "2024-05", "--data", "data", "--format", "csv,json"])
    ran = run_cli(command)
    assert ran.code == 0, ran.stderr
    if command[0] == "explain":
        assert '"employee": {' in ran.stdout and '"E0000007"' in ran.stdout
    if command[0] == "verify":
        assert "ok" in ran.stdout
