"""diff blames a delta only on the policy changes that employee's evaluation read, each with its
file:line; a delta of 0.00 is not a change; a side that cannot compute the period is named."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from .conftest import run_cli

DIFF = ["diff", "--period", "2024-05", "--base", "2024.01", "--head", "2024.05"]


def lines(company: Path) -> list[dict]:  # type: ignore[type-arg]
    ran = run_cli([*DIFF, "--format", "json"])
    assert ran.code == 0, ran.stderr
    return json.loads(ran.stdout)["lines"]  # type: ignore[no-any-return]


def because(found: list[dict], employee: str, line: str) -> list[str]:  # type: ignore[type-arg]
    (row,) = [x for x in found if x["employee"] == employee and x["line"] == line]
    return [c.split(":")[0] for c in row["because"]]


def test_a_delta_names_only_the_changes_its_evaluation_read(company: Path) -> None:
    found = lines(company)
    # Sales (score 96.93%): its step row's factor went from 1.20 to 1.15
    assert because(found, "E001", "performance_bonus") == [
        "parameter bonus_ratio", "parameter performance_factor"]  # fmt: skip
    # Production (score 90.00%): its factor is 1.00 in both versions
    assert because(found, "E012", "performance_bonus") == ["parameter bonus_ratio"]
    # Administration never reads the step table (no customer: the neutral factor)
    assert because(found, "E028", "performance_bonus") == ["parameter bonus_ratio"]


def test_every_change_says_where_it_is_written(company: Path) -> None:
    ran = run_cli([*DIFF, "--format", "json"])
    changes = json.loads(ran.stdout)["policy_changes"]
    assert changes and all(c["where"].startswith("policies/2024-05.yaml:") for c in changes)
    found = lines(company)
    assert "parameter bonus_ratio: 0.30 → 0.35 (policies/2024-05.yaml:11)" in found[0]["because"]


def test_a_zero_delta_is_not_listed(company: Path) -> None:
    found = lines(company)
    assert found and all(x["delta"] != "0.00" for x in found)
    # the new team award is 0.00 in administration (no customer): no line for it
    assert not [
        x for x in found if x["line"] == "team_award" and x["department"] == "administration"
    ]


def move_to_quality(company: Path) -> None:
    """E002 works in Quality, a department the head version adds."""
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    text = employees.read_text(encoding="utf-8").replace(",sales,staff,", ",quality,staff,", 1)
    employees.write_text(text, encoding="utf-8")


def test_a_department_one_version_alone_has_is_added(company: Path) -> None:
    move_to_quality(company)
    policy = company / "policies" / "2024-05.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace(
        "  administration:\n", "  quality:\n    name: 质检部 Quality\n    customers:\n"
        "      - {department: production, metric: delivery_rate, target: 0.90}\n"
        "  administration:\n"), encoding="utf-8")  # fmt: skip
    ran = run_cli([*DIFF, "--format", "json"])
    assert ran.code == 0, ran.stderr
    diff = json.loads(ran.stdout)
    added = [x for x in diff["lines"] if x["employee"] == "E002"]
    assert {(x["line"], x["base"]) for x in added} >= {("base", None), ("performance_bonus", None)}
    assert all(x["because"] == ["department quality added: 质检部 Quality "
                                "(policies/2024-05.yaml:75)"] for x in added)  # fmt: skip
    (quality,) = [d for d in diff["departments"] if d["key"] == "quality"]
    assert (quality["base_net"], quality["changed"]) == ("0.00", 1)
    assert {"kind": "department", "key": "quality", "base": None, "head": "质检部 Quality",
            "where": "policies/2024-05.yaml:75"} in diff["policy_changes"]  # fmt: skip
    # the company's totals are each side's own: the base paid E002 nothing
    company_net = Decimal(diff["company"]["delta_net"])
    assert company_net == sum(Decimal(x["delta"]) * (1 if x["kind"] == "earning" else -1)
                              for x in diff["lines"])  # fmt: skip


def test_a_department_neither_version_has_names_the_side(company: Path) -> None:
    move_to_quality(company)  # and no version has Quality
    ran = run_cli(DIFF)
    assert ran.code == 4
    first, second = ran.stderr.splitlines()[:2]
    assert first == "diff: the base version 2024.01 (2024.01) cannot compute 2024-05:"
    assert second.startswith("fixtures/2024-05/employees.csv:3:")
    assert "'quality'" in second
