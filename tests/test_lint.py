"""Data-aware lint: a text literal no employee of the period has is a warning at its formula."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli


def misspell(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('role == "manager"', 'role == "manger"'), encoding="utf-8")


WARNING = (
    "policies/2024-05.yaml:93: warning: no employee has role 'manger' in "
    "fixtures/2024-05/employees.csv (pay line 'manager_allowance'); did you mean 'manager'?"
)


def test_a_role_no_employee_has_is_a_warning_of_compute_and_validate(company: Path) -> None:
    misspell(company)
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 0
    assert WARNING in ran.stderr.splitlines()
    ran = run_cli(["validate", "--period", "2024-05"])
    assert (ran.code, ran.stderr.splitlines().count(WARNING)) == (0, 1)
    ran = run_cli(["validate", "--period", "2024-05", "--strict"])
    assert ran.code == 4  # the void ballots of 2024-05 are errors too under --strict
    assert WARNING.replace(":93: warning: ", ":93:13: error: ") in ran.stderr.splitlines()


def test_the_reference_company_gets_no_such_warning(company: Path) -> None:
    ran = run_cli(["validate", "--period", "2024-05"])
    assert ran.code == 0
    assert "no employee has" not in ran.stderr
