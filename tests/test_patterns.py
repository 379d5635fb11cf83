"""Mutual election and lenient customers: shown to the boss with their figures, never a gate."""

from __future__ import annotations

from pathlib import Path

from .conftest import finance_appraised_by_sales, run_cli

SALES = ["E001", "E002", "E003", "E004", "E005", "E006"]
FINANCE = ["E024", "E025", "E026", "E027"]


def section(company: Path, period: str = "2024-05") -> str:
    report = (company / "out" / period / "departments.md").read_text(encoding="utf-8")
    return report[report.index("## 互选与宽松") : report.index("## 签字")]


def test_two_departments_that_elect_each_others_candidates_are_shown(company: Path) -> None:
    # Sales and Finance appraise each other; each says yes to the other's candidate and no to
    # its own.
    finance_appraised_by_sales(company)
    folder = company / "fixtures" / "2024-05"
    (folder / "candidates.csv").write_text(
        "candidate,position\nE002,销售主管 Sales supervisor\nE025,财务主管 Finance supervisor\n",
        encoding="utf-8",
    )
    ballots = ["candidate,voter,vote"]
    ballots += [f"E025,{v},yes" for v in SALES] + [f"E002,{v},no" for v in SALES if v != "E002"]
    ballots += [f"E002,{v},yes" for v in FINANCE] + [f"E025,{v},no" for v in FINANCE if v != "E025"]
    (folder / "ballots.csv").write_text("\n".join(ballots) + "\n", encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 0, ran.stderr
    assert [line for line in section(company).splitlines() if line.startswith("- ")] == [
        "- Mutual election, 2024-05: 财务部 Finance ↔ 销售部 Sales. 财务部 Finance's voters said yes "
        "to 销售部 Sales's candidates 100.00% of 4 ballots, against 0.00% of 3 elsewhere; 销售部 "
        "Sales's voters said yes to 财务部 Finance's candidates 100.00% of 6 ballots, against "
        "0.00% of 5 elsewhere.",
    ]
    # information only: nobody's eligibility changes for it
    assert "Nothing stands out." not in section(company)


def test_the_reference_company_has_nothing_that_stands_out(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert section(company).rstrip().endswith("Nothing stands out.")


def late(path: Path, done: str, due: str, every: int) -> None:
    """Every ``every``-th row of a metric table done a month after it was due (the others on
    time)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at, by = header.index(done), header.index(due)
    rows = [line.split(",") for line in lines[1:]]
    for k, row in enumerate(rows):
        row[at] = row[by] if k % every else row[by][:5] + "12-31"
    path.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", "utf-8")


def test_a_customer_far_more_generous_every_period_is_shown(company: Path) -> None:
    # Sales, Material Control's one customer, finds all but one shipment on time from March to
    # May; Purchasing finds half of Finance's payments late.
    for month in ("2024-03", "2024-04", "2024-05"):
        folder = company / "fixtures" / month
        late(folder / "shipments.csv", "shipped_on", "promised_on", every=10**6)
        late(folder / "supplier_payments.csv", "paid_on", "due_on", every=2)
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    lines = [line for line in section(company).splitlines() if line.startswith("- ")]
    assert lines == [  # every period of the review streak, against the others' mean
        "- Lenient customer: 销售部 Sales, its appraisals against the other customers': "
        "2024-03: 95.00% against 76.76%; 2024-04: 95.00% against 74.10%; 2024-05: 95.00% "
        "against 80.07%."
    ]
    # information only: the appraisal and pay are as the data says
    assert "| 物控部 Material Control | 5 | 95.00% | yes |" in (
        company / "out" / "2024-05" / "departments.md").read_text(encoding="utf-8")  # fmt: skip
