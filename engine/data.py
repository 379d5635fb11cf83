"""Period data: CSV files → typed rows, every bad cell a diagnostic with file, row and column.

The step before evaluation.  Reads ``<data>/<period>/`` as SPEC.md (Period data) lays it out and
checks it against the policy in force: declared fields present and typed, departments known, every
metric table present with the columns its formulas read.  Nothing here computes pay.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .errors import Diagnostic, Kind, Source, error, suggest
from .model import Policy
from .numbers import INTEGER_RE, MONEY_RE, parse_decimal
from .periods import Period

ID_RE = re.compile(r"[A-Za-z0-9_.-]+\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_NUMBERISH = re.compile(r"[-+]?[¥$€£]?[-+]?[0-9０-９][0-9０-９,，._]*([eE][-+]?[0-9]+)?%?\Z")
_NAN = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}
_LOOKALIKE = str.maketrans({"o": "0", "i": "1", "l": "1"})

EMPLOYEES = "employees"
CANDIDATES = "candidates"
BALLOTS = "ballots"
ADJUSTMENTS = "adjustments"
REQUIRED_EMPLOYEE_COLUMNS = ("id", "name", "department", "role")


@dataclass(frozen=True)
class Employee:
    """One employee of the period."""

    id: str
    name: str
    department: str
    role: str
    fields: dict[str, Any]
    hired_on: dt.date | None
    left_on: dt.date | None
    source: Source


@dataclass(frozen=True)
class MetricRow:
    """One row of a metric table: its department, the typed columns formulas read, its source."""

    department: str
    values: dict[str, Any]
    source: Source


@dataclass(frozen=True)
class Candidate:
    """A candidate standing for a position this period."""

    id: str
    position: str
    source: Source


@dataclass(frozen=True)
class Ballot:
    """One ballot as cast; validity is decided by the election rules, not here."""

    candidate: str
    voter: str
    vote: str
    source: Source


@dataclass(frozen=True)
class Adjustment:
    """A one-off line on a slip (a correction, a hold, a clawback), with reason and approver."""

    employee: str
    label: str
    amount: Decimal
    kind: str
    reason: str
    approved_by: str
    source: Source


@dataclass(frozen=True)
class PeriodData:
    """Everything read for one period."""

    period: Period
    folder: str
    employees: tuple[Employee, ...] = ()
    tables: dict[str, tuple[MetricRow, ...]] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    ballots: tuple[Ballot, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256
    table_files: dict[str, str] = field(default_factory=dict)  # metric table → file read


def data_error(source: Source, message: str) -> Diagnostic:
    """An error in the period data (exit 4)."""
    return error(source, message, Kind.DATA)


# --- reading CSV ---------------------------------------------------------------------------------


@dataclass
class RawTable:
    """A file's header and rows as text, before typing (from CSV or .xlsx alike)."""

    path: str
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line, cells)
    sha256: str


def _decode(raw: bytes, path: str, encoding: str) -> tuple[str | None, list[Diagnostic]]:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        return raw.decode(codec), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = (
            "; if it comes from Chinese Excel, try --encoding gb18030"
            if codec == "utf-8-sig"
            else ""
        )
        return None, [
            data_error(
                Source(path, line),
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid {encoding}{hint}",
            )
        ]
    except LookupError:
        return None, [data_error(Source(path), f"unknown encoding '{encoding}'")]


