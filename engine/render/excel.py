"""payroll.xlsx: the payroll as finance opens it in Excel, typed and deterministic.

Three sheets: 工资表 Payroll (one row per employee, money as numbers with two decimals, dates
as dates, a frozen header and a totals row), 部门合计 Departments (each department's headcount,
lines and totals) and 调整与补差 Adjustments (every adjustment with its reason and approver, and
every arrear with its period and why).  Written as SpreadsheetML by hand, not through openpyxl:
100,000 employees took openpyxl 26 s, where these rows are joined from the payroll's columns
as payroll.csv's are (:func:`~innerpay.render.files.rows_text`, the rows needing escaping by
the plain writer, :func:`payroll_row_xml`, to which ``tests/test_excel.py`` holds the fast
rows).  The zip has fixed dates and a fixed order, and no document properties (they would
carry the time it was made): the same results give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from ..errors import InnerpayError, Kind, Source, error
from ..evaluate.results import Arrear, EmployeeResult, Results
from ..formulas import kernels
from ..formulas.vectors import Vector
from ..numbers import ZERO, money_str
from ..policy.model import LineKind, PayLine
from .rows import SLICE_ROWS, Made, _cut, _texts, amount_str, rows_text, summed
from .view import department_totals

#: The styles of styles.xml's cellXfs, by name.
TEXT, MONEY, BOLD, DATE, BOLD_MONEY, NUMBER = range(6)
_EPOCH = dt.date(1899, 12, 30)  # Excel's day 0 (its 1900 date system)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_FIXED = (1980, 1, 1, 0, 0, 0)  # every zip entry's date: none is the time it was made


def _text(value: str, style: int = TEXT) -> str:
    """A text cell (inline, so that the sheet needs no shared strings)."""
    text = escape(_ILLEGAL.sub("\ufffd", value))
    s = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _number(text: str, style: int = MONEY) -> str:
    """A number cell from its exact decimal text (never a float)."""
    return f'<c s="{style}"><v>{text}</v></c>'


def _date(day: dt.date | None) -> str:
    return "<c/>" if day is None else _number(str((day - _EPOCH).days), DATE)


def _amount(amount: Decimal, places: int) -> str:
    return _number(amount_str(amount, places), MONEY if places <= 2 else NUMBER)


def sheet_header(lines: tuple[PayLine, ...]) -> list[str]:
    """The Payroll sheet's header."""
    return (
        ["工号 ID", "姓名 Name", "部门 Department", "岗位 Role", "入职 Hired", "离职 Left",
         "在职天数 Days employed"]
        + [line.label for line in lines]
        + ["调整收入 Adjustments (earning)", "调整扣款 Adjustments (deduction)",
           "补发 Arrears (earning)", "补扣 Arrears (deduction)", "补差期间 Arrears periods",
           "应发 Gross", "扣款 Deductions", "实发 Net"]
    )  # fmt: skip


def payroll_row_xml(e: EmployeeResult, results: Results, hired: str, left: str) -> str:
    """One employee's row of the Payroll sheet, by the plain writer (``hired`` and ``left``:
    the cells of their dates)."""
    departments = results.policy.departments
    cells = [_text(e.id), _text(e.name), _text(departments[e.department].name), _text(e.role),
             hired, left, _number(str(e.employed_days), NUMBER)]  # fmt: skip
    cells += [_amount(x.amount, x.places) for x in e.lines]
    cells += [_number(money_str(summed(e.adjustments, k))) for k in LineKind if k.paid]
    cells += [_number(money_str(summed(e.arrears, k))) for k in LineKind if k.paid]
    cells += [_text(" ".join(str(r.period) for r in e.arrears))]
    cells += [_number(money_str(x)) for x in (e.gross, e.deductions, e.net)]
    return "<row>" + "".join(cells) + "</row>"


def _date_cells(column: Vector | None, size: int) -> list[str]:
    if column is None:
        return ["<c/>"] * size
    return [_date(v if isinstance(v, dt.date) else None) for v in column.values()]


