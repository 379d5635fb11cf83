"""The columnar path for a large company's employees (``pip install innerpay[fast]``: pyarrow).

A large employees.csv is read column by column, checked over whole columns, and paid over whole
columns: every pay line is evaluated once per line, not once per employee.  Like the columnar
path for metric tables (:mod:`innerpay.columnar`), it gives exactly what the row path gives or
nothing: whatever it is not sure of sends the whole file (or the whole pay run) to the row path,
which then says what is wrong with file, row and column.

The exactness argument for pay, step by step:

- Names that depend only on the department (parameters, score, metrics, `step(bonus_table,
  score)`, ...) are evaluated by the row path's own closures once per department, and spread to
  the department's employees; a department whose value fails marks its employees' value as
  failing (a null), which fails the run only where the row path would have evaluated it.
- Employee amounts are decimal128 columns whose scale is at least the exponent of every
  Decimal the row path would hold; `+`, `-`, `*`, comparisons, `min`, `max`, `abs`, `round`
  and `step` are exact on them.  After each operation the largest magnitude is checked: while
  every coefficient fits in 28 digits, Decimal's context (28 digits) never rounds, so the row
  path's values are these values exactly.  Division, powers and `prorate` take the row path.
- A negative zero (which the row path would print as -0.00) takes the row path.
- Rounding to the cent uses the policy's mode, half away from zero or half to even, as
  ``Decimal.quantize`` does; a property test holds the two to it.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import os
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import columnar
from .columnar import Fallback
from .data import _FIELD_PARSERS, Employee, parse_date
from .errors import Source
from .formulas import PAY_FUNCTIONS, Evaluator, FormulaError, StepTable, to_closure
from .model import Policy
from .numbers import CONTEXT
from .periods import Period

if TYPE_CHECKING:
    from .evaluate import EmployeeResult

T = TypeVar("T")

#: Smaller files take the row path: importing pyarrow would cost more than it saves.
MIN_BYTES = 128 * 1024

MAX_DIGITS = 28  # Decimal's context: a coefficient of more digits would be rounded

_ID = r"^[A-Za-z0-9_.-]+$"
_RES = {
    "money": r"^-?[0-9]+(\.[0-9]{1,2})?$",
    "decimal": r"^-?[0-9]+(\.[0-9]+)?$",
    "integer": r"^-?[0-9]+$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
_ARROW_ROUNDING = {"half_up": "half_towards_infinity", "half_even": "half_to_even"}
FIXED = ("id", "name", "department", "role")


# --- reading employees.csv -----------------------------------------------------------------------


@dataclass
class Roster:
    """employees.csv read column by column, sorted by id, every cell as the row path types it."""

    path: str
    sha256: str
    policy: Policy
    columns: dict[str, Any]  # column → pa.Array of text (null: an empty cell), sorted by id
    order: Any  # each employee's row in the file (0: the line after the header); None: in order
    numbers: dict[str, tuple[Any, int]]  # number field → (decimal128 column, scale)

    def __len__(self) -> int:
        return len(self.columns["id"])

    def __contains__(self, emp_id: object) -> bool:
        try:
            return isinstance(emp_id, str) and self.index(emp_id) >= 0
        except KeyError:
            return False

    # Python lists, made when first asked for (a run over whole columns may never need them)
    @cached_property
    def ids(self) -> list[str]:
        """The ids, sorted."""
        return self.columns["id"].to_pylist()  # type: ignore[no-any-return]

    @cached_property
    def departments(self) -> list[str]:
        """Each employee's department, in id order."""
        return self.columns["department"].to_pylist()  # type: ignore[no-any-return]

    @cached_property
    def lines(self) -> list[int]:
        """Each employee's line in the file, in id order."""
        if self.order is None:
            return list(range(2, len(self) + 2))
        return [k + 2 for k in self.order.to_pylist()]

    def headcount(self) -> dict[str, int]:
        """Employees per department."""
        counts = columnar.pc.value_counts(self.columns["department"])
        return dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )

    def index(self, emp_id: str) -> int:
        """The position of an employee on the roster."""
        index = bisect_left(self.ids, emp_id)
        if index == len(self.ids) or self.ids[index] != emp_id:
            raise KeyError(emp_id)
        return index

    def department(self, emp_id: str) -> str:
        """The department of an employee on the roster."""
        return self.departments[self.index(emp_id)]


def read_roster(path: str, policy: Policy) -> Roster | None:
    """employees.csv over whole columns, or None: the row path reads it (and says what is
    wrong).  Only for a UTF-8 file of at least :data:`MIN_BYTES`."""
    return _in_bulk(path, lambda: _read_roster(path, policy))


