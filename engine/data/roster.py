"""The roster: employees.csv typed by the policy, as columns sorted by id.

Every column is typed at once (:mod:`innerpay.data.cells`); a row with any bad cell is left out
and each of its problems said with file, row and column: an empty or mistyped cell, an unknown
department, a duplicate id or one that looks like another, ``left_on`` before ``hired_on``.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from ..errors import Diagnostic, Source, suggest
from ..formulas import arrow
from ..formulas.vectors import Arrow, Const, Rows, Values, Vector
from ..periods import Period
from ..policy.model import FieldKind, Policy
from . import columns
from .cells import PARSERS, Typed, parse_date, parse_id, parse_label, parse_text, texts, type_column
from .tables import Table, data_error, require

FIXED = ("id", "name", "department", "role")
DATES = ("hired_on", "left_on")


@dataclass(frozen=True)
class Employee:
    """One employee of the period, as one row of the roster."""

    id: str
    name: str
    department: str
    role: str
    fields: dict[str, Any]
    hired_on: dt.date | None
    left_on: dt.date | None
    source: Source


@dataclass(frozen=True)
class Roster:
    """The employees of a period, each column one value per employee, in id order."""

    path: str
    columns: dict[str, Vector]  # id, name, department, role, every declared field, the dates
    lines: Sequence[int]  # each employee's line in the file
    fields: tuple[str, ...]  # the declared fields, in the policy's order
    left_out: dict[str, Source] = field(default_factory=dict)  # id of a bad row → its problem
    aside: frozenset[str] = frozenset()  # ids of employees of another version's departments

    def __len__(self) -> int:
        return len(self.lines)

    def __contains__(self, emp_id: object) -> bool:
        return isinstance(emp_id, str) and self.index(emp_id) is not None

    @cached_property
    def ids(self) -> list[str]:
        """The ids, sorted."""
        return [str(v) for v in self.columns["id"].values()]

    @cached_property
    def departments(self) -> list[str]:
        """Each employee's department, in id order."""
        return [str(v) for v in self.columns["department"].values()]

    def index(self, emp_id: str) -> int | None:
        """An employee's position on the roster, if they are on it."""
        ids = self.ids
        at = bisect.bisect_left(ids, emp_id)
        return at if at < len(ids) and ids[at] == emp_id else None

    def headcount(self) -> Counter[str]:
        """Employees per department."""
        return columns.counts(self.columns["department"])

    def column(self, name: str) -> Vector:
        """A column by name; a date column the file does not have is empty for everyone."""
        found = self.columns.get(name)
        return Const(None, len(self)) if found is None else found

    @cached_property
    def python(self) -> dict[str, list[Any]]:
        """Every column as Python values, made once (for reading every employee in turn)."""
        return {name: column.values() for name, column in self.columns.items()}

    def employee(self, at: int, every: bool = False) -> Employee:
        """The employee at a position of the roster (``every``: one of all read in turn, from
        :attr:`python`; else read from the columns alone)."""
        if every:
            cells = {name: values[at] for name, values in self.python.items()}
        else:
            cells = {name: column.at(at) for name, column in self.columns.items()}
        return Employee(
            id=cells["id"],
            name=cells["name"],
            department=cells["department"],
            role=cells["role"],
            fields={name: cells[name] for name in self.fields},
            hired_on=cells.get("hired_on"),
            left_on=cells.get("left_on"),
            source=Source(self.path, self.lines[at]),
        )

    def find(self, emp_id: str) -> Employee | None:
        """The employee with this id, if any."""
        at = self.index(emp_id)
        return None if at is None else self.employee(at)

    def only(self, at: int) -> Roster:
        """A roster of the one employee at this position (to explain them)."""
        rows = Rows.of_positions(len(self), [at])
        return Roster(
            self.path,
            {name: column.take(rows) for name, column in self.columns.items()},
            [self.lines[at]],
            self.fields,
        )


def empty_roster(path: str, policy: Policy) -> Roster:
    """A roster without anyone (a file that could not be read)."""
    names = [*FIXED, *policy.employee_fields]
    return Roster(path, {name: Values([]) for name in names}, [], tuple(policy.employee_fields))


