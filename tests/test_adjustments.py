"""Adjustments: approved by someone other than the employee, and, where the policy names who may
approve (`adjustment_approvers`), by one of them; every one listed in the payroll summary."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli


def approvers(company: Path, spec: str) -> None:
    for policy in (company / "policies").glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("\nmetrics:\n", f"\nadjustment_approvers: {spec}\nmetrics:\n",
                                       1), encoding="utf-8")  # fmt: skip


def test_the_approvers_the_policy_names_are_held_to(company: Path) -> None:
    approvers(company, "{roles: [hr]}")  # E024 韩梅 Han Mei, who approved May's, is a manager
    ran = run_cli(["compute", "--period", "2024-05"])
    assert (ran.code, ran.stderr.splitlines()[:2]) == (4, [
        "fixtures/2024-05/adjustments.csv:2:6: error: E024 (manager) may not approve adjustments: "
        "the policy's adjustment_approvers are the roles hr",
        "fixtures/2024-05/adjustments.csv:3:6: error: E024 (manager) may not approve adjustments: "
        "the policy's adjustment_approvers are the roles hr",
    ])  # fmt: skip
    assert not (company / "out").exists()


def test_an_approver_named_by_role_or_person_passes(company: Path) -> None:
    approvers(company, "{roles: [hr], people: [E024]}")
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    for policy in (company / "policies").glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("{roles: [hr], people: [E024]}", "{roles: [manager]}"),
                          encoding="utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05", "--out", "again"]).code == 0


def test_an_approver_the_policy_cannot_tell_is_an_error(company: Path) -> None:
    approvers(company, "{people: [E024]}")
    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(adjustments.read_text(encoding="utf-8").replace(
        "E024 韩梅 Han Mei", "the HR director", 1), encoding="utf-8")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-05"])
    assert (ran.code, ran.stderr.splitlines()[0]) == (4,
        "fixtures/2024-05/adjustments.csv:2:6: error: approved_by 'the HR director' names no "
        "employee of this period: write the approver's id first (as in 'E024 韩梅 Han Mei'), so "
        "that adjustment_approvers can be held")  # fmt: skip


def test_without_approvers_in_the_policy_any_other_approver_is_accepted(company: Path) -> None:
    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(adjustments.read_text(encoding="utf-8").replace(
        "E024 韩梅 Han Mei", "the HR director", 1), encoding="utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    summary = (company / "out" / "2024-05" / "payroll-summary.md").read_text(encoding="utf-8")
    assert ("| 马超 Ma Chao (E013) | 差旅补差 Travel expense correction | earning | 500.00 | April "
            "travel claim paid short | the HR director |") in summary  # fmt: skip