def _in_bulk(path: str, read: Callable[[], T]) -> T | None:
    """What ``read`` makes of a file of :data:`MIN_BYTES` or more, pyarrow being there; None
    for a smaller file, or one that ``read`` steps aside from (the row path reads it)."""
    try:
        if os.path.getsize(path) < MIN_BYTES or not columnar.available():
            return None
    except OSError:
        return None
    try:
        return read()
    except (Fallback, columnar.pa.ArrowException, OSError, KeyError, UnicodeDecodeError):
        return None


def _read_roster(path: str, policy: Policy) -> Roster:
    pa, pc = columnar.pa, columnar.pc
    fields = policy.employee_fields
    with open(path, "rb") as handle:
        header = handle.readline().decode("utf-8-sig").rstrip("\r\n").split(",")
    dates = [name for name in ("hired_on", "left_on") if name in header]
    wanted = [*FIXED, *fields, *dates]
    if len(set(wanted)) != len(wanted):
        raise Fallback
    table, raw = _read_plain_csv(path, wanted)
    rows = table.num_rows
    ids = table["id"]
    checks = [
        pc.all(pc.match_substring_regex(ids, _ID)),
        pc.all(pc.invert(pc.match_substring_regex(ids, r"^\.+$"))),
        pc.all(pc.is_in(table["department"], pa.array(sorted(policy.departments)))),
    ]
    if any(table[name].null_count for name in FIXED) or not all(c.as_py() for c in checks):
        raise Fallback
    if len(pc.unique(ids)) != rows:
        raise Fallback  # a duplicate id: the row path says where
    lookalike = pc.utf8_lower(ids)
    for letter, digit in (("o", "0"), ("i", "1"), ("l", "1")):
        lookalike = pc.replace_substring(lookalike, letter, digit)
    if len(pc.unique(lookalike)) != rows:
        raise Fallback
    numbers: dict[str, tuple[Any, int]] = {}
    for name, kind in fields.items():
        column = table[name]
        if kind == "text":
            continue
        if column.null_count or not pc.all(pc.match_substring_regex(column, _RES[kind])).as_py():
            raise Fallback  # an empty or mistyped cell: the row path's error
        if kind == "date":
            _check_dates(column)
            continue
        scale = _text_scale(column)
        values = pc.cast(column, pa.decimal128(38, scale))
        if pc.any(pc.and_(pc.equal(values, pa.scalar(0, values.type)),
                          pc.starts_with(column, "-"))).as_py():  # fmt: skip
            raise Fallback  # a negative zero
        numbers[name] = (values, scale)
    for name in dates:
        _check_dates(table[name])
    if len(dates) == 2:
        both = pc.and_(pc.is_valid(table["hired_on"]), pc.is_valid(table["left_on"]))
        if pc.any(pc.and_(both, pc.less(table["left_on"], table["hired_on"]))).as_py():
            raise Fallback  # left before hired: the row path's error
    columns = {name: table[name].combine_chunks() for name in wanted}
    order = None  # the file's own order
    ids = columns["id"]
    if rows > 1 and not pc.all(pc.less(ids[:-1], ids[1:])).as_py():  # most files come sorted
        order = pc.sort_indices(ids)
        columns = {name: pc.take(column, order) for name, column in columns.items()}
        numbers = {name: (pc.take(v, order), s) for name, (v, s) in numbers.items()}
    numbers = {name: (_whole(v), s) for name, (v, s) in numbers.items()}
    return Roster(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        policy=policy,
        columns=columns,
        order=order,
        numbers=numbers,
    )


def _whole(column: Any) -> Any:
    """One array of a column (pyarrow reads a file in several)."""
    combine = getattr(column, "combine_chunks", None)
    return combine() if combine is not None else column


def _check_dates(column: Any) -> None:
    pc = columnar.pc
    present = pc.unique(pc.drop_null(column))
    if len(present) and not pc.all(pc.match_substring_regex(present, _RES["date"])).as_py():
        raise Fallback
    for text in present.to_pylist():
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise Fallback from None


def _text_scale(column: Any) -> int:
    """The most decimals any cell of a column of plain numbers is written with."""
    pc = columnar.pc
    dot = pc.find_substring(column, ".")
    places = pc.if_else(
        pc.less(dot, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(column), dot), 1)
    )
    scale = int(pc.max(places).as_py())
    if scale > 18 or int(pc.max(pc.utf8_length(column)).as_py()) > 36:
        raise Fallback
    return scale


