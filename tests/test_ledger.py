"""Closing periods, refusing to overwrite them, and arrears for a retroactive policy change."""

from __future__ import annotations

import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from .conftest import run_cli


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def results(company: Path, period: str) -> dict:  # type: ignore[type-arg]
    return json.loads((company / "out" / period / "results.json").read_text(encoding="utf-8"))


def test_close_records_the_period_and_compute_then_refuses(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    ran = run_cli(["close", "--period", "2024-05", "--by", "韩梅 Han Mei"])
    assert (ran.code, ran.stdout) == (
        0,
        "2024-05 closed by 韩梅 Han Mei: 31 employees, gross 455,176.17, deductions 56,037.77, "
        "net 399,138.40 (ledger fixtures/ledger.json)\n",
    )
    # the ledger is the company's, kept with its data, and names the paid run's folder
    ledger = json.loads((company / "fixtures" / "ledger.json").read_text(encoding="utf-8"))
    manifest = (company / "out" / "2024-05" / "manifest.json").read_bytes()

    assert ledger == {
        "innerpay_ledger": 1,
        "closed": {
            "2024-05": {
                "closed_by": "韩梅 Han Mei",
                "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                "version": "2024.05",
                "totals": {  # what the closer approved: the payroll summary's totals
                    "employees": "31",
                    "gross": "455176.17",
                    "deductions": "56037.77",
                    "net": "399138.40",
                },
                "folder": "../out/2024-05",
            }
        },
    }
    before = files_of(company / "out" / "2024-05")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 5
    assert ran.stderr == (
        "fixtures/ledger.json: error: period 2024-05 is closed (paid; closed by 韩梅 Han Mei; the "
        "paid run is out/2024-05) and is never computed again; a correction goes into the next "
        "period as arrears (compute --draft writes a marked draft beside it)\n"
    )
    assert files_of(company / "out" / "2024-05") == before
    # closing is not per output folder: another folder is refused alike
    ran = run_cli(["compute", "--period", "2024-05", "--out", "elsewhere"])
    assert ran.code == 5 and not (company / "elsewhere" / "2024-05").exists()
    # a draft is written beside the paid run, marked in every output, and verifies
    ran = run_cli(["compute", "--period", "2024-05", "--draft"])
    assert ran.code == 0, ran.stderr
    assert ran.stdout.endswith("→ out/2024-05-draft\n")
    draft = company / "out" / "2024-05-draft"
    mark = "DRAFT: 2024-05 is closed; this is a recomputation, not the paid run, and it pays nobody"
    for name in ("departments.md", "promotion.html", "payroll-summary.md", "payslips/E001.md"):
        assert mark in (draft / name).read_text(encoding="utf-8"), name
    assert json.loads((draft / "results.json").read_text(encoding="utf-8"))["draft"] is True
    assert json.loads((draft / "manifest.json").read_text(encoding="utf-8"))["draft"] is True
    assert files_of(company / "out" / "2024-05") == before
    assert run_cli(["verify", "out/2024-05-draft"]).code == 0
    ran = run_cli(["close", "--period", "2024-05", "--out", "out"])
    assert ran.code == 5  # already closed; and a draft is never what is closed
    again = run_cli(["close", "--period", "2024-05"])
    assert (again.code, again.stderr) == (
        5,
        "fixtures/ledger.json: error: period 2024-05 is already closed (by 韩梅 Han Mei)\n",
    )


def test_close_refuses_what_was_not_computed_or_was_edited(company: Path) -> None:
    ran = run_cli(["close", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        2,
        "out/2024-04: error: nothing to close: 2024-04 has not been computed into out\n",
    )
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    slip = company / "out" / "2024-04" / "payslips" / "E001.md"
    slip.write_text(
        slip.read_text(encoding="utf-8").replace("Net pay", "Net pay!"), encoding="utf-8"
    )
    ran = run_cli(["close", "--period", "2024-04"])
    assert ran.code == 5
    assert ran.stderr.startswith(
        "out/2024-04/payslips/E001.md: error: refused: 1 output(s) differ from the manifest"
    )


RETRO = {
    # a version that reaches back to 2024-05: a larger bonus and a lower social insurance rate
    'version: "2024.05"': 'version: "2024.05b"',
    "  bonus_ratio: 0.35 ": "  bonus_ratio: 0.40 ",
    "  social_insurance_rate: 0.105": "  social_insurance_rate: 0.11",
}


def add_retroactive_version(company: Path, name: str = "2024-05b.yaml") -> None:
    text = (company / "policies" / "2024-05.yaml").read_text(encoding="utf-8")
    for old, new in RETRO.items():
        assert old in text
        text = text.replace(old, new)
    (company / "policies" / "2024-05.yaml").unlink()  # the new version replaces it from 2024-05
    (company / "policies" / name).write_text(text, encoding="utf-8")


def test_arrears_for_a_retroactive_version(company: Path, snapshot: SnapshotAssertion) -> None:
    shutil.copytree(company / "fixtures" / "2024-06", company / "fixtures" / "2024-07")
    for period in ("2024-05", "2024-06"):
        assert run_cli(["compute", "--period", period]).code == 0
        assert run_cli(["close", "--period", period]).code == 0
    closed = {p: files_of(company / "out" / p) for p in ("2024-05", "2024-06")}
    paid = {p: results(company, p) for p in ("2024-05", "2024-06")}

    add_retroactive_version(company)
    # What the closed periods would pay now: drafts of them (the paid runs untouched).
    for period in ("2024-05", "2024-06"):
        assert run_cli(["compute", "--period", period, "--out", "now", "--draft"]).code == 0
    due = {
        p: json.loads((company / "now" / f"{p}-draft" / "results.json").read_text("utf-8"))
        for p in ("2024-05", "2024-06")
    }
    ran = run_cli(["compute", "--period", "2024-07"])
    assert ran.code == 0, ran.stderr
    july = results(company, "2024-07")

    expected = {}
    for period in ("2024-05", "2024-06"):
        for emp_id, employee in due[period]["employees"].items():
            delta = Decimal(employee["net"]) - Decimal(paid[period]["employees"][emp_id]["net"])
            if delta:
                expected[(emp_id, period)] = delta
    carried = {
        (emp_id, a["period"]): Decimal(a["amount"]) * (1 if a["kind"] == "earning" else -1)
        for emp_id, employee in july["employees"].items()
        for a in employee["arrears"]
    }
    assert expected  # the change does change pay
    assert {k: v for k, v in carried.items()} == {
        k: v for k, v in expected.items() if k[0] in july["employees"]
    }
    # E006 left in May: not on the July payroll, so their arrears are a warning to settle by hand
    assert ("E006", "2024-05") in expected
    assert "for employee E006, who is not on the 2024-07 payroll: settle it by hand" in ran.stderr
    # the slip and payroll.csv show them
    slip = (company / "out" / "2024-07" / "payslips" / "E001.md").read_text(encoding="utf-8")
    assert "补发 Arrears 2024-05" in slip and "补发 Arrears 2024-06" in slip
    assert slip == snapshot(name="a slip carrying arrears")
    payroll = (company / "out" / "2024-07" / "payroll.csv").read_text(encoding="utf-8")
    assert "2024-05 2024-06" in payroll
    # the payroll summary the boss signs lists every arrear carried
    summary = (company / "out" / "2024-07" / "payroll-summary.md").read_text(encoding="utf-8")
    arrears = summary[summary.index("## 补发与扣回 Arrears") : summary.index("## 检查")]
    rows = [line for line in arrears.splitlines() if line.startswith("| ") and "(E" in line]
    assert len(rows) == sum(1 for (emp_id, _) in carried)
    assert "| 王强 Wang Qiang (E001) | 补发 Arrears 2024-05 |" in arrears
    assert "Not on this payroll, to settle by hand:\n- E006: " in arrears
    # the closed periods are untouched
    assert {p: files_of(company / "out" / p) for p in ("2024-05", "2024-06")} == closed
    # each slip still adds up
    for employee in july["employees"].values():
        assert Decimal(employee["net"]) == Decimal(employee["gross"]) - Decimal(
            employee["deductions"]
        )


def test_arrears_are_never_paid_twice(company: Path) -> None:
    for month in ("2024-07", "2024-08"):
        shutil.copytree(company / "fixtures" / "2024-06", company / "fixtures" / month)
    for period in ("2024-05", "2024-06"):
        run_cli(["compute", "--period", period])
        run_cli(["close", "--period", period])
    add_retroactive_version(company)
    assert run_cli(["compute", "--period", "2024-07"]).code == 0
    assert any(e["arrears"] for e in results(company, "2024-07")["employees"].values())
    assert run_cli(["close", "--period", "2024-07"]).code == 0
    assert run_cli(["compute", "--period", "2024-08"]).code == 0
    assert all(not e["arrears"] for e in results(company, "2024-08")["employees"].values())


def test_close_by_nobody_is_refused(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    ran = run_cli(["close", "--period", "2024-05", "--by", "  "])
    assert ran.code == 2 and "say who closes the period" in ran.stderr
    assert not (company / "out" / "ledger.json").exists()


def test_a_closed_periods_data_changed_is_arrears_naming_the_change(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert run_cli(["close", "--period", "2024-05"]).code == 0
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.write_text(employees.read_text(encoding="utf-8").replace(
        "E001,王强 Wang Qiang,sales,manager,22000.00", "E001,王强 Wang Qiang,sales,manager,23000.00"),
        encoding="utf-8")  # fmt: skip
    # computed into another folder: the ledger is the company's, not the output folder's
    ran = run_cli(["compute", "--period", "2024-06", "--out", "elsewhere"])
    assert ran.code == 0, ran.stderr
    assert "the data of closed period 2024-05 changed since it was closed" in ran.stderr
    june = json.loads((company / "elsewhere" / "2024-06" / "results.json").read_text("utf-8"))
    (arrear,) = june["employees"]["E001"]["arrears"]
    assert (arrear["period"], arrear["kind"]) == ("2024-05", "earning")
    assert arrear["because"] == "data changed: fixtures/2024-05/employees.csv"
    slip = (company / "elsewhere" / "2024-06" / "payslips" / "E001.md").read_text("utf-8")
    assert "(data changed: fixtures/2024-05/employees.csv)" in slip
    assert [e for e, x in june["employees"].items() if x["arrears"]] == ["E001"]


def test_a_ledger_left_in_the_output_folder_is_not_ignored(company: Path) -> None:
    (company / "out").mkdir()
    (company / "out" / "ledger.json").write_text('{"innerpay_ledger": 1, "closed": {}}\n', "utf-8")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 5
    assert ran.stderr.startswith("out/ledger.json: error: a ledger from an earlier innerpay: "
                                 "closing is now kept with the data; move it to "
                                 "fixtures/ledger.json")  # fmt: skip