def employed_days(hired_on: dt.date | None, left_on: dt.date | None, period: Period) -> int:
    """Calendar days employed in the period, both ends included (left_on is the last day); never
    negative."""
    if hired_on is None and left_on is None:
        return period.days
    start = max(hired_on or period.first_day, period.first_day)
    end = min(left_on or period.last_day, period.last_day)
    return max((end - start).days + 1, 0)


def employed_days_column(roster: Roster, period: Period) -> Vector:
    """:func:`employed_days` of every employee, as numbers (Decimal, as formulas read them)."""
    hired, left = roster.columns.get("hired_on"), roster.columns.get("left_on")
    size = len(roster)
    if hired is None and left is None:
        return Const(Decimal(period.days), size)
    if isinstance(hired, Arrow | None) and isinstance(left, Arrow | None):
        return _fast_days(hired, left, period, size)  # one of them at least is an array
    hired_values = hired.values() if hired is not None else [None] * size
    left_values = left.values() if left is not None else [None] * size
    return Values(
        [
            Decimal(employed_days(h, w, period))
            for h, w in zip(hired_values, left_values, strict=True)
        ]
    )


def _fast_days(hired: Arrow | None, left: Arrow | None, period: Period, size: int) -> Vector:
    """The arrow kernel of :func:`employed_days_column` (``tests/test_roster.py`` holds it to
    the Python one)."""
    pa, pc = arrow.pa, arrow.pc
    first = pa.scalar(period.first_day, pa.date32())
    last = pa.scalar(period.last_day, pa.date32())
    start = first if hired is None else pc.max_element_wise(pc.fill_null(hired.data, first), first)
    end = last if left is None else pc.min_element_wise(pc.fill_null(left.data, last), last)
    days = pc.add(pc.days_between(start, end), 1)
    if not isinstance(days, pa.Array):
        days = pa.repeat(days, size)
    days = pc.max_element_wise(days, pa.scalar(0, pa.int64()))
    return Arrow(days.cast(pa.int32()).cast(pa.decimal128(10, 0)))


def type_roster(
    table: Table,
    policy: Policy,
    problems: list[Diagnostic],
    aside: frozenset[str] = frozenset(),
    period: Period | None = None,
) -> Roster:
    """The employees of employees.csv, typed by the policy's employee_fields, sorted by id;
    those of the departments ``aside`` (another version's, for `diff`) are set aside.  With
    ``period``, someone hired after it or gone before it is an error: they are not employed in
    it (paying them nothing would hide a row that does not belong)."""
    fields = policy.employee_fields
    why = f"declared in employee_fields of {policy.file}"
    ok = require(table, list(FIXED), "required", problems)
    if ok or any(name in table.header for name in FIXED):  # else the header is not innerpay's
        ok = require(table, list(fields), why, problems) and ok
    if not ok:
        return empty_roster(table.path, policy)
    rows = table.rows
    bad: dict[int, list[tuple[str, str]]] = {}  # row → (column, message)

    trim = policy.layout("employees").trim  # files: {employees: {trim: true}}

    def typed(name: str, parse: Any, required: bool) -> Vector:
        column = rows.columns[name]
        if trim and parse is parse_label:  # the policy says: compare without edge spaces
            column = columns.stripped(column)
        result: Typed = type_column(column, name, parse, required)
        for row, message in result.problems.items():
            bad.setdefault(row, []).append((name, message))
        return result.column

    made: dict[str, Vector] = {
        "id": typed("id", parse_id, True),
        "name": typed("name", parse_text, True),
        "department": typed("department", parse_text, True),
        "role": typed("role", parse_label, True),
    }
    skipped: set[int] = set()
    for row in columns.outside(made["department"], sorted(policy.departments)):
        department = made["department"].at(row)
        if department in aside:
            skipped.add(row)
            continue
        bad.setdefault(row, []).append(
            ("department",
             policy.unknown_department(department))
        )  # fmt: skip
    for name, kind in fields.items():
        made[name] = typed(name, PARSERS[kind], kind is not FieldKind.TEXT)
    for name, values in policy.domains.items():  # a declared domain: nothing else in the column
        if name not in made:
            continue
        for row in columns.outside(made[name], sorted(values)):
            value = made[name].at(row)
            if value is None:
                continue
            bad.setdefault(row, []).append(
                (name, f"{name} '{value}' is not in the policy's domain of {name}"
                       f"{suggest(str(value), values) or '; its domain: ' + ', '.join(values)}")
            )  # fmt: skip
    for name in DATES:
        if name in table.header:
            made[name] = typed(name, parse_date, False)
    if "hired_on" in made and "left_on" in made:
        _left_before_hired(made, bad)
    if period is not None:
        _employed_in(made, period, bad)
    _clashing_ids(made["id"], rows.lines, bad)
    left_out: dict[str, Source] = {}
    raw_ids = texts(rows.columns["id"]) if bad else []
    for row, found in sorted(bad.items()):
        for column, message in found:
            problems.append(data_error(table.at(rows.lines[row], column), message))
        left_out.setdefault(raw_ids[row].strip(), table.at(rows.lines[row], found[0][0]))
    set_aside = frozenset(str(made["id"].at(k)) for k in skipped)
    if bad or skipped:
        keep = [k for k in range(rows.size) if k not in bad and k not in skipped]
        selected = Rows.of_positions(rows.size, keep)
        kept = {name: column.take(selected) for name, column in made.items()}
        lines: Sequence[int] = [rows.lines[k] for k in keep]
    else:
        kept, lines = made, rows.lines
    order = columns.sorted_order(kept["id"])
    if order is not None:
        kept = {name: columns.permuted(column, order) for name, column in kept.items()}
        at = order.to_pylist() if not isinstance(order, list) else order
        lines = [lines[k] for k in at]
    if not lines and not any(p.source.file == table.path for p in problems):
        problems.append(data_error(Source(table.path, 1), "no employees in the file"))
    return Roster(table.path, kept, lines, tuple(fields), left_out, set_aside)