def read_csv(path: str, encoding: str = "utf-8") -> tuple[RawTable | None, list[Diagnostic]]:
    """A CSV file's header and rows with their line numbers; problems with file:line."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, [data_error(Source(path), f"cannot read the file: {exc.strerror}")]
    text, problems = _decode(raw, path, encoding)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    start = 1
    try:
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                start = reader.line_num + 1
                continue  # blank line
            if header is None:
                header = [c.strip() for c in cells]
            else:
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        reason = str(exc)
        if "unexpected end of data" in reason:
            reason = "a quoted field opened in this row is never closed"
        return None, [data_error(Source(path, start), f"not valid CSV: {reason}")]
    if header is None:
        return None, [data_error(Source(path, 1), "the file is empty; expected a header line")]
    problems += _duplicate_columns(path, header)
    return RawTable(path, header, rows, hashlib.sha256(raw).hexdigest()), problems


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


def read_xlsx(path: str) -> tuple[RawTable | None, list[Diagnostic]]:
    """The first sheet of an .xlsx workbook, as rows of text with their row numbers."""
    import openpyxl  # imported here: only runs that read Excel files pay for it

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=True)
    except OSError as exc:
        return None, [data_error(Source(path), f"cannot read the file: {exc.strerror}")]
    except Exception as exc:
        return None, [data_error(Source(path), f"not a readable .xlsx workbook: {exc}")]
    sheet = workbook.worksheets[0]
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()  # Excel pads rows to the widest one
        if not cells:
            continue
        if header is None:
            header = [c.strip() for c in cells]
        else:
            rows.append((number, cells + [""] * (len(header) - len(cells))))
    workbook.close()
    if header is None:
        return None, [data_error(Source(path, 1), "the sheet is empty; expected a header row")]
    return RawTable(path, header, rows, hashlib.sha256(raw).hexdigest()), _duplicate_columns(
        path, header
    )


def find_table(folder: str, name: str) -> tuple[str, list[Diagnostic]]:
    """``<folder>/<name>.csv``, or ``.xlsx`` when that is the one there (both is an error)."""
    csv_path = os.path.join(folder, f"{name}.csv")
    xlsx_path = os.path.join(folder, f"{name}.xlsx")
    if os.path.exists(xlsx_path):
        if os.path.exists(csv_path):
            return csv_path, [
                data_error(
                    Source(xlsx_path),
                    f"both {name}.csv and {name}.xlsx are here; keep one of them",
                )
            ]
        return xlsx_path, []
    return csv_path, []


def read_table(folder: str, name: str, encoding: str) -> tuple[RawTable | None, list[Diagnostic]]:
    """A table of the period, from CSV or .xlsx, with the same errors either way."""
    path, problems = find_table(folder, name)
    if problems:
        return None, problems
    if path.endswith(".xlsx"):
        return read_xlsx(path)
    return read_csv(path, encoding)


def _duplicate_columns(path: str, header: list[str]) -> list[Diagnostic]:
    problems = []
    seen: set[str] = set()
    for col, name in enumerate(header, 1):
        if name in seen:
            problems.append(data_error(Source(path, 1, col), f"column '{name}' appears twice"))
        seen.add(name)
    return problems


def _records(table: RawTable, problems: list[Diagnostic]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as {column: cell}; a row of the wrong length is an error and skipped."""
    width = len(table.header)
    for line, cells in table.rows:
        if len(cells) != width:
            problems.append(
                data_error(
                    Source(table.path, line),
                    f"row has {len(cells)} fields; the header has {width}{_split_hint(cells)}",
                )
            )
            continue
        yield line, dict(zip(table.header, cells, strict=True))


def _split_hint(cells: list[str]) -> str:
    """A number written with a thousands separator splits a row: say so."""
    for left, right in itertools.pairwise(cells):
        if re.fullmatch(r"-?[0-9]{1,3}", left) and re.fullmatch(r"[0-9]{3}(\.[0-9]+)?", right):
            return (
                f" (is '{left},{right}' one number? write it without the thousands separator, "
                f"like {left}{right})"
            )
    return ""


def _require_columns(
    table: RawTable, columns: list[str], why: str, problems: list[Diagnostic]
) -> bool:
    missing = [c for c in columns if c not in table.header]
    for column in missing:
        problems.append(data_error(Source(table.path, 1), f"missing column '{column}' ({why})"))
    return not missing


# --- typing cells --------------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says what was expected."""


def parse_date(text: str) -> dt.date:
    """An ISO date ``YYYY-MM-DD``."""
    if not DATE_RE.match(text):
        raise CellError(f"'{text}' is not a date; write it as YYYY-MM-DD, like 2024-05-31")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CellError(f"'{text}' is not a calendar date") from None


def parse_money(text: str) -> Decimal:
    """Money: ``-?digits[.dd]``."""
    if not MONEY_RE.match(text):
        raise CellError(
            f"'{text}' is not an amount; write digits with an optional minus and up to two "
            "decimals, like 12000.00"
        )
    return Decimal(text)


def parse_number(text: str) -> Decimal:
    """A plain decimal number ``-?digits[.digits]``."""
    value = parse_decimal(text)
    if value is None:
        raise CellError(f"'{text}' is not a number; write plain digits like 1234.5")
    return value