def _payroll_rows(results: Results, made: Made) -> Iterator[bytes | memoryview]:
    """The Payroll sheet's employee rows, a slice at a time: the rows with nothing to escape
    joined from the columns, the rest (and those with adjustments or arrears) by
    :func:`payroll_row_xml`."""
    payroll, policy = results.employees, results.policy
    roster = payroll.roster
    size = len(payroll)
    hired = _texts(_date_cells(roster.columns.get("hired_on"), size))
    left = _texts(_date_cells(roster.columns.get("left_on"), size))
    names = {d.id: _text(d.name) for d in policy.departments.values()}
    department = _texts([names[d] for d in roster.columns["department"].values()])
    for start in range(0, size, SLICE_ROWS):
        end = min(start + SLICE_ROWS, size)
        cut = _cut(start, end)
        parts: list[str | Vector] = [
            '<row><c t="inlineStr"><is><t xml:space="preserve">',
            cut(roster.columns["id"]),
        ]
        parts += [
            '</t></is></c><c t="inlineStr"><is><t xml:space="preserve">',
            cut(roster.columns["name"]),
        ]
        parts += ["</t></is></c>", cut(department), '<c t="inlineStr"><is><t xml:space="preserve">']
        parts += [cut(roster.columns["role"]), "</t></is></c>", cut(hired), cut(left)]
        parts += [f'<c s="{NUMBER}"><v>', made.text("days", start, end), "</v></c>"]
        for line in policy.lines:
            style = MONEY if line.places <= 2 else NUMBER
            parts += [f'<c s="{style}"><v>', made.text(f"line {line.id}", start, end), "</v></c>"]
        parts += [_number("0.00") * 4, _text("")]
        for name in ("gross", "deductions", "net"):
            parts += [f'<c s="{MONEY}"><v>', made.text(name, start, end), "</v></c>"]
        parts.append("</row>")

        def plain(k: int) -> str:
            e = payroll[roster.ids[k]]
            return payroll_row_xml(e, results, hired.at(k), left.at(k))

        yield rows_text(parts, made.special(start, end), plain, start, end)


def _totals_row(results: Results) -> str:
    payroll = results.employees
    cells = [_text("合计 Total", BOLD)] + ["<c/>"] * 6
    cells += [_number(amount_str(kernels.total(payroll.lines[x.id].amounts), x.places),
                      BOLD_MONEY) for x in results.policy.lines]  # fmt: skip
    for made in (payroll.adjustments, payroll.arrears):
        for kind in (k for k in LineKind if k.paid):
            total = sum((summed(items, kind) for items in made.values()), ZERO)
            cells.append(_number(money_str(total), BOLD_MONEY))
    cells.append("<c/>")
    cells += [_number(money_str(x), BOLD_MONEY) for x in
              (results.total_gross, results.total_deductions, results.total_net)]  # fmt: skip
    return "<row>" + "".join(cells) + "</row>"


def _sheet(header: list[str], body: Iterator[bytes | memoryview], rows: int, frozen: int,
           widths: list[int]) -> Iterator[bytes | memoryview]:  # fmt: skip
    """A worksheet: a bold header frozen with its first ``frozen`` columns, filters on it."""
    last = _column(len(header))
    pane = (f'<pane xSplit="{frozen}" ySplit="1" topLeftCell="{_column(frozen + 1)}2" '
            'activePane="bottomRight" state="frozen"/>')  # fmt: skip
    cols = "".join(f'<col min="{k}" max="{k}" width="{w}" customWidth="1"/>'
                   for k, w in enumerate(widths, 1))  # fmt: skip
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}{rows + 1}"/>'
        f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
        f"<cols>{cols}</cols><sheetData>"
        "<row>" + "".join(_text(h, BOLD) for h in header) + "</row>"
    ).encode()
    yield from body
    yield f'</sheetData><autoFilter ref="A1:{last}{rows + 1}"/></worksheet>'.encode()


