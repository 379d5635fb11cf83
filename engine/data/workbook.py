"""Workbooks: a sheet of an .xlsx file as a :class:`~innerpay.data.tables.Table` of text.

A workbook is read as Excel shows it: the sheet the policy names (``files:``), else the first
visible sheet that has the table's columns (a notes sheet before the data is passed over), else
the first visible sheet; a hidden sheet only where named.  Cells become the text a CSV export
would hold, and an id that Excel stored as a number is an error (its leading zeros are gone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ..errors import Diagnostic, Source, suggest
from ..limits import MAX_XLSX_UNPACKED
from ..policy.model import PLAIN, DataFile
from .tables import (
    Table,
    block_of,
    data_error,
    duplicate_columns,
    long_cells,
    of_width,
    read_bytes,
    too_wide,
)

#: The columns that hold ids (employees, candidates, voters): never numbers.
ID_COLUMNS = ("id", "employee", "candidate", "voter")


def _cell_text(value: Any) -> str:
    """An .xlsx cell as the text a CSV would hold.

    Numbers come back as the shortest text that reads back to the same number, which is what
    Excel stores; so 7350.5 stays "7350.5", and a float artefact such as 0.30000000000000004
    fails the money format instead of being rounded silently.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _sheet(workbook: Any, layout: DataFile, wanted: Sequence[str]) -> tuple[Any, str]:
    """The sheet of a workbook to read, or an error: the one the policy names, else the first
    visible sheet whose first row has every ``wanted`` column, else the first visible sheet (a
    hidden sheet is never read unless named: HR cannot see what it holds)."""
    if layout.sheet is not None:
        if layout.sheet in workbook.sheetnames:
            return workbook[layout.sheet], ""
        near = suggest(layout.sheet, workbook.sheetnames)
        hint = near or "; its sheets: " + ", ".join(workbook.sheetnames)
        return None, f"the workbook has no sheet '{layout.sheet}' (files: in the policy){hint}"
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not visible:
        return None, "the workbook has no visible sheet"
    for sheet in visible if wanted else ():
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell_text(v).strip() for v in values]
            if any(cells):
                if all(name in layout.named(cells) for name in wanted):
                    return sheet, ""
                break
    return visible[0], ""


def _uncalculated(raw: bytes, title: str) -> dict[tuple[int, int], str]:
    """The formula cells of a sheet, by (row, column): a workbook a script wrote holds the
    formula without the value Excel would show (openpyxl reads that as an empty cell)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=False)
    try:
        return {(cell.row, cell.column): str(cell.value) for row in book[title].iter_rows()
                for cell in row if cell.data_type == "f"}  # fmt: skip
    finally:
        book.close()


def _unpacked_size(raw: bytes) -> int:
    """What a workbook's parts add up to unpacked (a part's recorded size; 0 for no zip, which
    openpyxl then refuses in its words)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            return sum(info.file_size for info in book.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0


def read_xlsx(
    path: str, layout: DataFile = PLAIN, wanted: Sequence[str] = ()
) -> tuple[Table | None, list[Diagnostic]]:
    """A sheet of an .xlsx workbook (see :func:`_sheet`), as rows of text with their row
    numbers."""
    import openpyxl  # imported here: only runs that read Excel files pay for it

    raw, problems = read_bytes(path)
    if raw is None:
        return None, problems
    unpacked = _unpacked_size(raw)
    if unpacked > MAX_XLSX_UNPACKED:
        return None, [data_error(Source(path), f"the workbook unpacks to {unpacked:,} bytes; "
                                 f"innerpay unpacks at most {MAX_XLSX_UNPACKED:,} "
                                 "(MAX_XLSX_UNPACKED)")]  # fmt: skip
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=True)
    except Exception as exc:
        return None, [data_error(Source(path), f"not a readable .xlsx workbook: {exc}")]
    sheet, why = _sheet(workbook, layout, wanted)
    if sheet is None:
        workbook.close()
        return None, [data_error(Source(path), why)]
    uncalculated = _uncalculated(raw, sheet.title)
    header: list[str] | None = None
    raw_header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    numeric_ids: list[Diagnostic] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        for col, value in enumerate(values, start=1):
            formula = uncalculated.get((number, col)) if value is None else None
            if formula is not None:  # Excel would show its value; the file holds none
                numeric_ids.append(data_error(Source(path, number, col), f"the cell holds a "
                    f"formula with no value saved ({formula}): open and save the workbook in "
                    "Excel (which works it out), or write the value"))  # fmt: skip
        cells = [_cell_text(v) for v in values]
        if header is not None:
            for col, (name, value) in enumerate(zip(header, values, strict=False), start=1):
                if name in ID_COLUMNS and isinstance(value, (int, float)) and not isinstance(
                        value, bool):  # fmt: skip
                    numeric_ids.append(data_error(
                        Source(path, number, col), f"{name} {_cell_text(value)} is a number in "
                        "the workbook, and Excel drops an id's leading zeros (007 becomes 7): "
                        "format the column as text and type the ids again"))  # fmt: skip
        while cells and cells[-1] == "":
            cells.pop()  # Excel pads rows to the widest one
        if not cells:
            continue
        if header is None:
            raw_header = [c.strip() for c in cells]
            header = layout.named(raw_header)
        else:
            rows.append((number, cells + [""] * (len(header) - len(cells))))
    visible = tuple(ws.title for ws in workbook.worksheets if ws.sheet_state == "visible")
    workbook.close()
    if header is None:
        return None, [data_error(Source(path, 1), f"the sheet '{sheet.title}' is empty; expected "
                                 "a header row")]  # fmt: skip
    if wide := too_wide(path, len(header)):
        return None, wide
    problems = duplicate_columns(path, header, raw_header) + numeric_ids
    problems += long_cells(path, rows, header)
    rows = list(of_width(iter(rows), len(header), path, problems))
    table = Table(path, header, block_of(rows, header), hashlib.sha256(raw).hexdigest())
    return replace(table, sheet=sheet.title, sheets=visible), problems


__all__ = ["ID_COLUMNS", "read_xlsx"]