def parse_integer(text: str) -> Decimal:
    """A whole number ``-?digits``."""
    if not INTEGER_RE.match(text):
        raise CellError(f"'{text}' is not a whole number")
    return Decimal(text)


def infer_cell(text: str) -> Any:
    """A metric table cell: empty → None, ISO date → date, number → Decimal, else text.

    Text that looks like a number but is not plain (``12,000.00``, ``1.23E+17``, ``NaN``,
    ``１２３``) is an error rather than text, so that it never silently fails a condition.
    """
    if text == "":
        return None
    if DATE_RE.match(text):
        return parse_date(text)
    value = parse_decimal(text)
    if value is not None:
        return value
    if _NUMBERISH.match(text) or text.strip().lower() in _NAN:
        raise CellError(f"'{text}' is not a plain number; write digits like 12000.00")
    if re.fullmatch(r"[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}", text):
        raise CellError(f"'{text}' is not an ISO date; write it as YYYY-MM-DD")
    return text


_FIELD_PARSERS = {
    "money": parse_money,
    "decimal": parse_number,
    "integer": parse_integer,
    "date": parse_date,
    "text": str,
}


def _parse_id(text: str) -> str:
    if not ID_RE.match(text) or set(text) == {"."}:
        raise CellError(f"'{text}' is not an id; ids are ASCII letters, digits, '_', '.' and '-'")
    return text


@dataclass
class _Row:
    """Typed access to one CSV row; each problem is kept with its file, line and column."""

    path: str
    line: int
    record: dict[str, str]
    col: dict[str, int]
    problems: list[Diagnostic] = field(default_factory=list)

    def fail(self, name: str, message: str) -> None:
        """Record a problem with the cell of column ``name``."""
        self.problems.append(data_error(Source(self.path, self.line, self.col[name]), message))

    def get(self, name: str, parse: Any, required: bool = True) -> Any:
        """The cell of column ``name`` parsed, or None (empty, or a recorded problem)."""
        text = self.record.get(name, "")
        if text == "":
            if required:
                self.fail(name, f"{name} is empty")
            return None
        try:
            return parse(text)
        except CellError as exc:
            self.fail(name, f"{name}: {exc}")
            return None


# --- the files of a period -----------------------------------------------------------------------


def period_folder(data_dir: str, period: Period) -> str:
    """``<data>/<period>``."""
    return os.path.join(data_dir, str(period))


def load_employees(
    folder: str, policy: Policy, encoding: str, problems: list[Diagnostic]
) -> tuple[tuple[Employee, ...], dict[str, str]]:
    """employees.csv, typed by the policy's employee_fields."""
    table, found = read_table(folder, EMPLOYEES, encoding)
    problems += found
    if table is None:
        return (), {}
    inputs = {table.path: table.sha256}
    fields = policy.employee_fields
    why = f"declared in employee_fields of {policy.file}"
    ok = _require_columns(table, list(REQUIRED_EMPLOYEE_COLUMNS), "required", problems)
    ok = _require_columns(table, list(fields), why, problems) and ok
    if not ok:
        return (), inputs
    col = {name: i + 1 for i, name in enumerate(table.header)}
    employees: list[Employee] = []
    seen: dict[str, int] = {}
    lookalikes: dict[str, tuple[str, int]] = {}
    for line, record in _records(table, problems):
        row = _Row(table.path, line, record, col)
        emp_id = row.get("id", _parse_id)
        name = row.get("name", str)
        department = row.get("department", str)
        role = row.get("role", str)
        if department is not None and department not in policy.departments:
            row.fail(
                "department",
                f"unknown department '{department}'{suggest(department, policy.departments)}",
            )
        values = {f: row.get(f, _FIELD_PARSERS[kind], kind != "text") for f, kind in fields.items()}
        hired_on = row.get("hired_on", parse_date, False) if "hired_on" in col else None
        left_on = row.get("left_on", parse_date, False) if "left_on" in col else None
        if hired_on and left_on and left_on < hired_on:
            row.fail("left_on", f"left_on {left_on} is before hired_on {hired_on}")
        if emp_id is not None:
            if emp_id in seen:
                row.fail("id", f"duplicate employee id '{emp_id}' (first at line {seen[emp_id]})")
            else:
                key = emp_id.lower().translate(_LOOKALIKE)
                if key in lookalikes:
                    other, other_line = lookalikes[key]
                    row.fail(
                        "id",
                        f"employee id '{emp_id}' looks like '{other}' (line {other_line}); "
                        "ids must differ by more than case or O/0, I/l/1",
                    )
                seen[emp_id] = line
                lookalikes[key] = (emp_id, line)
        problems += row.problems
        if row.problems:
            continue
        employees.append(
            Employee(
                id=emp_id,
                name=name,
                department=department,
                role=role,
                fields=values,
                hired_on=hired_on,
                left_on=left_on,
                source=Source(table.path, line),
            )
        )
    if not employees and not any(p.source.file == table.path for p in problems):
        problems.append(data_error(Source(table.path, 1), "no employees in the file"))
    return tuple(sorted(employees, key=lambda e: e.id)), inputs