def _column(number: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB``."""
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _departments_sheet(results: Results) -> Iterator[bytes | memoryview]:
    policy, payroll = results.policy, results.employees
    paid = [x for x in policy.lines if x.kind.paid]
    header = ["部门 Department", "编号 ID", "人数 Employees"] + [x.label for x in paid]
    header += ["应发 Gross", "扣款 Deductions", "实发 Net"]
    departments = payroll.roster.columns["department"]
    from ..data import columns

    line_sums = {x.id: columns.sums_by(departments, payroll.lines[x.id].amounts) for x in paid}
    rows = []
    for d_id, (count, gross, deductions, net) in department_totals(results).items():
        cells = [_text(policy.departments[d_id].name), _text(d_id), _number(str(count), NUMBER)]
        cells += [_number(money_str(line_sums[x.id].get(d_id, ZERO))) for x in paid]
        cells += [_number(money_str(x)) for x in (gross, deductions, net)]
        rows.append("<row>" + "".join(cells) + "</row>")
    total = [_text("合计 Total", BOLD), "<c/>", _number(str(len(payroll)), NUMBER)]
    total += [_number(money_str(kernels.total(payroll.lines[x.id].amounts)), BOLD_MONEY)
              for x in paid]  # fmt: skip
    total += [_number(money_str(x), BOLD_MONEY) for x in
              (results.total_gross, results.total_deductions, results.total_net)]  # fmt: skip
    rows.append("<row>" + "".join(total) + "</row>")
    widths = [22, 16, 10] + [16] * (len(paid) + 3)
    yield from _sheet(header, iter([("".join(rows)).encode()]), len(rows), 1, widths)


def _adjustments_sheet(results: Results) -> Iterator[bytes | memoryview]:
    payroll = results.employees
    roster = payroll.roster
    header = ["工号 ID", "姓名 Name", "类别 What", "项目 Line", "收支 Kind", "金额 Amount",
              "原因 Reason", "批准人 Approved by", "期间 Period", "应发 Due", "已发 Paid",
              "制度 Policy", "缘由 Because"]  # fmt: skip
    rows = []

    def name_of(emp_id: str) -> str:
        at = roster.index(emp_id)
        return "" if at is None else str(roster.columns["name"].at(at))

    for emp_id, made in sorted(payroll.adjustments.items()):
        for a in made:
            rows.append("<row>" + "".join([
                _text(emp_id), _text(name_of(emp_id)), _text("调整 adjustment"), _text(a.label),
                _text(_KIND[a.kind]), _number(money_str(a.amount)), _text(a.reason),
                _text(a.approved_by)]) + "</row>")  # fmt: skip
    for emp_id, arrears in sorted(payroll.arrears.items()):
        for r in arrears:
            rows.append("<row>" + "".join(_arrear_cells(emp_id, name_of(emp_id), r)) + "</row>")
    widths = [10, 16, 16, 24, 10, 14, 36, 20, 10, 14, 14, 10, 36]
    yield from _sheet(header, iter([("".join(rows)).encode()]), len(rows), 2, widths)


def _arrear_cells(emp_id: str, name: str, r: Arrear) -> list[str]:
    return [_text(emp_id), _text(name), _text("补差 arrears"), _text(r.label),
            _text(_KIND[r.kind]), _number(money_str(r.amount)), "<c/>", "<c/>",
            _text(str(r.period)), _number(money_str(r.due)), _number(money_str(r.paid)),
            _text(r.version), _text(r.because)]  # fmt: skip


_KIND = {LineKind.EARNING: "收入 earning", LineKind.DEDUCTION: "扣款 deduction",
         LineKind.VALUE: "值 value"}  # fmt: skip

SHEETS = ("工资表 Payroll", "部门合计 Departments", "调整与补差 Adjustments")

_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" '
    'applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _package() -> dict[str, str]:
    """The workbook's parts besides the sheets."""
    sheets = "".join(f'<sheet name="{escape(n)}" sheetId="{k}" r:id="rId{k}"/>'
                     for k, n in enumerate(SHEETS, 1))  # fmt: skip
    relations = "".join(
        f'<Relationship Id="rId{k}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/worksheet" Target="worksheets/sheet{k}.xml"/>'
        for k in range(1, len(SHEETS) + 1)
    )
    styles_id = len(SHEETS) + 1
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for k in range(1, len(SHEETS) + 1)
    )
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {
        "[Content_Types].xml": head
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>',
        "_rels/.rels": head
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head
        + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{sheets}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{relations}<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": _STYLES,
    }


#: The rows of an Excel sheet (its own limit): the header, the employees and the totals row.
MAX_SHEET_ROWS = 1_048_576


def payroll_xlsx(results: Results, made: Made | None = None) -> bytes:
    """payroll.xlsx (see the module): the same results give the same bytes.  More employees
    than a sheet holds is an error (nothing is written), not a workbook Excel must repair."""
    made = made or Made(results.employees)
    payroll, policy = results.employees, results.policy
    if len(payroll) + 2 > MAX_SHEET_ROWS:
        raise InnerpayError(
            [
                error(
                    Source("payroll.xlsx"),
                    f"{len(payroll):,} employees do not "
                    f"fit an Excel sheet ({MAX_SHEET_ROWS:,} rows with the header and "
                    "the totals); write payroll.csv (--format csv) instead",
                    Kind.IO,
                )
            ]
        )
    header = sheet_header(policy.lines)

    def body() -> Iterator[bytes | memoryview]:
        yield from _payroll_rows(results, made)
        yield _totals_row(results).encode()

    widths = [10, 16, 18, 10, 11, 11, 8] + [14] * (len(policy.lines) + 8)
    sheets = [
        _sheet(header, body(), len(payroll) + 1, 2, widths),
        _departments_sheet(results),
        _adjustments_sheet(results),
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        for name, text in _package().items():
            _add(book, name, [text.encode()])
        for k, sheet in enumerate(sheets, 1):
            _add(book, f"xl/worksheets/sheet{k}.xml", sheet)
    return out.getvalue()


def _add(book: zipfile.ZipFile, name: str, pieces: Any) -> None:
    """One part, deflated, dated 1980-01-01 (a fixed date: the bytes do not depend on when)."""
    info = zipfile.ZipInfo(name, _FIXED)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    with book.open(info, "w", force_zip64=True) as part:
        for piece in pieces:
            part.write(piece)


__all__ = ["SHEETS", "payroll_row_xml", "payroll_xlsx", "sheet_header"]
