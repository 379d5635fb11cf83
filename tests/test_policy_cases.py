"""One small bad policy per mistake a new user makes, each with the exact message it must give.

Each file in tests/cases/policy/ ends with `# expect: ...` lines: every diagnostic `validate`
prints for it, in order.  The lines are at the end so that they do not move the line numbers.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from innerpay.errors import sort_key
from innerpay.policy import load_policies, load_policy_file

from .conftest import CASES, ROOT, expected_lines, finance_appraised_by_sales, run_cli

POLICY_CASES = sorted((CASES / "policy").glob("*.yaml"))


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda p: p.stem)
def test_each_mistake_gives_its_message(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case.parent)
    _, diagnostics = load_policy_file(case.name)
    assert [str(d) for d in sorted(diagnostics, key=sort_key)] == expected_lines(case)


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda p: p.stem)
def test_validate_prints_them_and_exits_3(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    shutil.copy(case, folder / case.name)
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["validate"])
    expected = [f"policies/{line}" for line in expected_lines(case)]
    assert ran.stderr.splitlines() == expected
    errors = [line for line in expected if ": error: " in line]
    assert ran.code == (3 if errors else 0)


def test_every_problem_of_every_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    chosen = ["unknown_name", "duplicate_key", "unknown_metric"]
    for name in chosen:
        shutil.copy(CASES / "policy" / f"{name}.yaml", folder / f"{name}.yaml")
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["validate"])
    assert ran.code == 3
    expected = sorted(
        f"policies/{line}"
        for name in chosen
        for line in expected_lines(CASES / "policy" / f"{name}.yaml")
    )
    assert ran.stderr.splitlines() == expected


def test_duplicate_labels_and_start_periods(company: Path) -> None:
    text = (company / "policies" / "2024-05.yaml").read_text(encoding="utf-8")
    (company / "policies" / "2024-05.yaml").write_text(
        text.replace('version: "2024.05"', 'version: "2024.01"').replace(
            "effective_from: 2024-05", "effective_from: 2024-01"
        ),
        encoding="utf-8",
    )
    ran = run_cli(["validate"])
    assert ran.code == 3
    assert [line for line in ran.stderr.splitlines() if ": error: " in line] == [
        "policies/2024-05.yaml:4:10: error: version '2024.01' is also the label of "
        "policies/2024-01.yaml; each version needs its own label",
        "policies/2024-05.yaml:5:17: error: effective_from 2024-01 is also that of "
        "policies/2024-01.yaml; two versions cannot take effect in the same period",
    ]


def test_reference_policies_are_valid(company: Path) -> None:
    ran = run_cli(["validate"])
    assert ran.code == 0
    assert ran.stdout == "ok: 2 policy versions valid (2024.01, 2024.05)\n"
    # The administration department has no customer: a warning, not an error; said once for
    # the two versions that have it, at the latest.
    assert ran.stderr.splitlines() == [
        "policies/2024-05.yaml:75: warning: department 'administration' has no customer: it is "
        "flagged no_customer (no value on the internal market chain) (also in "
        "policies/2024-01.yaml)"
    ]


def test_strict_turns_warnings_into_errors(company: Path) -> None:
    ran = run_cli(["validate", "--strict"])
    assert ran.code == 3
    assert ": error: department 'administration' has no customer" in ran.stderr


def test_missing_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["validate", "--policies", "nowhere"])
    assert (ran.code, ran.stderr) == (3, "nowhere: error: no such policies folder\n")


def test_validate_output_for_every_case_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    for case in POLICY_CASES:
        shutil.copy(case, folder / case.name)
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["validate"])
    assert ran.code == 3
    assert ran.stderr == snapshot


def test_the_example_policy_of_the_spec_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = (CASES / "spec_example.yaml").read_text(encoding="utf-8")  # SPEC.md's, verbatim
    spec = ROOT.parent / "shared" / "SPEC.md"
    if spec.exists():  # beside the repository (as in CI): the copy is still the SPEC's
        block = re.search(r"```yaml\n(.*?)```", spec.read_text(encoding="utf-8"), re.S)
        assert block is not None and block.group(1) == example
    # the example leaves out three departments ("alike"): complete them, change nothing else
    text = example.replace(
        "departments:\n",
        "departments:\n  material_control: {name: 物控部 Material Control}\n"
        "  finance: {name: 财务部 Finance}\n",
    )
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "spec.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["validate"])
    assert ran.code == 0, ran.stderr
    assert [line.split(": warning: ")[1] for line in ran.stderr.splitlines()] == [
        "department 'material_control' has no customer: it is flagged no_customer (no value on the internal market chain)",
        "department 'finance' has no customer: it is flagged no_customer (no value on the internal market chain)",
        "department 'production' is outside every loop of internal customers: its customers (material_control) never lead back to it; the mechanism's mutual check needs each department in a loop",
        "department 'sales' is outside every loop of internal customers: its customers (finance) never lead back to it; the mechanism's mutual check needs each department in a loop",
    ]


def test_a_loop_the_version_before_had_is_broken(company: Path) -> None:
    finance_appraised_by_sales(company)
    ran = run_cli(["validate"])
    assert ran.code == 0
    assert [line for line in ran.stderr.splitlines() if "loop" in line] == [
        "policies/2024-05.yaml:61: warning: department 'material_control' is outside every loop "
        "of internal customers: its customers (sales) never lead back to it; the mechanism's "
        "mutual check needs each department in a loop",
        "policies/2024-05.yaml:65: warning: department 'production' is outside every loop of "
        "internal customers: its customers (material_control) never lead back to it; the "
        "mechanism's mutual check needs each department in a loop",
        "policies/2024-05.yaml:69: warning: department 'purchasing' is outside every loop of "
        "internal customers: its customers (production) never lead back to it; the mechanism's "
        "mutual check needs each department in a loop",
        "policies/2024-05.yaml:73: warning: the loop of internal customers finance → purchasing → "
        "production → material_control → sales → finance of version 2024.01 is broken in version "
        "2024.05: 'finance' now has the customers sales",
    ]


def test_the_reference_company_is_one_loop_and_says_nothing_of_loops(company: Path) -> None:
    from innerpay.policy.checks import customer_loops

    policies, _ = load_policies("policies")
    for policy in policies.policies:
        assert customer_loops(policy) == [
            ["finance", "purchasing", "production", "material_control", "sales"]
        ]
    assert "loop" not in run_cli(["validate"]).stderr