def needed_columns(policy: Policy, table: str) -> list[str]:
    """The columns of a metric table that the policy's formulas read, sorted."""
    names: set[str] = set()
    for metric in policy.metrics.values():
        if metric.table != table:
            continue
        names |= metric.success.name_set
        if metric.weight is not None:
            names |= metric.weight.name_set
    return sorted(names)


def load_metric_table(
    folder: str, name: str, policy: Policy, encoding: str, problems: list[Diagnostic]
) -> tuple[tuple[MetricRow, ...], dict[str, str]]:
    """One metric table, with only the columns the formulas read typed."""
    table, found = read_table(folder, name, encoding)
    problems += found
    if table is None:
        return (), {}
    users = sorted(m.id for m in policy.metrics.values() if m.table == name)
    columns = needed_columns(policy, name)
    why = f"used by metric {', '.join(users)} in {policy.file}"
    if not _require_columns(table, ["department", *columns], why, problems):
        return (), {table.path: table.sha256}
    col = {n: i + 1 for i, n in enumerate(table.header)}
    rows: list[MetricRow] = []
    for line, record in _records(table, problems):
        department = record["department"]
        if department not in policy.departments:
            problems.append(
                data_error(
                    Source(table.path, line, col["department"]),
                    f"unknown department '{department}'{suggest(department, policy.departments)}",
                )
            )
            continue
        values: dict[str, Any] = {}
        bad = False
        for column in columns:
            try:
                values[column] = infer_cell(record[column])
            except CellError as exc:
                problems.append(
                    data_error(Source(table.path, line, col[column]), f"{column}: {exc}")
                )
                bad = True
        if not bad:
            rows.append(MetricRow(department, values, Source(table.path, line)))
    return tuple(rows), {table.path: table.sha256}


def _load_simple(
    folder: str,
    name: str,
    columns: list[str],
    encoding: str,
    problems: list[Diagnostic],
) -> tuple[list[tuple[Source, dict[str, str], dict[str, int]]], dict[str, str]]:
    path, found = find_table(folder, name)
    if not os.path.exists(path):
        problems += found
        return [], {}
    table, found = read_table(folder, name, encoding)
    problems += found
    if table is None:
        return [], {}
    if not _require_columns(table, columns, "required", problems):
        return [], {table.path: table.sha256}
    col = {n: i + 1 for i, n in enumerate(table.header)}
    records = [
        (Source(table.path, line), record, col) for line, record in _records(table, problems)
    ]
    return records, {table.path: table.sha256}


def load_period(
    data_dir: str, period: Period, policy: Policy, encoding: str = "utf-8"
) -> tuple[PeriodData | None, list[Diagnostic]]:
    """Read and check every file of ``<data>/<period>`` against ``policy``."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, [data_error(Source(folder), f"no data folder for period {period}")]
    problems: list[Diagnostic] = []
    employees, inputs = load_employees(folder, policy, encoding, problems)
    tables: dict[str, tuple[MetricRow, ...]] = {}
    for table in sorted({m.table for m in policy.metrics.values()}):
        rows, read = load_metric_table(folder, table, policy, encoding, problems)
        tables[table] = rows
        inputs |= read
    known = {e.id: e for e in employees}
    candidates, read = _candidates(folder, known, encoding, problems)
    inputs |= read
    ballots, read = _ballots(folder, {c.id for c in candidates}, encoding, problems)
    inputs |= read
    adjustments, read = _adjustments(folder, known, encoding, problems)
    inputs |= read
    data = PeriodData(
        period=period,
        folder=folder,
        employees=employees,
        tables=tables,
        candidates=candidates,
        ballots=ballots,
        adjustments=adjustments,
        inputs=dict(sorted(inputs.items())),
        table_files={t: find_table(folder, t)[0] for t in tables},
    )
    return data, problems


def load_tables(
    data_dir: str, period: Period, policy: Policy, encoding: str = "utf-8"
) -> tuple[dict[str, tuple[MetricRow, ...]] | None, dict[str, str], list[Diagnostic]]:
    """Only the metric tables of a period (for review streaks over earlier periods)."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, {}, []
    problems: list[Diagnostic] = []
    tables: dict[str, tuple[MetricRow, ...]] = {}
    inputs: dict[str, str] = {}
    for table in sorted({m.table for m in policy.metrics.values()}):
        rows, read = load_metric_table(folder, table, policy, encoding, problems)
        tables[table] = rows
        inputs |= read
    return tables, inputs, problems


