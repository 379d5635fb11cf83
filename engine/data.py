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
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from . import columnar
from .errors import Diagnostic, Kind, Source, error, suggest
from .formulas import decimal_context
from .metrics import Accumulator, Tallies
from .model import Policy
from .numbers import INTEGER_RE, MONEY_RE, parse_decimal
from .periods import Period
from .progress import Progress, quietly

_fromisoformat = dt.date.fromisoformat
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
class Candidate:
    """A candidate standing for a position this period."""

    id: str
    position: str
    source: Source


class Ballot(NamedTuple):
    """One ballot as cast; validity is decided by the election rules, not here."""

    candidate: str
    voter: str
    vote: str
    file: str
    line: int

    @property
    def source(self) -> Source:
        """The ballot's file and line."""
        return Source(self.file, self.line)


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
    employees: Sequence[Employee] = ()  # sorted by id
    # metric table → appraised department → metric → its sums (the rows are not kept)
    tables: dict[str, Tallies] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    ballots: tuple[Ballot, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256
    table_files: dict[str, str] = field(default_factory=dict)  # metric table → file read
    roster: Any = None  # employees.csv over whole columns (innerpay.bulk.Roster), if so read
    ballot_table: Any = None  # ballots.csv over whole columns (innerpay.bulk.BallotTable)

    def department_of(self) -> dict[str, str]:
        """Each employee's department, by id."""
        if self.roster is not None:
            return dict(zip(self.roster.ids, self.roster.departments, strict=True))
        return {e.id: e.department for e in self.employees}

    def names_of(self, ids: list[str]) -> dict[str, str]:
        """The names of these employees (every one of them on the roster)."""
        if self.roster is not None:
            names = self.roster.columns["name"]
            return {emp_id: names[self.roster.index(emp_id)].as_py() for emp_id in ids}
        wanted = set(ids)
        return {e.id: e.name for e in self.employees if e.id in wanted}

    def employee(self, emp_id: str) -> Employee | None:
        """The employee with this id, if any."""
        find = getattr(self.employees, "find", None)
        if find is not None:
            found: Employee | None = find(emp_id)
            return found
        return next((e for e in self.employees if e.id == emp_id), None)


def data_error(source: Source, message: str) -> Diagnostic:
    """An error in the period data (exit 4)."""
    return error(source, message, Kind.DATA)


# --- reading CSV ---------------------------------------------------------------------------------


@dataclass
class RawTable:
    """A file's header and rows as text, before typing (from CSV or .xlsx alike)."""

    path: str
    header: list[str]
    rows: Iterable[tuple[int, list[str]]]  # (line, cells); from a CSV file, read once, lazily
    sha256: str
    located: bool = True  # cells have columns (not so for inline test data)
    errors: list[Diagnostic] = field(default_factory=list)  # found while the rows are read
    tallies: Tallies | None = None  # a metric table already counted by the columnar path
    roster: Any = None  # employees.csv already read over whole columns (innerpay.bulk)
    ballots: Any = None  # ballots.csv already read over whole columns (innerpay.bulk)


def _utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _decode(raw: bytes, path: str, encoding: str) -> tuple[str | None, list[Diagnostic]]:
    codec = "utf-8-sig" if _utf8(encoding) else encoding
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
    try:
        _, header = next(_csv_rows(reader, path))
    except StopIteration:
        return None, [data_error(Source(path, 1), "the file is empty; expected a header line")]
    except _CsvError as exc:
        return None, [_csv_error(path, exc.line, exc)]
    table = RawTable(path, [c.strip() for c in header], [], hashlib.sha256(raw).hexdigest())
    # the rows are read as they are typed: a large table is never held in memory
    table.rows = _csv_rows(reader, path, table.errors)
    return table, problems + _duplicate_columns(path, table.header)


class _CsvError(Exception):
    """A CSV syntax error, with the line its record starts on."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def _csv_rows(
    reader: Any, path: str, errors: list[Diagnostic] | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on.

    A CSV syntax error ends them: raised for the header, kept in ``errors`` for the rows.
    """
    start = reader.line_num + 1
    try:
        for cells in reader:
            if cells and not (len(cells) == 1 and not cells[0].strip()):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        if errors is None:
            raise _CsvError(start, str(exc)) from None
        errors.append(_csv_error(path, start, exc))


def _csv_error(path: str, line: int, exc: Exception) -> Diagnostic:
    reason = str(exc)
    if "unexpected end of data" in reason:
        reason = "a quoted field opened in this row is never closed"
    return data_error(Source(path, line), f"not valid CSV: {reason}")


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


def _rows_of_width(table: RawTable, problems: list[Diagnostic]) -> Iterator[tuple[int, list[str]]]:
    """The rows with as many cells as the header; any other row is an error and skipped."""
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
        yield line, cells
    problems += table.errors


def _records(table: RawTable, problems: list[Diagnostic]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as {column: cell}; a row of the wrong length is an error and skipped."""
    header = table.header
    for line, cells in _rows_of_width(table, problems):
        yield line, dict(zip(header, cells, strict=True))


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
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # the common case, without a regular expression: fromisoformat takes ASCII only
            return _fromisoformat(text)
        except ValueError:
            pass
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
    """Typed access to one row; each problem is kept with its file, line and column."""

    table: RawTable
    line: int
    record: dict[str, str]
    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def source(self) -> Source:
        """The row's file and line."""
        return Source(self.table.path, self.line)

    def fail(self, name: str, message: str) -> None:
        """Record a problem with the cell of column ``name``."""
        self.problems.append(data_error(_at(self.table, self.line, name), message))

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


# --- typing the tables of a period --------------------------------------------------------------


def period_folder(data_dir: str, period: Period) -> str:
    """``<data>/<period>``."""
    return os.path.join(data_dir, str(period))


def _at(table: RawTable, line: int, column: str) -> Source:
    """The source of a cell (the row only, for tables whose columns have no position)."""
    if not table.located:
        return Source(table.path, line)
    return Source(table.path, line, table.header.index(column) + 1)


def _employee_fast(
    cells: list[str],
    at: tuple[int, int, int, int],
    typed: list[tuple[str, int, Any, bool]],
    dates: tuple[int | None, int | None],
    departments: Any,
) -> tuple[Any, ...] | None:
    """A row's values when every cell is right (the common case), else None: the row path
    then says what is wrong, cell by cell."""
    emp_id, name, department, role = (cells[i] for i in at)
    if not (ID_RE.match(emp_id) and emp_id.strip(".") and name and role):
        return None
    if department not in departments:
        return None
    values: dict[str, Any] = {}
    try:
        for field_name, i, parse, required in typed:
            text = cells[i]
            if text == "":
                if required:
                    return None
                values[field_name] = None
            else:
                values[field_name] = parse(text)
        hired_on, left_on = (
            parse_date(cells[i]) if i is not None and cells[i] else None for i in dates
        )
    except CellError:
        return None
    if hired_on and left_on and left_on < hired_on:
        return None
    return emp_id, name, department, role, values, hired_on, left_on


def _employee_slow(row: _Row, policy: Policy) -> tuple[Any, ...]:
    """A row's values, each problem with its cell (recorded on the row)."""
    emp_id = row.get("id", _parse_id)
    name = row.get("name", str)
    department = row.get("department", str)
    role = row.get("role", str)
    if department is not None and department not in policy.departments:
        row.fail(
            "department",
            f"unknown department '{department}'{suggest(department, policy.departments)}",
        )
    fields = policy.employee_fields
    values = {f: row.get(f, _FIELD_PARSERS[kind], kind != "text") for f, kind in fields.items()}
    hired_on = row.get("hired_on", parse_date, False) if "hired_on" in row.record else None
    left_on = row.get("left_on", parse_date, False) if "left_on" in row.record else None
    if hired_on and left_on and left_on < hired_on:
        row.fail("left_on", f"left_on {left_on} is before hired_on {hired_on}")
    return emp_id, name, department, role, values, hired_on, left_on


def type_employees(
    table: RawTable, policy: Policy, problems: list[Diagnostic]
) -> tuple[Employee, ...]:
    """The employees of employees.csv, typed by the policy's employee_fields.

    Rows are read by position; a row with anything wrong is read again cell by cell, so that
    every problem is said with its column.
    """
    fields = policy.employee_fields
    why = f"declared in employee_fields of {policy.file}"
    ok = _require_columns(table, list(REQUIRED_EMPLOYEE_COLUMNS), "required", problems)
    ok = _require_columns(table, list(fields), why, problems) and ok
    if not ok:
        return ()
    header = table.header
    place = {name: header.index(name) for name in header}
    at = (place["id"], place["name"], place["department"], place["role"])
    typed = [(f, place[f], _FIELD_PARSERS[kind], kind != "text") for f, kind in fields.items()]
    dates = (place.get("hired_on"), place.get("left_on"))
    employees: list[Employee] = []
    seen: dict[str, int] = {}
    lookalikes: dict[str, tuple[str, int]] = {}
    for line, cells in _rows_of_width(table, problems):
        row: _Row | None = None
        parsed = _employee_fast(cells, at, typed, dates, policy.departments)
        if parsed is None:
            row = _Row(table, line, dict(zip(header, cells, strict=True)))
            parsed = _employee_slow(row, policy)
        emp_id, name, department, role, values, hired_on, left_on = parsed
        if emp_id is not None:
            clash = None
            if emp_id in seen:
                clash = f"duplicate employee id '{emp_id}' (first at line {seen[emp_id]})"
            else:
                key = emp_id.lower().translate(_LOOKALIKE)
                if key in lookalikes:
                    other, other_line = lookalikes[key]
                    clash = (
                        f"employee id '{emp_id}' looks like '{other}' (line {other_line}); "
                        "ids must differ by more than case or O/0, I/l/1"
                    )
                seen[emp_id] = line
                lookalikes[key] = (emp_id, line)
            if clash:
                row = row or _Row(table, line, dict(zip(header, cells, strict=True)))
                row.fail("id", clash)
        if row is not None and row.problems:
            problems += row.problems
            continue
        employees.append(
            Employee(
                emp_id, name, department, role, values, hired_on, left_on, Source(table.path, line)
            )
        )
    if not employees and not any(p.source.file == table.path for p in problems):
        problems.append(data_error(Source(table.path, 1), "no employees in the file"))
    return tuple(sorted(employees, key=lambda e: e.id))


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


def tally_metric_table(
    table: RawTable, name: str, policy: Policy, problems: list[Diagnostic]
) -> Tallies:
    """One metric table, typed and reduced to per-department tallies as its records stream.

    Only the columns the formulas read are typed, by position; no record is kept.
    """
    users = sorted(m.id for m in policy.metrics.values() if m.table == name)
    columns = needed_columns(policy, name)
    why = f"used by metric {', '.join(users)} in {policy.file}"
    if not _require_columns(table, ["department", *columns], why, problems):
        for _ in table.rows:  # still read, so that its own errors are said
            pass
        problems += table.errors
        return {}
    header = table.header
    at_department = header.index("department")
    picks = [header.index(column) for column in columns]
    counter = Accumulator(policy, name, columns, table.path)
    departments = policy.departments
    with decimal_context():
        for line, cells in _rows_of_width(table, problems):
            department = cells[at_department]
            if department not in departments:
                problems.append(
                    data_error(
                        _at(table, line, "department"),
                        f"unknown department '{department}'{suggest(department, departments)}",
                    )
                )
                continue
            try:
                values = [infer_cell(cells[i]) for i in picks]
            except CellError:
                for column, i in zip(columns, picks, strict=True):  # every bad cell of the row
                    try:
                        infer_cell(cells[i])
                    except CellError as exc:
                        problems.append(data_error(_at(table, line, column), f"{column}: {exc}"))
                continue
            counter.add(department, values, line, problems)
    return counter.tallies()


def _rows_with(
    table: RawTable | None, columns: list[str], problems: list[Diagnostic]
) -> list[_Row]:
    """The rows of an optional table whose columns are all required and non-empty."""
    if table is None or not _require_columns(table, columns, "required", problems):
        return []
    rows = []
    for line, record in _records(table, problems):
        row = _Row(table, line, record)
        for name in columns:
            if not record[name].strip():
                row.fail(name, f"{name} is empty")
        problems += row.problems
        rows.append(row)
    return rows


def type_candidates(
    table: RawTable | None, employees: Container[str], problems: list[Diagnostic]
) -> tuple[Candidate, ...]:
    """candidates.csv: each an employee of the period, once."""
    found: dict[str, Candidate] = {}
    for row in _rows_with(table, ["candidate", "position"], problems):
        if row.problems:
            continue
        cid = row.record["candidate"]
        if cid not in employees:
            row.fail("candidate", f"candidate '{cid}' is not an employee this period")
        elif cid in found:
            first = found[cid].source.line
            row.fail("candidate", f"candidate '{cid}' is listed twice (first at line {first})")
        else:
            found[cid] = Candidate(cid, row.record["position"].strip(), row.source)
        problems += row.problems
    return tuple(sorted(found.values(), key=lambda c: c.id))


def type_ballots(
    table: RawTable | None, candidates: set[str], problems: list[Diagnostic]
) -> tuple[Ballot, ...]:
    """ballots.csv as cast; validity is for the election rules to judge.

    By position, without a row object: a large company casts hundreds of thousands of ballots.
    """
    columns = ["candidate", "voter", "vote"]
    if table is None or not _require_columns(table, columns, "required", problems):
        return ()
    at = [table.header.index(name) for name in columns]
    ballots: list[Ballot] = []
    for line, cells in _rows_of_width(table, problems):
        cid, voter, vote = (cells[i] for i in at)
        voter, vote = voter.strip(), vote.strip()
        if not (cid.strip() and voter and vote):
            problems += [
                data_error(_at(table, line, name), f"{name} is empty")
                for name, i in zip(columns, at, strict=True)
                if not cells[i].strip()
            ]
            continue
        if cid not in candidates:
            problems.append(
                data_error(
                    _at(table, line, "candidate"),
                    f"ballot for '{cid}', who is not in candidates.csv",
                )
            )
            continue
        ballots.append(Ballot(cid, voter, vote, table.path, line))
    return tuple(ballots)


def type_adjustments(
    table: RawTable | None, employees: Container[str], problems: list[Diagnostic]
) -> tuple[Adjustment, ...]:
    """adjustments.csv: one-off lines with their reason and approver."""
    columns = ["employee", "label", "amount", "kind", "reason", "approved_by"]
    result: list[Adjustment] = []
    for row in _rows_with(table, columns, problems):
        before = len(row.problems)
        record = row.record
        if record["employee"] and record["employee"] not in employees:
            row.fail(
                "employee",
                f"adjustment for '{record['employee']}', who is not an employee this period",
            )
        if record["kind"] and record["kind"] not in ("earning", "deduction"):
            row.fail("kind", f"kind '{record['kind']}' must be earning or deduction")
        amount = row.get("amount", parse_money, required=False)
        problems += row.problems[before:]
        if row.problems:
            continue
        result.append(
            Adjustment(
                employee=record["employee"],
                label=record["label"].strip(),
                amount=amount,
                kind=record["kind"],
                reason=record["reason"].strip(),
                approved_by=record["approved_by"].strip(),
                source=row.source,
            )
        )
    return tuple(result)


def assemble(
    period: Period,
    folder: str,
    tables: dict[str, RawTable | None],
    policy: Policy,
    problems: list[Diagnostic],
) -> PeriodData:
    """Type the raw tables of a period (from files or inline test data) into PeriodData."""
    employees_table = tables.get(EMPLOYEES)
    roster = employees_table.roster if employees_table else None
    employees: Sequence[Employee] = ()
    if roster is not None:
        from .bulk import LazyEmployees

        employees = LazyEmployees(roster)
        known: Container[str] = roster
    elif employees_table:
        employees = type_employees(employees_table, policy, problems)
        known = {e.id for e in employees}
    else:
        known = set()
    metric_tables: dict[str, Tallies] = {}
    for name in sorted({m.table for m in policy.metrics.values()}):
        raw = tables.get(name)
        if raw is not None and raw.tallies is not None:
            metric_tables[name] = raw.tallies
        else:
            metric_tables[name] = tally_metric_table(raw, name, policy, problems) if raw else {}
    candidates = type_candidates(tables.get(CANDIDATES), known, problems)
    standing = {c.id for c in candidates}
    ballot_table = _bulk_ballots(tables, roster, standing, folder, problems)
    ballots = () if ballot_table else type_ballots(tables.get(BALLOTS), standing, problems)
    adjustments = type_adjustments(tables.get(ADJUSTMENTS), known, problems)
    return PeriodData(
        period=period,
        folder=folder,
        employees=employees,
        tables=metric_tables,
        candidates=candidates,
        ballots=ballots,
        adjustments=adjustments,
        inputs=dict(sorted((t.path, t.sha256) for t in tables.values() if t is not None)),
        roster=roster,
        ballot_table=ballot_table,
        table_files={
            name: (raw.path if raw else os.path.join(folder, f"{name}.csv"))
            for name in metric_tables
            for raw in [tables.get(name)]
        },
    )


def _bulk_ballots(
    tables: dict[str, RawTable | None],
    roster: Any,
    standing: set[str],
    folder: str,
    problems: list[Diagnostic],
) -> Any:
    """The ballots over whole columns, when read so and every ballot names a candidate; else
    None, and ``tables`` holds ballots.csv read again by the row path (which says what is
    wrong)."""
    raw = tables.get(BALLOTS)
    if raw is None or raw.ballots is None:
        return None
    from . import columnar

    names = set(columnar.pc.unique(raw.ballots.candidate).to_pylist())
    if roster is not None and names <= standing:
        return raw.ballots
    tables[BALLOTS], found = read_table(folder, BALLOTS, "utf-8")
    problems += found
    return None


def _read_all(
    folder: str,
    names: list[str],
    optional: list[str],
    encoding: str,
    problems: list[Diagnostic],
    policy: Policy,
    progress: Progress = quietly,
) -> dict[str, RawTable | None]:
    tables: dict[str, RawTable | None] = {}
    metric_tables = {m.table for m in policy.metrics.values()}
    for name in names + optional:
        path, found = find_table(folder, name)
        if name in optional and not os.path.exists(path) and not found:
            tables[name] = None
            continue
        if name == EMPLOYEES and not found and _utf8(encoding) and path.endswith(".csv"):
            from .bulk import read_roster

            roster = read_roster(path, policy)
            if roster is not None:
                tables[name] = RawTable(path, [], [], roster.sha256, roster=roster)
                continue
        if name == BALLOTS and not found and _utf8(encoding) and path.endswith(".csv"):
            from .bulk import read_ballots

            ballots = read_ballots(path)
            if ballots is not None:
                tables[name] = RawTable(path, [], [], ballots.sha256, ballots=ballots)
                continue
        if name in metric_tables and not found and _utf8(encoding) and path.endswith(".csv"):
            counted = columnar.tally_file(
                path, name, policy, needed_columns(policy, name), progress
            )
            if counted is not None:
                tallies, sha256 = counted
                tables[name] = RawTable(path, [], [], sha256, tallies=tallies)
                continue
        table, found = read_table(folder, name, encoding)
        problems += found
        tables[name] = table
    return tables


def load_period(
    data_dir: str,
    period: Period,
    policy: Policy,
    encoding: str = "utf-8",
    progress: Progress = quietly,
) -> tuple[PeriodData | None, list[Diagnostic]]:
    """Read and check every file of ``<data>/<period>`` against ``policy``."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, [data_error(Source(folder), f"no data folder for period {period}")]
    problems: list[Diagnostic] = []
    metric_tables = sorted({m.table for m in policy.metrics.values()})
    optional = [CANDIDATES, BALLOTS, ADJUSTMENTS]
    tables = _read_all(
        folder, [EMPLOYEES, *metric_tables], optional, encoding, problems, policy, progress
    )
    return assemble(period, folder, tables, policy, problems), problems


def load_tables(
    data_dir: str, period: Period, policy: Policy, encoding: str = "utf-8"
) -> tuple[PeriodData | None, list[Diagnostic]]:
    """Only the metric tables of a period (for review streaks over earlier periods)."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, []
    problems: list[Diagnostic] = []
    metric_tables = sorted({m.table for m in policy.metrics.values()})
    tables = _read_all(folder, metric_tables, [], encoding, problems, policy)
    return assemble(period, folder, tables, policy, problems), problems