class LazyEmployees(Sequence[Employee]):
    """The employees of a roster as :class:`~innerpay.data.Employee` objects, each made (by the
    row path's parsers) only when asked for: a bulk run never needs most of them."""

    def __init__(self, roster: Roster):
        self.roster = roster
        self._made: dict[int, Employee] = {}
        self._texts: dict[str, list[Any]] | None = None

    def __len__(self) -> int:
        return len(self.roster.ids)

    @overload
    def __getitem__(self, index: int) -> Employee: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Employee]: ...

    def __getitem__(self, index: int | slice) -> Employee | Sequence[Employee]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        found = self._made.get(index)
        if found is None:
            found = self._made[index] = self._make(index)
        return found

    def __iter__(self) -> Iterator[Employee]:
        for index in range(len(self)):
            yield self[index]

    def passing(self, index: int) -> Employee:
        """The employee at ``index``, made for the asking and not kept (unless it was)."""
        return self._made.get(index) or self._make(index)

    def find(self, emp_id: str) -> Employee | None:
        """The employee with this id, if any."""
        index = bisect_left(self.roster.ids, emp_id)
        if index < len(self) and self.roster.ids[index] == emp_id:
            return self[index]
        return None

    def _make(self, index: int) -> Employee:
        roster = self.roster
        if self._texts is None:  # every column as Python text, once: cheaper than cell by cell
            self._texts = {name: column.to_pylist() for name, column in roster.columns.items()}
        cells = {name: texts[index] for name, texts in self._texts.items()}
        values = {}
        for name, kind in roster.policy.employee_fields.items():
            text = cells[name]
            parse: Callable[[str], Any] = _FIELD_PARSERS[kind]  # type: ignore[assignment]
            values[name] = None if text is None else parse(text)
        hired, left = cells.get("hired_on"), cells.get("left_on")
        return Employee(
            id=cells["id"],
            name=cells["name"],
            department=cells["department"],
            role=cells["role"],
            fields=values,
            hired_on=parse_date(hired) if hired else None,
            left_on=parse_date(left) if left else None,
            source=Source(roster.path, roster.lines[index]),
        )


# --- ballots.csv ---------------------------------------------------------------------------------


@dataclass
class BallotTable:
    """ballots.csv read column by column: candidate, voter and vote of each ballot, in file order
    (the ballot on line k + 2 at position k)."""

    path: str
    sha256: str
    candidate: Any
    voter: Any
    vote: Any


def read_ballots(path: str) -> BallotTable | None:
    """ballots.csv over whole columns, or None: the row path reads it.  Every cell must be
    present and without surrounding spaces (the row path strips them, and says which are empty)."""
    return _in_bulk(path, lambda: _read_ballots(path))


