"""Audit: explain any number, diff two policy versions, verify a past run."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from .conftest import run_cli


@pytest.mark.parametrize(
    "employee",
    [
        "E006",  # a leaver: proration
        "E013",  # a candidate with an adjustment: gates as actual against required
        "E029",  # no internal customer: the guarded formula, gates A and B cannot pass
    ],
)
def test_explain_text(company: Path, employee: str, snapshot: SnapshotAssertion) -> None:
    ran = run_cli(["explain", "--period", "2024-05", "--employee", employee])
    assert ran.code == 0, ran.stderr
    assert ran.stdout == snapshot


def test_explain_json_is_a_versioned_structure(company: Path, snapshot: SnapshotAssertion) -> None:
    ran = run_cli(["explain", "--period", "2024-05", "--employee", "E013", "--json"])
    assert ran.code == 0
    data = json.loads(ran.stdout)
    assert data["explain"] == 1
    assert ran.stdout == snapshot


def test_explain_one_line_shows_only_what_was_read(company: Path) -> None:
    ran = run_cli(
        [
            "explain",
            "--period",
            "2024-05",
            "--employee",
            "E029",
            "--line",
            "performance_bonus",
            "--json",
        ]
    )
    (line,) = json.loads(ran.stdout)["lines"]
    # has_customer is false, so the step table and the score were never read
    assert [i["name"] for i in line["inputs"]] == [
        "base",
        "bonus_ratio",
        "has_customer",
        "neutral_factor",
    ]
    assert line["amount"] == "2380.00"
    assert line["formula"]["source"] == "policies/2024-05.yaml:90:9"


def test_explain_adds_up_to_the_slip(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    results = json.loads((company / "out" / "2024-05" / "results.json").read_text(encoding="utf-8"))
    for emp_id, employee in results["employees"].items():
        explained = json.loads(
            run_cli(["explain", "--period", "2024-05", "--employee", emp_id, "--json"]).stdout
        )
        assert {x["id"]: x["amount"] for x in explained["lines"]} == employee["lines"]
        assert explained["totals"]["net"] == employee["net"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--employee", "E02"],
            "fixtures/2024-05/employees.csv: error: no employee 'E02' in 2024-05; did you mean 'E029'?",
        ),
        (
            ["--employee", "E002", "--line", "bonuss"],
            "policies/2024-05.yaml: error: no pay line 'bonuss' in policy 2024.05",
        ),
    ],
)
def test_explain_unknown_names_exit_2(company: Path, args: list[str], message: str) -> None:
    ran = run_cli(["explain", "--period", "2024-05", *args])
    assert (ran.code, ran.stderr) == (2, message + "\n")


@pytest.mark.parametrize("fmt", ["text", "md", "csv", "json"])
def test_diff_of_the_reference_change(company: Path, fmt: str, snapshot: SnapshotAssertion) -> None:
    ran = run_cli(
        ["diff", "--period", "2024-05", "--base", "2024.01", "--head", "2024.05", "--format", fmt]
    )
    assert ran.code == 0, ran.stderr
    assert ran.stdout == snapshot


def test_diff_exit_code(company: Path) -> None:
    changed = run_cli(
        ["diff", "--period", "2024-05", "--base", "2024.01", "--head", "2024.05", "--exit-code"]
    )
    assert changed.code == 1
    same = run_cli(
        [
            "diff",
            "--period",
            "2024-05",
            "--base",
            "2024.05",
            "--head",
            "policies/2024-05.yaml",
            "--exit-code",
        ]
    )
    assert same.code == 0
    assert "no pay line differs" in same.stdout


def test_diff_deltas_add_up_to_the_totals(company: Path) -> None:
    ran = run_cli(
        [
            "diff",
            "--period",
            "2024-05",
            "--base",
            "2024.01",
            "--head",
            "2024.05",
            "--format",
            "json",
        ]
    )
    diff = json.loads(ran.stdout)
    earnings = sum(Decimal(x["delta"]) for x in diff["lines"] if x["kind"] == "earning")
    deductions = sum(Decimal(x["delta"]) for x in diff["lines"] if x["kind"] == "deduction")
    assert earnings == Decimal(diff["company"]["delta_gross"]) != 0
    assert deductions == Decimal(diff["company"]["delta_deductions"])
    assert diff["policy_changes"] == [
        {"kind": "parameter", "key": "bonus_ratio", "base": "0.30", "head": "0.35",
         "where": "policies/2024-05.yaml:11"},
        {
            "kind": "parameter",
            "key": "performance_factor",
            "base": "[[0.00, 0.50], [0.80, 0.80], [0.90, 1.00], [0.95, 1.20]]",
            "head": "[[0.00, 0.50], [0.80, 0.80], [0.90, 1.00], [0.95, 1.15], [0.98, 1.30]]",
            "where": "policies/2024-05.yaml:18",
        },
        {"kind": "parameter", "key": "team_award_amount", "base": None, "head": "300",
         "where": "policies/2024-05.yaml:15"},
        {
            "kind": "line",
            "key": "team_award",
            "base": None,
            "head": "earning: prorate(team_award_amount) when has_customer and target_met",
            "where": "policies/2024-05.yaml:107",
        },
    ]  # fmt: skip


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=HR", "-c", "user.email=hr@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_diff_through_a_git_ref(company: Path, snapshot: SnapshotAssertion) -> None:
    git(company, "init", "-q", "-b", "main")
    git(company, "add", "policies")
    git(company, "commit", "-q", "-m", "policies as of May")
    policy = company / "policies" / "2024-05.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "  housing_fund_rate: 0.07", "  housing_fund_rate: 0.08"
        ),
        encoding="utf-8",
    )
    ran = run_cli(
        [
            "diff",
            "--period",
            "2024-05",
            "--base",
            "HEAD:policies/2024-05.yaml",
            "--head",
            "policies/2024-05.yaml",
            "--format",
            "md",
        ]
    )
    assert ran.code == 0, ran.stderr
    assert "parameter housing_fund_rate: 0.07 → 0.08" in ran.stdout
    assert ran.stdout == snapshot
    missing = run_cli(
        ["diff", "--period", "2024-05", "--base", "HEAD:policies/nope.yaml", "--head", "2024.05"]
    )
    assert missing.code == 2
    assert missing.stderr.startswith(
        "HEAD:policies/nope.yaml: error: cannot read HEAD:policies/nope.yaml through git: "
    )


def test_diff_unknown_version(company: Path) -> None:
    ran = run_cli(["diff", "--period", "2024-05", "--base", "2024.5", "--head", "2024.05"])
    assert (ran.code, ran.stderr) == (
        2,
        "policies: error: no version, file or GIT-REF:path '2024.5'; did you mean '2024.05'?; "
        "versions: 2024.01, 2024.05\n",
    )


def test_verify_passes_on_a_fresh_run(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    ran = run_cli(["verify", "out/2024-05"])
    assert (ran.code, ran.stdout) == (
        0,
        "ok: out/2024-05 matches its inputs byte for byte (71 files)\n",
    )


def test_verify_names_an_output_edited_by_one_byte(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    slip = company / "out" / "2024-05" / "payslips" / "E013.md"
    content = bytearray(slip.read_bytes())
    content[-2] ^= 1
    slip.write_bytes(bytes(content))
    ran = run_cli(["verify", "out/2024-05"])
    assert (ran.code, ran.stdout) == (
        1,
        "out/2024-05: output edited since the run: payslips/E013.md\nverify: 1 difference(s)\n",
    )


def test_verify_names_an_input_changed_by_one_byte(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    ballots = company / "fixtures" / "2024-05" / "ballots.csv"
    ballots.write_bytes(ballots.read_bytes().replace(b"E011,no", b"E011,No"))
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 1
    lines = ran.stdout.splitlines()
    assert lines[0] == "out/2024-05: input changed since the run: fixtures/2024-05/ballots.csv"
    assert "out/2024-05: manifest.json differs from the manifest the inputs produce" in lines
    assert lines[-1].startswith("verify: ")


def test_verify_without_a_manifest(company: Path) -> None:
    (company / "out" / "2024-05").mkdir(parents=True)
    (company / "out" / "2024-05" / "manifest.json").write_text("{}", encoding="utf-8")
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 2
    assert ran.stderr.startswith("out/2024-05/manifest.json: error: not a run's manifest: ")


def test_diff_shows_who_gains_or_loses_eligibility(company: Path) -> None:
    stricter = company / "stricter.yaml"
    text = (company / "policies" / "2024-05.yaml").read_text(encoding="utf-8")
    stricter.write_text(
        text.replace("customer_vote: {min_share: 0.50", "customer_vote: {min_share: 0.70"),
        encoding="utf-8",
    )
    ran = run_cli(
        [
            "diff",
            "--period",
            "2024-05",
            "--base",
            "2024.05",
            "--head",
            "stricter.yaml",
            "--format",
            "json",
            "--exit-code",
        ]
    )
    assert ran.code == 1
    diff = json.loads(ran.stdout)
    assert diff["policy_changes"] == [
        {"kind": "promotion", "key": "gate B customer min_share", "base": "0.50", "head": "0.70",
         "where": "stricter.yaml:132"}
    ]  # fmt: skip
    assert diff["lines"] == []
    assert diff["promotion"] == [
        {"candidate": "E014", "what": "eligible", "base": True, "head": False},
        {"candidate": "E014", "what": "rank", "base": 2, "head": None},
        {"candidate": "E015", "what": "eligible", "base": True, "head": False},
        {"candidate": "E015", "what": "rank", "base": 2, "head": None},
    ]
