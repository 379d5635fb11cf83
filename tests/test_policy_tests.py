"""`innerpay test`: HR's YAML cases, compared exactly; failures name file:line and the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import run_cli

CASE = """\
cases:
  - name: staff at 0.96
    period: 2024-05
    metrics:
      sales: {{collection_rate: 0.96}}
    data:
      employees:
        - {{id: T1, name: One, department: sales, role: staff, base_salary: 10000.00, grade: 2}}
    expect:
      employees:
        T1:
          net: {net}
"""


def write(company: Path, text: str, name: str = "case.yaml") -> None:
    folder = company / "policies" / "tests"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_the_reference_cases_pass(company: Path) -> None:
    ran = run_cli(["test"])
    assert (ran.code, ran.stdout) == (0, "innerpay test: 6 passed, 0 failed\n")


def test_a_failing_value_names_its_line_and_path(company: Path) -> None:
    write(company, CASE.format(net="12875.01"))
    ran = run_cli(["test", "policies/tests/case.yaml"])
    assert ran.code == 1
    assert ran.stdout == (
        "policies/tests/case.yaml:12:16: fail: case 'staff at 0.96': employees.T1.net: "
        "expected 12875.01, got 12875.00\n"
        "innerpay test: 0 passed, 1 failed\n"
    )


def test_values_compare_as_decimals(company: Path) -> None:
    write(company, CASE.format(net="12875"))
    assert run_cli(["test", "policies/tests/case.yaml"]).code == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("net: 12875", "nett: 12875"),
            "policies/tests/case.yaml:12:11: fail: case 'staff at 0.96': employees.T1.nett: no such value",
        ),
        (
            ("    expect:", "    expcet:"),
            "policies/tests/case.yaml:9:5: error: unknown key 'expcet' in cases[0]; did you mean 'expect'?",
        ),
        (
            ("base_salary: 10000.00", 'base_salary: "10,000"'),
            "policies/tests/case.yaml:8: error: case 'staff at 0.96': base_salary: '10,000' is not an amount; write digits with an optional minus and up to two decimals, like 12000.00",
        ),
        (
            ("    metrics:\n      sales: {collection_rate: 0.96}\n", ""),
            "policies/2024-05.yaml:90:56: error: case 'staff at 0.96': pay line 'performance_bonus' for employee T1: 'score' has no value here: the metrics of department 'sales' are not given in this test case",
        ),
    ],
)
def test_broken_cases_say_what_is_wrong(
    company: Path, change: tuple[str, str], message: str
) -> None:
    text = CASE.format(net="12875")
    assert change[0] in text
    write(company, text.replace(*change))
    ran = run_cli(["test", "policies/tests/case.yaml"])
    assert ran.code != 0
    assert message in (ran.stdout + ran.stderr).splitlines()


def test_no_cases_is_a_usage_error(company: Path) -> None:
    ran = run_cli(["test", "nowhere"])
    assert ran.code == 2
    assert "nowhere: error: no such file or folder" in ran.stderr
    (company / "empty").mkdir()
    ran = run_cli(["test", "empty"])
    assert (ran.code, ran.stderr) == (2, "empty: error: no test case files (*.yaml) found\n")