def _employed_in(
    made: dict[str, Vector], period: Period, bad: dict[int, list[tuple[str, str]]]
) -> None:
    """A row of someone hired after the period, or gone before it."""
    for name, bound, word in (("hired_on", period.last_day, "after"),
                              ("left_on", period.first_day, "before")):  # fmt: skip
        column = made.get(name)
        if column is None:
            continue
        if isinstance(column, Arrow):
            pc = arrow.pc
            test = pc.greater if word == "after" else pc.less
            if not pc.any(test(column.data, arrow.pa.scalar(bound, arrow.pa.date32()))).as_py():
                continue
        for row, day in enumerate(column.values()):
            if day is None or not (day > bound if word == "after" else day < bound):
                continue
            bad.setdefault(row, []).append((name, f"{name} {day} is {word} {period}: not "
                "employed this period; leave the row out of this month's employees.csv (or "
                "correct the date)"))  # fmt: skip


def _left_before_hired(made: dict[str, Vector], bad: dict[int, list[tuple[str, str]]]) -> None:
    hired, left = made["hired_on"], made["left_on"]
    if isinstance(hired, Arrow) and isinstance(left, Arrow):
        pc = arrow.pc
        both = pc.and_(pc.is_valid(hired.data), pc.is_valid(left.data))
        if not pc.any(pc.and_(both, pc.less(left.data, hired.data))).as_py():
            return
    for row, (h, w) in enumerate(zip(hired.values(), left.values(), strict=True)):
        if h and w and w < h:
            bad.setdefault(row, []).append(("left_on", f"left_on {w} is before hired_on {h}"))


def _clashing_ids(ids: Vector, lines: Sequence[int], bad: dict[int, list[tuple[str, str]]]) -> None:
    """A duplicate id, or one that differs from an earlier one only by case or O/0, I/l/1."""
    if columns.distinct(ids) and columns.lookalikes_distinct(ids):
        return  # nearly always: no row to look at
    seen: dict[str, int] = {}
    alike: dict[str, tuple[str, int]] = {}
    for row, emp_id in enumerate(ids.values()):
        if emp_id is None:
            continue
        line = lines[row]
        clash = None
        if emp_id in seen:
            clash = f"duplicate employee id '{emp_id}' (first at line {seen[emp_id]})"
        else:
            key = columns.lookalike(emp_id)
            if key in alike:
                other, other_line = alike[key]
                clash = (
                    f"employee id '{emp_id}' looks like '{other}' (line {other_line}); "
                    "ids must differ by more than case or O/0, I/l/1"
                )
            seen[emp_id] = line
            alike[key] = (emp_id, line)
        if clash:
            bad.setdefault(row, []).append(("id", clash))
