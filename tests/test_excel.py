"""payroll.xlsx (issue 18): typed cells, a frozen header, a totals row, a sheet of department
totals and one of adjustments and arrears; the same results give the same bytes, and verify
holds on it.  (``test_large.py`` holds the rows joined from arrow columns to the plain
writer's.)"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from innerpay.render.excel import SHEETS, _column

from .conftest import run_cli


@pytest.fixture
def book(company: Path) -> Path:
    ran = run_cli(["compute", "--period", "2024-05", "--format", "json,xlsx"])
    assert ran.code == 0, ran.stderr
    return company / "out" / "2024-05" / "payroll.xlsx"


def test_the_payroll_sheet_is_typed_with_a_frozen_header_and_totals(book: Path) -> None:
    workbook = openpyxl.load_workbook(book)
    assert [ws.title for ws in workbook.worksheets] == list(SHEETS)
    sheet = workbook.worksheets[0]
    assert sheet.freeze_panes == "C2"  # the header, the ids and the names stay in view
    rows = list(sheet.iter_rows(values_only=True))
    header, first, total = rows[0], rows[1], rows[-1]
    assert header[:7] == ("工号 ID", "姓名 Name", "部门 Department", "岗位 Role", "入职 Hired",
                          "离职 Left", "在职天数 Days employed")  # fmt: skip
    assert first[:8] == ("E001", "王强 Wang Qiang", "销售部 Sales", "manager",
                         dt.datetime(2016, 3, 1), None, 31, 22000)  # fmt: skip
    assert sheet["E2"].number_format == "yyyy-mm-dd"
    assert sheet["H2"].number_format == "#,##0.00"
    assert sheet["A1"].font.b and sheet[f"A{len(rows)}"].font.b
    results = json.loads((book.parent / "results.json").read_text(encoding="utf-8"))
    assert total[0] == "合计 Total"
    assert [str(x) for x in total[-3:]] == [
        str(float(results["totals"][k])) for k in ("gross", "deductions", "net")
    ]
    assert len(rows) == 1 + len(results["employees"]) + 1


def test_money_is_written_exactly_as_its_decimal_text(book: Path) -> None:
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    results = json.loads((book.parent / "results.json").read_text(encoding="utf-8"))
    values = re.findall(r"<v>([^<]*)</v>", sheet)
    assert results["totals"]["net"] in values  # 399138.40, not a float's 399138.4
    assert "399138.40" in values
    assert not [v for v in values if "e" in v.lower()]


def test_departments_and_adjustments_sheets(book: Path) -> None:
    workbook = openpyxl.load_workbook(book)
    departments = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert departments[1][:3] == ("销售部 Sales", "sales", 6)
    assert departments[-1][0] == "合计 Total" and departments[-1][2] == 31
    gross = sum(row[-3] for row in departments[1:-1])
    assert round(gross, 2) == round(departments[-1][-3], 2)
    adjustments = list(workbook.worksheets[2].iter_rows(values_only=True))
    assert adjustments[2][:8] == ("E013", "马超 Ma Chao", "调整 adjustment",
                                  "差旅补差 Travel expense correction", "收入 earning", 500,
                                  "April travel claim paid short", "E024 韩梅 Han Mei")  # fmt: skip


def test_the_same_results_give_the_same_bytes_and_verify_holds(company: Path) -> None:
    first = run_cli(["compute", "--period", "2024-05", "--format", "csv,xlsx"])
    assert first.code == 0
    made = (company / "out" / "2024-05" / "payroll.xlsx").read_bytes()
    assert run_cli(["compute", "--period", "2024-05", "--format", "csv,xlsx"]).code == 0
    assert (company / "out" / "2024-05" / "payroll.xlsx").read_bytes() == made
    with zipfile.ZipFile(company / "out" / "2024-05" / "payroll.xlsx") as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert not [n for n in z.namelist() if n.startswith("docProps")]  # no time made
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 0, ran.stdout + ran.stderr
    (company / "out" / "2024-05" / "payroll.xlsx").write_bytes(made.replace(b"PK", b"PJ", 1))
    assert run_cli(["verify", "out/2024-05"]).code != 0


def test_arrears_are_listed_with_why(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    assert run_cli(["close", "--period", "2024-04", "--by", "HR 李"]).code == 0
    employees = company / "fixtures" / "2024-04" / "employees.csv"
    text = employees.read_text(encoding="utf-8")
    employees.write_text(text.replace("E001,王强 Wang Qiang,sales,manager,22000",
                                      "E001,王强 Wang Qiang,sales,manager,23000"),
                         encoding="utf-8")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-05", "--format", "xlsx"])
    assert ran.code == 0, ran.stderr
    workbook = openpyxl.load_workbook(company / "out" / "2024-05" / "payroll.xlsx")
    rows = list(workbook.worksheets[2].iter_rows(values_only=True))
    arrears = [r for r in rows if r[2] == "补差 arrears"]
    assert arrears and arrears[0][0] == "E001" and arrears[0][8] == "2024-04"
    assert "data changed: fixtures/2024-04/employees.csv" in arrears[0][12]


def test_column_names() -> None:
    assert [_column(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_more_employees_than_a_sheet_holds_is_an_error_that_writes_nothing(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import innerpay.render.excel as excel

    monkeypatch.setattr(excel, "MAX_SHEET_ROWS", 32)  # 31 employees, a header and the totals
    ran = run_cli(["compute", "--period", "2024-05", "--format", "csv,xlsx"])
    assert ran.code == 7
    assert ran.stderr.splitlines()[-1] == (
        "payroll.xlsx: error: 31 employees do not fit an Excel sheet (32 rows with the header "
        "and the totals); write payroll.csv (--format csv) instead"
    )
    assert not (company / "out" / "2024-05").exists()
    monkeypatch.setattr(excel, "MAX_SHEET_ROWS", 33)
    assert run_cli(["compute", "--period", "2024-05", "--format", "csv,xlsx"]).code == 0


SOFFICE = shutil.which("soffice")
REQUIRED = os.environ.get("INNERPAY_REQUIRE_SPREADSHEET") == "1"


@pytest.mark.skipif(
    SOFFICE is None and not REQUIRED,
    reason="no LibreOffice on this machine (apt-get install libreoffice-calc-nogui); CI has it",
)
def test_a_spreadsheet_application_reads_what_payroll_csv_says(
    company: Path, tmp_path: Path
) -> None:
    assert SOFFICE is not None, "INNERPAY_REQUIRE_SPREADSHEET=1 but LibreOffice is not installed"
    assert run_cli(["compute", "--period", "2024-05", "--format", "csv,xlsx"]).code == 0
    out = company / "out" / "2024-05"
    done = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
         "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,"
         "false,1", "--outdir", str(tmp_path / "read"), str(out / "payroll.xlsx")],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (first,) = (tmp_path / "read").glob("payroll*.csv")  # the first sheet, as Calc shows it
    with first.open(encoding="utf-8", newline="") as handle:
        sheet = list(csv.reader(handle))
    with (out / "payroll.csv").open(encoding="utf-8-sig", newline="") as handle:
        paid = {row["id"]: row for row in csv.DictReader(handle)}
    header = sheet[0]
    assert header[:2] == ["工号 ID", "姓名 Name"] and header[-1] == "实发 Net"
    for row in sheet[1:-1]:  # each employee: the name, and every amount to the cent
        expected = paid[row[0]]
        assert row[1] == expected["name"]
        assert Decimal(row[-1]) == Decimal(expected["net"]), row[0]
        assert Decimal(row[-3]) == Decimal(expected["gross"]), row[0]
    assert len(sheet) == len(paid) + 2
    assert sheet[-1][0] == "合计 Total"
    assert Decimal(sheet[-1][-1]) == sum(Decimal(r["net"]) for r in paid.values())
    assert sheet[1][4] == "2016-03-01"  # a date, shown as one