def _nonempty(
    record: dict[str, str],
    names: list[str],
    source: Source,
    col: dict[str, int],
    problems: list[Diagnostic],
) -> bool:
    ok = True
    for name in names:
        if not record[name].strip():
            problems.append(
                data_error(Source(source.file, source.line, col[name]), f"{name} is empty")
            )
            ok = False
    return ok


def _candidates(
    folder: str, employees: dict[str, Employee], encoding: str, problems: list[Diagnostic]
) -> tuple[tuple[Candidate, ...], dict[str, str]]:
    records, inputs = _load_simple(
        folder, CANDIDATES, ["candidate", "position"], encoding, problems
    )
    found: dict[str, Candidate] = {}
    for source, record, col in records:
        if not _nonempty(record, ["candidate", "position"], source, col, problems):
            continue
        cid = record["candidate"]
        at = Source(source.file, source.line, col["candidate"])
        if cid not in employees:
            problems.append(data_error(at, f"candidate '{cid}' is not an employee this period"))
        elif cid in found:
            problems.append(
                data_error(
                    at,
                    f"candidate '{cid}' is listed twice (first at line {found[cid].source.line})",
                )
            )
        else:
            found[cid] = Candidate(cid, record["position"].strip(), source)
    return tuple(sorted(found.values(), key=lambda c: c.id)), inputs


def _ballots(
    folder: str, candidates: set[str], encoding: str, problems: list[Diagnostic]
) -> tuple[tuple[Ballot, ...], dict[str, str]]:
    records, inputs = _load_simple(
        folder, BALLOTS, ["candidate", "voter", "vote"], encoding, problems
    )
    ballots: list[Ballot] = []
    for source, record, col in records:
        cid = record["candidate"]
        if cid not in candidates:
            problems.append(
                data_error(
                    Source(source.file, source.line, col["candidate"]),
                    f"ballot for '{cid}', who is not in candidates.csv",
                )
            )
            continue
        ballots.append(Ballot(cid, record["voter"].strip(), record["vote"].strip(), source))
    return tuple(ballots), inputs


def _adjustments(
    folder: str, employees: dict[str, Employee], encoding: str, problems: list[Diagnostic]
) -> tuple[tuple[Adjustment, ...], dict[str, str]]:
    columns = ["employee", "label", "amount", "kind", "reason", "approved_by"]
    records, inputs = _load_simple(folder, ADJUSTMENTS, columns, encoding, problems)
    result: list[Adjustment] = []
    for source, record, col in records:
        ok = _nonempty(record, columns, source, col, problems)
        if record["employee"] and record["employee"] not in employees:
            problems.append(
                data_error(
                    Source(source.file, source.line, col["employee"]),
                    f"adjustment for '{record['employee']}', who is not an employee this period",
                )
            )
            ok = False
        if record["kind"] and record["kind"] not in ("earning", "deduction"):
            problems.append(
                data_error(
                    Source(source.file, source.line, col["kind"]),
                    f"kind '{record['kind']}' must be earning or deduction",
                )
            )
            ok = False
        try:
            amount = parse_money(record["amount"]) if record["amount"] else Decimal(0)
        except CellError as exc:
            problems.append(
                data_error(Source(source.file, source.line, col["amount"]), f"amount: {exc}")
            )
            ok = False
        if ok:
            result.append(
                Adjustment(
                    employee=record["employee"],
                    label=record["label"].strip(),
                    amount=amount,
                    kind=record["kind"],
                    reason=record["reason"].strip(),
                    approved_by=record["approved_by"].strip(),
                    source=source,
                )
            )
    return tuple(result), inputs