def _read_plain_csv(path: str, wanted: list[str]) -> tuple[Any, bytes]:
    """A UTF-8 CSV file as columns of text (null: an empty cell), one row per line after the
    header; Fallback for a file the row path must read."""
    pa, pacsv = columnar.pa, columnar.pacsv
    with open(path, "rb") as handle:
        raw = handle.read()
    header = raw.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r").split(",")
    if len(set(header)) != len(header) or any(h != h.strip() or '"' in h for h in header):
        raise Fallback  # duplicate or quoted names: the row path's messages
    if any(name not in header for name in wanted):
        raise Fallback
    table = pacsv.read_csv(
        pa.BufferReader(raw),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    if table.num_rows == 0 or raw.rstrip(b"\r\n").count(b"\n") != table.num_rows:
        raise Fallback  # a blank line or a cell across lines: line numbers need the row path
    return table, raw


def _read_ballots(path: str) -> BallotTable:
    pc = columnar.pc
    table, raw = _read_plain_csv(path, ["candidate", "voter", "vote"])
    columns = [table[name].combine_chunks() for name in ("candidate", "voter", "vote")]
    for column in columns:
        if (
            column.null_count
            or pc.any(pc.match_substring_regex(column, r"^[^!-~]|[^!-~]$")).as_py()
        ):
            raise Fallback  # an empty cell, or spaces the row path would strip
    return BallotTable(path, hashlib.sha256(raw).hexdigest(), *columns)


@dataclass(frozen=True)
class BallotCount:
    """The ballots counted: per candidate [yes, valid] by electorate, the void ones in file order
    as (where, candidate, reason), and how many were valid."""

    tallies: dict[str, dict[str, list[int]]]
    void: list[tuple[Source, str, str]]
    valid: int


def count_ballots(
    ballots: BallotTable,
    roster: Roster,
    candidates: Mapping[str, str],
    customers: Mapping[str, Sequence[str]],
) -> BallotCount:
    """The election rules of :func:`innerpay.evaluate.elect` over whole columns.

    ``candidates`` maps each candidate to their department, ``customers`` each department to its
    customer departments.  The reasons are checked in the same order: invalid vote, unknown voter,
    self-vote, outside both electorates, double vote.
    """
    pa, pc = columnar.pa, columnar.pc
    departments = sorted(set(roster.headcount()) | set(candidates.values()))
    place = {d: k for k, d in enumerate(departments)}
    width = len(departments)
    staff = pc.cast(
        pc.index_in(roster.columns["department"], value_set=pa.array(departments, pa.string())),
        pa.int64(),
    )
    voter_at = pc.index_in(ballots.voter, value_set=roster.columns["id"])
    voter_dept = pc.take(staff, voter_at)
    standing = sorted(candidates)
    candidate_index = pc.index_in(ballots.candidate, value_set=pa.array(standing, pa.string()))
    own_dept = pc.take(
        pa.array([place[candidates[c]] for c in standing], pa.int64()), candidate_index
    )
    pairs = pa.array(
        sorted({place[candidates[c]] * width + place[d]
                for c in standing for d in customers[candidates[c]] if d in place}),
        pa.int64(),
    )  # fmt: skip
    in_customer = pc.fill_null(
        pc.is_in(pc.add(pc.multiply(own_dept, width), voter_dept), value_set=pairs), False
    )
    in_own = pc.fill_null(pc.equal(voter_dept, own_dept), False)
    # (candidate, voter) as one number; an unknown voter's ballot is void before it counts
    key = pc.add(
        pc.multiply(pc.cast(candidate_index, pa.int64()), len(roster) + 1),
        pc.fill_null(pc.cast(voter_at, pa.int64()), len(roster)),
    )
    repeated = _repeated(key)
    reasons = [
        ("invalid_vote", pc.invert(pc.is_in(ballots.vote, value_set=pa.array(["yes", "no"])))),
        ("unknown_voter", pc.is_null(voter_dept)),
        ("self_vote", pc.equal(ballots.voter, ballots.candidate)),
        ("outside_electorate", pc.invert(pc.or_(in_customer, in_own))),
        ("double_vote", pc.is_in(key, value_set=repeated)),
    ]
    void_mask = reasons[0][1]
    for _, mask in reasons[1:]:
        void_mask = pc.or_(void_mask, mask)
    valid = pc.invert(void_mask)
    yes = pc.equal(ballots.vote, "yes")
    tallies = {c: {"customer": [0, 0], "own": [0, 0]} for c in candidates}
    for electorate, members in (("customer", in_customer), ("own", pc.invert(in_customer))):
        here = pc.and_(valid, members)
        for slot, mask in ((1, here), (0, pc.and_(here, yes))):
            counts = pc.value_counts(pc.filter(candidate_index, mask))
            for k, n in zip(
                counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
            ):
                tallies[standing[k]][electorate][slot] = n
    void_at = pc.indices_nonzero(void_mask)
    flags = [pc.take(mask, void_at).to_pylist() for _, mask in reasons]
    names = pc.take(ballots.candidate, void_at).to_pylist()
    void = []
    for k, (at, name) in enumerate(zip(void_at.to_pylist(), names, strict=True)):
        reason = next(r for (r, _), flag in zip(reasons, flags, strict=True) if flag[k])
        void.append((Source(ballots.path, at + 2), name, reason))
    return BallotCount(tallies, void, int(pc.sum(valid).as_py() or 0))


def _repeated(key: Any) -> Any:
    """The values that occur more than once in an int64 column (sorted neighbours)."""
    pa, pc = columnar.pa, columnar.pc
    if len(key) < 2:
        return pa.array([], pa.int64())
    ordered = pc.take(key, pc.sort_indices(key))
    same = pc.equal(ordered[1:], ordered[:-1])
    return pc.unique(pc.filter(ordered[1:], same))


# --- paying over whole columns -------------------------------------------------------------------


@dataclass
class _Value:
    """A formula's value for every employee: kind, a pa.Array or pa.Scalar, the scale of a number.

    A null is a value the row path could not give (evaluating it raises there).
    """

    kind: str  # "number" | "bool" | "text"
    data: Any
    scale: int = 0


@dataclass(frozen=True)
class PayColumns:
    """Every employee's pay over whole columns, sorted by id; money in decimal128 of scale 2."""

    roster: Roster
    employed_days: Any  # int64
    lines: dict[str, Any]  # line id → amounts
    gross: Any
    deductions: Any
    net: Any
    special: frozenset[str]  # employees with adjustments or arrears: the row path renders them
    deferred: tuple[str, ...]  # employees the row path pays (their amounts here are null)


def pay_columns(
    policy: Policy,
    period: Period,
    roster: Roster,
    envs: Mapping[str, Mapping[str, Any]],
    extras: Mapping[str, Sequence[tuple[str, Decimal]]],
) -> PayColumns | None:
    """Every pay line of every employee, or None: the row path pays them (and says what fails).

    ``envs`` holds each department's names (as for the row path); ``extras`` each employee's
    adjustments and arrears as (kind, amount).
    """
    try:
        return _Payroll(policy, period, roster, envs).pay(extras)
    except (Fallback, columnar.pa.ArrowException, FormulaError, ArithmeticError):
        return None


class _Payroll:
    """The checked formula trees of the pay lines evaluated over whole columns, or Fallback."""

    def __init__(
        self, policy: Policy, period: Period, roster: Roster, envs: Mapping[str, Mapping[str, Any]]
    ):
        pa, pc = columnar.pa, columnar.pc
        self.policy, self.period, self.roster = policy, period, roster
        self.dept_ids = sorted(envs)
        self.dept_envs = [envs[d] for d in self.dept_ids]
        self.dept_index = pc.index_in(
            roster.columns["department"], value_set=pa.array(self.dept_ids, pa.string())
        )
        self.evaluator = Evaluator(policy.rounding)
        self.env_names = set(envs[self.dept_ids[0]]) if self.dept_ids else set()
        self.names: dict[str, _Value] = {}
        for name in FIXED:
            self.names[name] = _Value("text", roster.columns[name])
        for name, kind in policy.employee_fields.items():
            if name in roster.numbers:
                values, scale = roster.numbers[name]
                self.names[name] = self.fit(_Value("number", values, scale))
            elif kind == "text" and not roster.columns[name].null_count:
                self.names[name] = _Value("text", roster.columns[name])
        self.days = self._employed_days()
        self.names["employed_days"] = _Value("number", pc.cast(self.days, pa.decimal128(19, 0)))
        self.employee_names = set(policy.employee_fields) | set(FIXED) | {
            "employed_days", "hired_on", "left_on",
        }  # fmt: skip

    def _employed_days(self) -> Any:
        """Calendar days employed in the period, both ends included (as the row path's
        :func:`~innerpay.evaluate.employed_days`), over the columns of validated ISO dates."""
        pa, pc = columnar.pa, columnar.pc
        first = pa.scalar(self.period.first_day, pa.date32())
        last = pa.scalar(self.period.last_day, pa.date32())
        start, end = first, last
        if "hired_on" in self.roster.columns:
            hired = pc.cast(self.roster.columns["hired_on"], pa.date32())
            start = pc.max_element_wise(pc.fill_null(hired, first), first)
        if "left_on" in self.roster.columns:
            left = pc.cast(self.roster.columns["left_on"], pa.date32())
            end = pc.min_element_wise(pc.fill_null(left, last), last)
        days = pc.add(pc.days_between(start, end), 1)
        if not isinstance(days, pa.Array):  # neither column: every employee the whole month
            return pa.repeat(pa.scalar(self.period.days, pa.int64()), len(self.roster))
        return pc.max_element_wise(days, pa.scalar(0, pa.int64()))

    # -- the lines --

    def pay(self, extras: Mapping[str, Sequence[tuple[str, Decimal]]]) -> PayColumns:
        pa, pc = columnar.pa, columnar.pc
        rounded: dict[str, Any] = {}
        for line in self.policy.evaluation_order:
            value = self.value(line.formula.tree)
            if value.kind != "number":
                raise Fallback  # the row path's error: the formula gives no amount
            amount = value.data
            if line.when is not None:
                applies = self.truth(self.value(line.when.tree))
                amount = pc.if_else(applies, amount, pa.scalar(Decimal(0), amount.type))
            if not isinstance(amount, pa.Array):
                amount = pa.repeat(amount, len(self.roster))
            cents = self.round(_Value("number", amount, value.scale), 2)
            rounded[line.id] = cents.data
            self.names[line.id] = cents
        earnings = [rounded[x.id] for x in self.policy.lines if x.kind == "earning"]
        deductions = [rounded[x.id] for x in self.policy.lines if x.kind == "deduction"]
        gross = self._sum(earnings)
        total_deductions = self._sum(deductions)
        special = frozenset(emp_id for emp_id, items in extras.items() if items)
        if special:
            gross, total_deductions = self._with_extras(gross, total_deductions, extras)
        net = self.fit(_Value("number", pc.subtract(gross, total_deductions), 2)).data
        paid = pc.is_valid(net)  # the others are the row path's, every amount of theirs
        deferred = pc.indices_nonzero(pc.invert(paid)).to_pylist()
        if deferred:
            lines = {k: pc.if_else(paid, v, pa.scalar(None, v.type)) for k, v in rounded.items()}
            rounded.update(lines)
            gross = pc.if_else(paid, gross, pa.scalar(None, gross.type))
            total_deductions = pc.if_else(paid, total_deductions, pa.scalar(None, net.type))
        return PayColumns(
            roster=self.roster,
            employed_days=self.days,
            lines={line.id: rounded[line.id] for line in self.policy.lines},
            gross=gross,
            deductions=total_deductions,
            net=net,
            special=special,
            deferred=tuple(self.roster.ids[k] for k in deferred),
        )

    def _sum(self, columns: list[Any]) -> Any:
        pa, pc = columnar.pa, columnar.pc
        total = pa.repeat(pa.scalar(Decimal("0.00"), pa.decimal128(2, 2)), len(self.roster))
        for column in columns:
            total = self.fit(_Value("number", pc.add(total, column), 2)).data
        return total

    def _with_extras(
        self, gross: Any, deductions: Any, extras: Mapping[str, Sequence[tuple[str, Decimal]]]
    ) -> tuple[Any, Any]:
        pa, pc = columnar.pa, columnar.pc
        money = pa.decimal128(MAX_DIGITS, 2)
        sums: dict[int, list[Decimal]] = {}  # roster position → [earnings, deductions]
        for emp_id, items in extras.items():
            at = sums.setdefault(self.roster.index(emp_id), [Decimal(0), Decimal(0)])
            for kind, amount in items:
                at[0 if kind == "earning" else 1] += amount
        where = sorted(sums)
        mask = pc.is_in(
            pa.array(range(len(self.roster)), pa.int64()), value_set=pa.array(where, pa.int64())
        )
        zeros = pa.repeat(pa.scalar(Decimal(0), money), len(self.roster))
        earn, deduct = (
            pc.replace_with_mask(zeros, mask, pa.array([sums[k][part] for k in where], money))
            for part in (0, 1)
        )
        gross = self.fit(_Value("number", pc.add(gross, earn), 2)).data
        deductions = self.fit(_Value("number", pc.add(deductions, deduct), 2))
        return gross, deductions.data

    # -- values --

    def value(self, node: ast.expr) -> _Value:
        if self._departmental(node):
            return self.per_department(node)
        if isinstance(node, ast.Name):
            found = self.names.get(node.id)
            if found is None:
                raise Fallback  # a date, a text with empty cells, or a name the row path lacks
            return found
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            return self.arithmetic(node.op, self.number(node.left), self.number(node.right))
        if isinstance(node, ast.UnaryOp):
            operand = self.value(node.operand)
            if isinstance(node.op, ast.Not):
                return _Value("bool", columnar.pc.invert(self.truth(operand)))
            number = self._require_number(operand)
            if isinstance(node.op, ast.USub):
                return _Value("number", columnar.pc.negate(number.data), number.scale)
            return number
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            return self.boolean(node)
        if isinstance(node, ast.IfExp):
            test = self.truth(self.value(node.test))
            body, orelse = self.value(node.body), self.value(node.orelse)
            body, orelse = self.alike(body, orelse)
            chosen = _Value(
                body.kind, columnar.pc.if_else(test, body.data, orelse.data), body.scale
            )
            return self.fit(chosen) if chosen.kind == "number" else chosen
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self.call(node.func.id, node.args)
        raise Fallback  # division, powers, prorate: the row path

    def _departmental(self, node: ast.expr) -> bool:
        """Whether ``node`` reads only names every employee of a department shares."""
        functions = {id(sub.func) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and id(sub) not in functions:
                if sub.id in self.employee_names or sub.id in self.policy.lines_by_id:
                    return False
                if sub.id not in self.env_names:
                    return False
            if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) == "prorate":
                return False  # reads the employee's days
        return True

    def per_department(self, node: ast.expr) -> _Value:
        """A department-only expression, evaluated by the row path once per department."""
        pa, pc = columnar.pa, columnar.pc
        closure = to_closure(node, self.evaluator)
        values: list[Any] = []
        constant = not any(
            isinstance(sub, ast.Name) and sub.id not in PAY_FUNCTIONS for sub in ast.walk(node)
        )
        for env in self.dept_envs[:1] if constant else self.dept_envs:
            try:
                with _context():
                    values.append(self.evaluator.guarded(closure, env))
            except FormulaError:
                values.append(None)  # fails for this department's employees, where evaluated
        present = [v for v in values if v is not None]
        if not present:
            raise Fallback
        kinds = {type(v) for v in present}
        if len(kinds) != 1:
            raise Fallback
        kind = kinds.pop()
        if kind is Decimal:
            for v in present:
                if not v.is_finite() or (v.is_zero() and v.is_signed()):
                    raise Fallback
            scale = max(max(-int(v.as_tuple().exponent), 0) for v in present)
            if scale > MAX_DIGITS:
                raise Fallback
            per_dept = pa.array(values, pa.decimal128(38, scale))
            result = _Value("number", per_dept, scale)
        elif kind is bool:
            result = _Value("bool", pa.array(values, pa.bool_()))
        elif kind is str:
            result = _Value("text", pa.array(values, pa.string()))
        else:
            raise Fallback  # a step table or a date as a value: the row path
        if len(set(map(repr, values))) == 1 and values[0] is not None:
            result.data = result.data[0]  # the same everywhere: a scalar
            if result.kind == "number":
                return self.fit(result)
            return result
        result.data = pc.take(result.data, self.dept_index)
        return self.fit(result) if result.kind == "number" else result

    def number(self, node: ast.expr) -> _Value:
        return self._require_number(self.value(node))

    @staticmethod
    def _require_number(value: _Value) -> _Value:
        if value.kind != "number":
            raise Fallback  # the row path's error: arithmetic on a condition or a text
        return value

    def arithmetic(self, op: ast.operator, left: _Value, right: _Value) -> _Value:
        pc = columnar.pc
        if isinstance(op, ast.Mult):
            result = _Value("number", pc.multiply(left.data, right.data), left.scale + right.scale)
            zero = pc.equal(result.data, _zero(result.data))
            negative = pc.or_(pc.less(left.data, _zero(left.data)),
                              pc.less(right.data, _zero(right.data)))  # fmt: skip
            if _any(pc.and_(zero, negative)):
                raise Fallback  # 0 × a negative is -0 for Decimal
        else:
            function = pc.add if isinstance(op, ast.Add) else pc.subtract
            result = _Value("number", function(left.data, right.data), max(left.scale, right.scale))
        return self.fit(result)

    def fit(self, value: _Value) -> _Value:
        """The value in the fewest digits that hold it; Fallback where Decimal would round."""
        pa, pc = columnar.pa, columnar.pc
        data = value.data
        largest = pc.max(pc.abs(data)).as_py() if isinstance(data, pa.Array) else data.as_py()
        if largest is None:
            return value  # every value fails; the row path will say why, if it is evaluated
        largest = abs(largest)
        whole = largest.adjusted() + 1 if largest else 0  # digits before the point
        digits = max(whole + value.scale, value.scale + 1)
        if digits > MAX_DIGITS:
            raise Fallback  # Decimal's 28 digits would round this: the row path's value
        data = pc.cast(data, pa.decimal128(digits, value.scale))
        return _Value("number", data, value.scale)

    def round(self, value: _Value, places: int) -> _Value:
        pa, pc = columnar.pa, columnar.pc
        mode = _ARROW_ROUNDING[self.evaluator.rounding]
        data = pc.round(value.data, ndigits=places, round_mode=mode)
        wider = pc.cast(data, pa.decimal128(min(38, data.type.precision + places + 1), places))
        if _any(pc.and_(pc.equal(wider, _zero(wider)), pc.less(value.data, _zero(value.data)))):
            raise Fallback  # a negative amount rounded to -0.00
        return self.fit(_Value("number", wider, places))

    def truth(self, value: _Value) -> Any:
        """Python's truth of each value (a null stays null)."""
        pa, pc = columnar.pa, columnar.pc
        if value.kind == "bool":
            result = value.data
        elif value.kind == "number":
            result = pc.not_equal(value.data, _zero(value.data))
        else:
            result = pc.greater(pc.utf8_length(value.data), 0)
        if not isinstance(result, pa.Array):
            result = pa.array([result.as_py()] * len(self.roster), pa.bool_())
        return result

    def alike(self, left: _Value, right: _Value) -> tuple[_Value, _Value]:
        """Two values of one kind, numbers at one scale (Fallback for two kinds)."""
        pa, pc = columnar.pa, columnar.pc
        if left.kind != right.kind:
            raise Fallback
        if left.kind != "number":
            return left, right
        scale = max(left.scale, right.scale)
        digits = 38

        def widen(value: _Value) -> _Value:
            return _Value("number", pc.cast(value.data, pa.decimal128(digits, scale)), scale)

        return widen(left), widen(right)

    def compare(self, node: ast.Compare) -> _Value:
        pc = columnar.pc
        functions = {
            ast.Eq: pc.equal, ast.NotEq: pc.not_equal, ast.Lt: pc.less,
            ast.LtE: pc.less_equal, ast.Gt: pc.greater, ast.GtE: pc.greater_equal,
        }  # fmt: skip
        left = self.value(node.left)
        result: Any = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.value(comparator)
            if left.kind != "number" and not isinstance(op, (ast.Eq, ast.NotEq)):
                raise Fallback  # the row path's error: only == and != apply to these
            a, b = self.alike(left, right)
            step = functions[type(op)](a.data, b.data)
            result = step if result is None else pc.if_else(result, step, False)
            left = right
        return _Value("bool", result)

    def boolean(self, node: ast.BoolOp) -> _Value:
        pc = columnar.pc
        values = [self.value(v) for v in node.values]
        if any(v.kind != "bool" for v in values):
            raise Fallback  # `and`/`or` giving a number or a text: the row path
        result = values[0].data
        for other in values[1:]:
            if isinstance(node.op, ast.And):
                result = pc.if_else(result, other.data, False)
            else:
                result = pc.if_else(result, True, other.data)
        return _Value("bool", result)

    def call(self, name: str, args: list[ast.expr]) -> _Value:
        pc = columnar.pc
        if name in ("min", "max"):
            values = [self.number(a) for a in args]
            function = pc.min_element_wise if name == "min" else pc.max_element_wise
            result = values[0]
            for other in values[1:]:
                a, b = self.alike(result, other)
                result = _Value("number", function(a.data, b.data, skip_nulls=False), a.scale)
            return self.fit(result)
        if name == "abs":
            value = self.number(args[0])
            return _Value("number", pc.abs(value.data), value.scale)
        if name == "round":
            places = args[1]
            assert isinstance(places, ast.Constant)  # checked when the formula was compiled
            return self.round(self.number(args[0]), int(str(places.value)))
        if name == "step":
            return self.step(args[0], self.number(args[1]))
        if name == "prorate":
            # x × days ÷ period days: exactly x for a whole month; the row path divides the rest
            value = self.number(args[0])
            whole = pc.equal(self.days, self.period.days)
            nothing = columnar.pa.scalar(None, value.data.type)
            return _Value("number", pc.if_else(whole, value.data, nothing), value.scale)
        raise Fallback

    def step(self, table_node: ast.expr, x: _Value) -> _Value:
        pa, pc = columnar.pa, columnar.pc
        table = self.policy.parameters.get(getattr(table_node, "id", ""))
        if not isinstance(table, StepTable) or getattr(table_node, "id", "") in self.names:
            raise Fallback
        scale = max(
            max(-t.as_tuple().exponent, 0)  # type: ignore[operator]
            for row in table.rows
            for t in row
        )
        if scale > 18:
            raise Fallback
        money = pa.decimal128(MAX_DIGITS + 1, max(scale, x.scale))
        at = pc.cast(x.data, money)
        result = pa.nulls(len(self.roster), pa.decimal128(MAX_DIGITS, scale))
        for threshold, value in table.rows:  # ascending: the last row reached applies
            reached = pc.greater_equal(at, pa.scalar(threshold, money))
            result = pc.if_else(reached, pa.scalar(value, result.type), result)
        return self.fit(_Value("number", result, scale))


def _zero(data: Any) -> Any:
    return columnar.pa.scalar(Decimal(0), data.type)


def _any(mask: Any) -> bool:
    if isinstance(mask, columnar.pa.Scalar):
        return bool(mask.as_py())
    return bool(columnar.pc.any(mask).as_py())


def _context() -> Any:
    import decimal

    return decimal.localcontext(CONTEXT)


# --- the results, over columns or one by one -----------------------------------------------------


class EmployeeResults(Mapping[str, "EmployeeResult"]):
    """Every employee's slip: over whole columns for the outputs that take them (payroll.csv,
    results.json, the totals), one by one through the row path for everything else (a slip, an
    explanation, a diff), so that those see exactly what a row-path run gives."""

    def __init__(
        self,
        columns: PayColumns,
        employees: LazyEmployees,
        pay: Callable[[Employee], EmployeeResult],
        deferred: Mapping[str, EmployeeResult],
    ):
        self.columns = columns
        self.employees = employees
        self._pay = pay
        self.texts: dict[str, Any] = {}  # what the outputs make once for both (innerpay.render)
        self.deferred = deferred  # paid by the row path during the run
        self._made: dict[str, EmployeeResult] = {}

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        """Σ gross, Σ deductions, Σ net."""
        pc = columnar.pc
        sums = [
            pc.sum(column).as_py() or Decimal("0.00")
            for column in (self.columns.gross, self.columns.deductions, self.columns.net)
        ]
        for e in self.deferred.values():
            sums[0] += e.gross
            sums[1] += e.deductions
            sums[2] += e.net
        return sums[0], sums[1], sums[2]

    def __len__(self) -> int:
        return len(self.columns.roster.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.columns.roster.ids)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.employees.find(key) is not None

    def __getitem__(self, key: str) -> EmployeeResult:
        found = self.deferred.get(key) or self._made.get(key)
        if found is not None:
            return found
        employee = self.employees.find(key)
        if employee is None:
            raise KeyError(key)
        found = self._made[key] = self._pay(employee)  # kept: diff and ledger ask again
        return found

    def values(self) -> ValuesView[EmployeeResult]:
        """Every employee's slip in id order, each made for the asking and not kept: a run
        renders 100,000 slips once each, and keeping them would fill the memory and make every
        round of the garbage collector longer (a quarter of a slip's cost)."""
        return _Passing(self)


class _Passing(ValuesView["EmployeeResult"]):
    _mapping: EmployeeResults

    def __iter__(self) -> Iterator[EmployeeResult]:
        results = self._mapping
        for index, key in enumerate(results.columns.roster.ids):
            found = results.deferred.get(key) or results._made.get(key)
            yield found if found is not None else results._pay(results.employees.passing(index))


__all__ = [
    "BallotCount",
    "BallotTable",
    "EmployeeResults",
    "LazyEmployees",
    "PayColumns",
    "Roster",
    "count_ballots",
    "pay_columns",
    "read_ballots",
    "read_roster",
]
