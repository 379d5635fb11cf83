"""Data as HR keeps it: a file's own column names mapped in the policy (`files:`), and the sheet
of a workbook to read (named, or the first visible one that has the table's columns)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pytest

from innerpay.data.tables import FAST_BYTES

from .conftest import ROOT, compute_data, run_cli
from .test_xlsx import as_excel_value

CHINESE = {"id": "工号", "name": "姓名", "department": "部门", "role": "岗位",
           "base_salary": "基本工资", "grade": "职级"}  # fmt: skip
MAPPING = (
    "files:\n"
    "  employees:\n"
    "    columns: {工号: id, 姓名: name, 部门: department, 岗位: role, 基本工资: base_salary, "
    "职级: grade}\n"
    "  shipments:\n"
    "    columns: {部门: department, 承诺日期: promised_on}\n"
)


def company(tmp_path: Path, mapping: str = MAPPING) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "fixtures" / "2024-04", tmp_path / "data" / "2024-04")
    for policy in (tmp_path / "policies").glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("metrics:\n", mapping + "\nmetrics:\n", 1), "utf-8")
    return tmp_path / "data" / "2024-04"


def rename(path: Path, names: dict[str, str], pad: int = 0) -> None:
    """Rewrite a CSV file's header with HR's names (and a long notes column, ``pad`` wide)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0] = [names.get(c, c) for c in rows[0]]
    if pad:
        rows = [row + (["备注"] if k == 0 else ["x" * pad]) for k, row in enumerate(rows)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def outputs(root: Path) -> dict[str, bytes]:
    """The payroll a run wrote (the reports name the policy file's hash, which `files:` changes)."""
    return {"payroll.csv": (root / "out" / "2024-04" / "payroll.csv").read_bytes()}


def plain_payroll(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The payroll of the company in innerpay's own layout (what a mapped one must give)."""
    plain = tmp_path / "plain"
    company(plain)
    monkeypatch.chdir(plain)
    assert run_cli(["compute", "--period", "2024-04", "--data", "data"]).code == 0
    return outputs(plain)


def test_files_names_the_columns_the_way_hr_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = plain_payroll(tmp_path, monkeypatch)
    mapped = tmp_path / "mapped"
    folder = company(mapped)
    rename(folder / "employees.csv", CHINESE)
    rename(folder / "shipments.csv", {"department": "部门", "promised_on": "承诺日期"})
    ran = compute_data(mapped, monkeypatch, "2024-04")
    assert ran.code == 0, ran.stderr
    assert outputs(mapped) == expected


def test_the_arrow_reader_maps_the_names_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = plain_payroll(tmp_path, monkeypatch)
    mapped = tmp_path / "mapped"
    folder = company(mapped)
    for name, names in (("employees", CHINESE), ("shipments", {"department": "部门"})):
        rows = len((folder / f"{name}.csv").read_text(encoding="utf-8").splitlines())
        rename(folder / f"{name}.csv", names, pad=FAST_BYTES // (rows - 1) + 1)
        assert (folder / f"{name}.csv").stat().st_size > FAST_BYTES  # read by pyarrow
    ran = compute_data(mapped, monkeypatch, "2024-04")
    assert ran.code == 0, ran.stderr
    assert outputs(mapped) == expected


def test_two_columns_named_alike_once_mapped_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = company(tmp_path)
    rename(folder / "employees.csv", {"name": "姓名"})  # and 工号 is added beside id
    text = (folder / "employees.csv").read_text(encoding="utf-8").splitlines()
    text = [line + ("," + "工号" if k == 0 else ",X") for k, line in enumerate(text)]
    (folder / "employees.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert ran.code == 4
    assert ran.stderr.splitlines()[0] == (
        "data/2024-04/employees.csv:1:9: error: column 'id' appears twice (the policy's files: "
        "maps '工号' to it)"
    )


def workbook(path: Path, sheets: list[tuple[str, str, list[list[object]]]]) -> None:
    """An .xlsx of (title, state, rows) sheets, in order."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, state, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    book.save(path)


def employee_rows(folder: Path) -> list[list[object]]:
    with (folder / "employees.csv").open(encoding="utf-8", newline="") as handle:
        return [[as_excel_value(c) if k > 0 else c for c in row]
                for k, row in enumerate(csv.reader(handle))]  # fmt: skip


NOTES = [["说明 Notes"], ["每月5日前填写 Fill in by the 5th"], ["工号不可重复", "Ids are unique"]]


@pytest.mark.parametrize("state", ["visible", "hidden", "veryHidden"])
def test_a_workbook_is_read_at_the_sheet_with_the_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state: str
) -> None:
    plain = tmp_path / "plain"
    company(plain, "")
    monkeypatch.chdir(plain)
    assert run_cli(["compute", "--period", "2024-04", "--data", "data"]).code == 0
    # A notes sheet (or a hidden sheet of old data) before the data: passed over.
    root = tmp_path / "book"
    folder = company(root, "")
    rows = employee_rows(folder)
    stale = [rows[0]] + [[*row[:4], 1, *row[5:]] for row in rows[1:]]  # everyone paid 1 yuan
    first = ("说明", state, NOTES) if state == "visible" else ("old", state, stale)
    workbook(folder / "employees.xlsx", [first, ("员工", "visible", rows)])
    (folder / "employees.csv").unlink()
    ran = compute_data(root, monkeypatch, "2024-04")
    assert ran.code == 0, ran.stderr
    assert outputs(root)["payroll.csv"] == outputs(plain)["payroll.csv"]


def test_the_sheet_named_in_the_policy_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = company(tmp_path, "files:\n  employees: {sheet: 员工}\n")
    rows = employee_rows(folder)
    workbook(folder / "employees.xlsx", [("员工", "hidden", rows), ("other", "visible", rows[:2])])
    (folder / "employees.csv").unlink()
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert ran.code == 0, ran.stderr
    slips = sorted(p.name for p in (tmp_path / "out" / "2024-04" / "payslips").glob("*.md"))
    assert len(slips) == len(rows) - 1


def test_a_sheet_that_is_not_there_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = company(tmp_path, "files:\n  employees: {sheet: 员工表}\n")
    workbook(folder / "employees.xlsx", [("说明", "visible", NOTES),
                                         ("员工", "visible", employee_rows(folder))])  # fmt: skip
    (folder / "employees.csv").unlink()
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr.splitlines()) == (4, [
        "data/2024-04/employees.xlsx: error: the workbook has no sheet '员工表' (files: in the "
        "policy); did you mean '员工'?"
    ])  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_a_workbook_without_the_columns_says_which_sheet_to_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = company(tmp_path, "")
    rows = employee_rows(folder)
    rows[0] = [CHINESE.get(str(c), c) for c in rows[0]]  # HR's names, unmapped
    workbook(folder / "employees.xlsx", [("说明", "visible", NOTES), ("员工", "visible", rows)])
    (folder / "employees.csv").unlink()
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr.splitlines()) == (4, [
        "data/2024-04/employees.xlsx:1: error: missing columns id, name, department, role "
        "(required): the sheet '说明' has 说明 Notes instead; name the sheet to read in the policy "
        "(files: {employees: {sheet: 员工}}) (and 1 error that follows from this, not shown)"
    ])  # fmt: skip
