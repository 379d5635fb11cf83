"""Excel input: an .xlsx wherever a CSV is read, with the same typing and file:row:column errors."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from .conftest import ROOT, compute_data, run_cli


def as_excel_value(text: str) -> Any:
    """What a person typing into Excel gets: numbers as numbers, dates as dates."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return dt.datetime.fromisoformat(text)
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]+\.[0-9]+", text):
        return float(text)
    return text or None


def to_xlsx(csv_path: Path, rows: list[list[Any]] | None = None) -> Path:
    with csv_path.open(encoding="utf-8", newline="") as handle:
        table = rows or [[as_excel_value(c) for c in row] for row in csv.reader(handle)]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in table:
        sheet.append(row)
    target = csv_path.with_suffix(".xlsx")
    workbook.save(target)
    csv_path.unlink()
    return target


def patch_sheet(workbook: Path, old: str, new: str) -> None:
    """Rewrite the first sheet's XML, as Excel would have written it."""
    with zipfile.ZipFile(workbook) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(old.encode(), new.encode())
    with zipfile.ZipFile(workbook, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)


def period(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    folder = tmp_path / "data" / "2024-04"
    shutil.copytree(ROOT / "fixtures" / "2024-04", folder)
    return folder


def test_xlsx_gives_the_same_results_as_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = period(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert (
        run_cli(["compute", "--period", "2024-04", "--data", "data", "--out", "from-csv"]).code == 0
    )
    for table in sorted(folder.glob("*.csv")):
        to_xlsx(table)
    ran = run_cli(["compute", "--period", "2024-04", "--data", "data", "--out", "from-xlsx"])
    assert ran.code == 0, ran.stderr
    csv_results = (tmp_path / "from-csv" / "2024-04" / "results.json").read_bytes()
    xlsx_results = (tmp_path / "from-xlsx" / "2024-04" / "results.json").read_bytes()
    assert xlsx_results == csv_results
    manifest = json.loads(
        (tmp_path / "from-xlsx" / "2024-04" / "manifest.json").read_text(encoding="utf-8")
    )
    assert "data/2024-04/employees.xlsx" in manifest["inputs"]


HEADER = ["id", "name", "department", "role", "base_salary", "grade", "hired_on", "left_on"]
GOOD = ["E001", "王强 Wang Qiang", "sales", "manager", 22000, 5, dt.datetime(2016, 3, 1), None]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            [
                "E002",
                "李娜 Li Na",
                "sales",
                "staff",
                "12,000.00",
                3,
                dt.datetime(2019, 7, 15),
                None,
            ],
            "data/2024-04/employees.xlsx:3:5: error: base_salary: '12,000.00' is not an amount; write "
            "digits with an optional minus and up to two decimals, like 12000.00",
        ),
        (
            # Excel stores 17 significant digits; openpyxl writes 15, so the file is patched below
            ["E002", "李娜 Li Na", "sales", "staff", 0.3, 3, dt.datetime(2019, 7, 15), None],
            "data/2024-04/employees.xlsx:3:5: error: base_salary: '0.30000000000000004' is not an "
            "amount; write digits with an optional minus and up to two decimals, like 12000.00",
        ),
        (
            ["E002", "李娜 Li Na", "sales", "staff", 9800, 3, "15/07/2019", None],
            "data/2024-04/employees.xlsx:3:7: error: hired_on: '15/07/2019' is not a date; write it "
            "as YYYY-MM-DD, like 2024-05-31",
        ),
        (
            ["E002", "李娜 Li Na", "sale", "staff", 9800, 3, dt.datetime(2019, 7, 15), None],
            "data/2024-04/employees.xlsx:3:3: error: unknown department 'sale'; did you mean 'sales'?",
        ),
    ],
)
def test_xlsx_errors_name_file_row_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: list[Any], message: str
) -> None:
    folder = period(tmp_path)
    workbook = to_xlsx(folder / "employees.csv", [HEADER, GOOD, row])
    patch_sheet(workbook, "<v>0.3</v>", "<v>0.30000000000000004</v>")
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr) == (4, message + "\n")


def test_csv_and_xlsx_of_one_table_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = period(tmp_path)
    shutil.copy(folder / "shipments.csv", tmp_path / "keep.csv")
    to_xlsx(folder / "shipments.csv")
    shutil.copy(tmp_path / "keep.csv", folder / "shipments.csv")
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr) == (
        4,
        "data/2024-04/shipments.xlsx: error: both shipments.csv and shipments.xlsx are here; keep one of them\n",
    )


def test_a_broken_workbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = period(tmp_path)
    (folder / "employees.csv").unlink()
    (folder / "employees.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert ran.code == 4
    assert ran.stderr.startswith(
        "data/2024-04/employees.xlsx: error: not a readable .xlsx workbook: "
    )


def test_an_id_excel_made_a_number_is_an_error_that_says_how_to_keep_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = period(tmp_path)
    with (folder / "employees.csv").open(encoding="utf-8", newline="") as handle:
        table: list[list[Any]] = [list(row) for row in csv.reader(handle)]
    table[1][0] = 7  # "007" typed into a cell Excel formats as a number
    to_xlsx(folder / "employees.csv", table)
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert ran.code == 4
    assert ran.stderr.splitlines()[0] == (
        "data/2024-04/employees.xlsx:2:1: error: id 7 is a number in the workbook, and Excel "
        "drops an id's leading zeros (007 becomes 7): format the column as text and type the ids "
        "again"
    )


def test_a_misspelt_header_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = period(tmp_path)
    employees = folder / "employees.csv"
    text = employees.read_text(encoding="utf-8")
    employees.write_text(text.replace("base_salary", "base_salery", 1), encoding="utf-8")
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert ran.code == 4
    assert ran.stderr.splitlines()[0] == (
        "data/2024-04/employees.csv:1: error: missing column 'base_salary' (declared in "
        "employee_fields of policies/2024-01.yaml); the file has 'base_salery': a misspelling?"
    )


def test_a_formula_cell_without_a_saved_value_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A workbook a script wrote holds the formula, not the value Excel shows: read as empty, a
    # mid-month hire (=DATE(2024,4,15)) would be paid the whole month.
    folder = period(tmp_path)
    with (folder / "employees.csv").open(encoding="utf-8", newline="") as handle:
        table = [[as_excel_value(c) if k else c for c in row]
                 for k, row in enumerate(csv.reader(handle))]  # fmt: skip
    at = table[0].index("hired_on")
    table[-1][at] = "=DATE(2024,4,15)"
    to_xlsx(folder / "employees.csv", table)
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr.splitlines()) == (4, [
        f"data/2024-04/employees.xlsx:{len(table)}:{at + 1}: error: the cell holds a formula "
        "with no value saved (=DATE(2024,4,15)): open and save the workbook in Excel (which "
        "works it out), or write the value"
    ])  # fmt: skip
    assert not (tmp_path / "out").exists()
