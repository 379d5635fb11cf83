"""Data-aware lint: a text literal no employee of the period has is a warning at its formula."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli


def misspell(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('role == "manager"', 'role == "manger"'), encoding="utf-8")


WARNING = (
    "policies/2024-05.yaml:102: warning: no employee has role 'manger' in "
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
    assert WARNING.replace(":102: warning: ", ":102:13: error: ") in ran.stderr.splitlines()


def test_the_reference_company_gets_no_such_warning(company: Path) -> None:
    ran = run_cli(["validate", "--period", "2024-05"])
    assert ran.code == 0
    assert "no employee has" not in ran.stderr


def test_validate_period_says_what_the_data_never_reaches(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('when: role == "manager" and has_customer',
                                   'when: role == "manager" and not has_customer and grade > 9'),
                      encoding="utf-8")  # fmt: skip
    text = policy.read_text(encoding="utf-8")
    quality = (
        "  quality:\n    name: 质检部 Quality\n    customers:\n"
        "      - {department: production, metric: delivery_rate, target: 0.90}\n"
    )
    policy.write_text(text.replace("  administration:\n", quality + "  administration:\n"),
                      encoding="utf-8")  # fmt: skip
    ran = run_cli(["validate", "--period", "2024-05"])
    assert ran.code == 0, ran.stderr
    assert [line for line in ran.stderr.splitlines() if "void ballot" not in line] == [
        "policies/2024-05.yaml:75: warning: department 'quality' has no employee in "
        "fixtures/2024-05/employees.csv",
        "policies/2024-05.yaml:77: warning: department 'quality' is outside every loop of internal "
        "customers: its customers (production) never lead back to it; the mechanism's mutual "
        "check needs each department in a loop",
        "policies/2024-05.yaml:79: warning: department 'administration' has no customer: it is "
        "flagged no_customer (no value on the internal market chain) (also in "
        "policies/2024-01.yaml)",
        "policies/2024-05.yaml:106: warning: pay line 'manager_allowance' applies to no employee "
        "in fixtures/2024-05/employees.csv",
    ]
    # compute says neither: a month in which a line applies to nobody is no mistake in itself
    ran = run_cli(["compute", "--period", "2024-05"])
    assert "applies to no employee" not in ran.stderr
    assert "has no employee" not in ran.stderr


def test_a_declared_domain_is_held_to_in_the_data(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("employee_fields:", "domains:\n  role: {manager: 经理 Manager, "
                                   "staff: 员工 Staff}\nemployee_fields:"), encoding="utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    lines = employees.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",manager,", ",Manager,")
    employees.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-05", "--out", "again"])
    assert ran.code == 4
    assert ran.stderr.splitlines()[0].startswith(
        "fixtures/2024-05/employees.csv:2:4: error: role 'Manager' is not in the policy's domain "
        "of role; did you mean 'manager'?"
    )


def test_a_step_table_every_value_reaches_one_row_of_is_a_warning(company: Path) -> None:
    # A table in percent applied to a fraction: the static check cannot see through min().
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace("  performance_factor:", "  capped_tiers: [[98, 1.2], [90, 1.0], [0, 0.5]]\n"
                        "  performance_factor:")  # fmt: skip
    text = text.replace("step(performance_factor, score)", "step(capped_tiers, min(score, 1))")
    policy.write_text(text, encoding="utf-8")
    ran = run_cli(["validate", "--period", "2024-05"])
    assert ran.code == 0, ran.stderr
    assert [line for line in ran.stderr.splitlines() if "step(" in line] == [
        "policies/2024-05.yaml:91: warning: step(capped_tiers, min(score, 1)) in pay line "
        "'performance_bonus': every employee in fixtures/2024-05/employees.csv reaches the row "
        "from 0 (from 0.8333… to 1), no other of its 3 rows; is the table in the unit of the "
        "value?"
    ]
    assert "step(" not in run_cli(["compute", "--period", "2024-05"]).stderr


def test_a_table_whose_rows_the_values_spread_over_is_not(company: Path) -> None:
    ran = run_cli(["validate", "--period", "2024-03"])
    assert (ran.code, "step(" in ran.stderr) == (0, False)
