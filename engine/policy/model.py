"""The policy model: frozen dataclasses built from a schema-valid document.

Third step of the pipeline.  :func:`build_policy` turns the plain values of a
:class:`~innerpay.policy.yamlread.YamlDoc` into a :class:`Policy`, compiling every formula once (a
formula that does not parse is a diagnostic at its own line and column).  Meaning is checked
afterwards, in :mod:`innerpay.policy.checks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from ..errors import Diagnostic, Severity, Source, error
from ..formulas import PAY_FUNCTIONS, ROW_FUNCTIONS, Formula, StepTable, compile_formula
from ..formulas.evaluator import Node, compile_node
from ..formulas.parse import BandTable
from ..numbers import Rounding
from ..periods import Period
from .yamlread import Path, YamlDoc


class LineKind(StrEnum):
    """Which total a pay line (or an adjustment, or an arrear) counts in."""

    EARNING = "earning"
    DEDUCTION = "deduction"
    VALUE = "value"  # a pay line only: computed and shown, not paid

    @property
    def paid(self) -> bool:
        """Whether the amount counts in gross or deductions."""
        return self is not LineKind.VALUE

    def signed(self, amount: Decimal) -> Decimal:
        """An amount of this kind as it changes net pay (a deduction negative)."""
        return amount if self is LineKind.EARNING else -amount


class FieldKind(StrEnum):
    """The type of a column of employees.csv that formulas use (`employee_fields`)."""

    MONEY = "money"
    DECIMAL = "decimal"
    INTEGER = "integer"
    DATE = "date"
    TEXT = "text"


@dataclass(frozen=True)
class Customer:
    """A customer of a department: internal (appraises a metric) or external (appraises nothing)."""

    source: Source
    department: str | None = None
    metric: str | None = None
    target: Decimal | None = None
    weight: Decimal | None = None
    external: str | None = None

    @property
    def internal(self) -> bool:
        """True for a customer department inside the company."""
        return self.external is None


@dataclass(frozen=True)
class Department:
    """A department and the customers that appraise it."""

    id: str
    name: str
    customers: tuple[Customer, ...]
    source: Source

    @cached_property
    def internal_customers(self) -> tuple[Customer, ...]:
        """The customers that appraise a metric (externals appraise nothing)."""
        return tuple(c for c in self.customers if c.internal)

    @cached_property
    def appraised_metrics(self) -> tuple[str, ...]:
        """The metrics computed for this department, in the order its customers name them."""
        seen: dict[str, None] = {}
        for customer in self.internal_customers:
            assert customer.metric is not None
            seen.setdefault(customer.metric, None)
        return tuple(seen)

    @cached_property
    def customer_departments(self) -> tuple[str, ...]:
        """The internal customer departments, each once, sorted."""
        return tuple(sorted({c.department for c in self.internal_customers if c.department}))


@dataclass(frozen=True)
class Metric:
    """A rate that a customer appraises, computed over one table for each appraised department."""

    id: str
    label: str
    table: str
    success: Formula
    weight: Formula | None
    when_empty: Decimal | None
    source: Source


@dataclass(frozen=True)
class NotePart:
    """A piece of a note: text as written, or a formula (``{score}``) shown in a style: ``%``
    (a percentage), ``money`` (grouped to the cent), or as its value is (``""``)."""

    text: str
    formula: Formula | None = None
    style: str = ""


NOTE_STYLES = ("%", "money")


@dataclass(frozen=True)
class Note:
    """The sentence a slip shows under a pay line, in Chinese and in English (either may be
    empty: a note written as one text is ``zh``)."""

    zh: tuple[NotePart, ...]
    en: tuple[NotePart, ...] = ()

    @property
    def formulas(self) -> tuple[Formula, ...]:
        return tuple(p.formula for p in (*self.zh, *self.en) if p.formula is not None)


@dataclass(frozen=True)
class Company:
    """Who pays and when: the slip's heading and pay date."""

    name: str
    pay_day: int | None = None  # the day of the month pay is paid (clamped to the month's end)
    pay_month: str = "next"  # the month it is paid in: "next" (May's pay in June) or "same"

    def pay_date(self, period: Period) -> dt.date | None:
        """The day ``period``'s pay is paid, or None where the policy does not say."""
        if self.pay_day is None:
            return None
        month = period.next() if self.pay_month == "next" else period
        return month.first_day.replace(day=min(self.pay_day, month.days))


@dataclass(frozen=True)
class PayLine:
    """One line of the slip."""

    id: str
    label: str
    kind: LineKind
    formula: Formula
    when: Formula | None
    source: Source
    rounding: Rounding | None = None  # its own rounding mode (None: the policy's)
    places: int = 2  # rounded to 10^-places: 2 is the cent, 0 the whole yuan
    settled: bool = False  # final once paid: a closed month is never revalued on it
    note: Note | None = None  # the sentence under the line on a slip

    @property
    def formulas(self) -> tuple[Formula, ...]:
        """The line's formulas: its amount, and its condition if it has one."""
        return (self.formula,) if self.when is None else (self.formula, self.when)


@dataclass(frozen=True)
class RecordSum:
    """A name a record table gives each employee: Σ ``sum`` (or the rows counted where
    ``count`` is true) over the employee's rows where ``when`` is true."""

    name: str
    table: str
    sum: Formula | None
    count: Formula | None
    when: Formula | None
    source: Source

    @property
    def formulas(self) -> tuple[Formula, ...]:
        """The formulas it evaluates on each row."""
        return tuple(f for f in (self.when, self.sum, self.count) if f is not None)


@dataclass(frozen=True)
class RecordTable:
    """A table of records per employee (attendance, piece-work output)."""

    name: str
    employee: str  # the column naming the employee
    optional: bool  # a month without the file has no records
    sums: tuple[RecordSum, ...]
    source: Source

    @cached_property
    def columns(self) -> list[str]:
        """The columns its formulas read, sorted."""
        return sorted({n for s in self.sums for f in s.formulas for n in f.name_set})


@dataclass(frozen=True)
class Check:
    """A condition checked for every employee once pay is computed (true: the check fails)."""

    id: str
    when: Formula
    message: str
    severity: Severity  # a warning is shown; an error stops the run
    source: Source


@dataclass(frozen=True)
class DataFile:
    """A period file laid out another way than innerpay's (`files:`): its columns' own names
    (``工号`` for ``id``) and, for a workbook, the sheet to read."""

    columns: Mapping[str, str] = field(default_factory=dict)  # the file's name → innerpay's
    sheet: str | None = None
    trim: bool = False  # a role or text field compared without the spaces at its ends

    def named(self, header: list[str]) -> list[str]:
        """A header with each column as innerpay names it."""
        return [self.columns.get(name, name) for name in header]


@dataclass(frozen=True)
class Approvers:
    """Who may approve an adjustment (`adjustment_approvers`): employees of these roles, or
    these people."""

    roles: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def __str__(self) -> str:
        said = [f"the roles {', '.join(self.roles)}"] if self.roles else []
        return " or ".join(said + ([f"the people {', '.join(self.people)}"] if self.people else []))


#: A file in innerpay's own layout.
PLAIN = DataFile()


@dataclass(frozen=True)
class VoteGate:
    """Gate B or C: the share of yes votes and the turnout that must be reached."""

    min_share: Decimal
    min_turnout: Decimal


@dataclass(frozen=True)
class Promotion:
    """The three gates and the weights that rank eligible candidates."""

    metric_min: Decimal
    customer_vote: VoteGate
    own_vote: VoteGate
    weight_metric: Decimal
    weight_customer: Decimal
    weight_own: Decimal
    source: Source
    min_voters_shown: int = 3  # a smaller electorate's share, counts and turnout are withheld


@dataclass(frozen=True)
class Policy:
    """One complete policy version."""

    file: str
    sha256: str
    version: str
    effective_from: Period
    title: str
    currency: str
    rounding: Rounding
    parameters: dict[str, Decimal | StepTable | BandTable]
    employee_fields: dict[str, FieldKind]
    metrics: dict[str, Metric]
    departments: dict[str, Department]
    lines: tuple[PayLine, ...]  # as written in the file
    promotion: Promotion | None
    below_target_periods: int | None
    doc: YamlDoc = field(repr=False, compare=False)
    order: tuple[str, ...] = ()  # line ids in dependency order (set by the checks)
    records: dict[str, RecordTable] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    adjustment_categories: dict[str, str] = field(default_factory=dict)  # id → label
    domains: dict[str, dict[str, str]] = field(default_factory=dict)  # column → value → label
    files: dict[str, DataFile] = field(default_factory=dict)  # table → its layout
    approvers: Approvers | None = None  # who may approve an adjustment (else anyone else)
    company: Company | None = None  # the slip's heading and pay date

    def layout(self, table: str) -> DataFile:
        """How a table's file is laid out (innerpay's own way, unless `files:` says)."""
        return self.files.get(table, PLAIN)

    @cached_property
    def record_sums(self) -> dict[str, RecordSum]:
        """Every name a record table gives, by name."""
        return {s.name: s for table in self.records.values() for s in table.sums}

    @cached_property
    def pay_formulas(self) -> tuple[Formula, ...]:
        """Every formula evaluated per employee: the lines' and the checks'."""
        return (
            tuple(f for line in self.lines for f in line.formulas)
            + tuple(c.when for c in self.checks)
            + tuple(f for line in self.lines if line.note for f in line.note.formulas)
        )

    @cached_property
    def earlier_names(self) -> tuple[str, ...]:
        """The names read year to date (``ytd(x)``), sorted: none, and no earlier period is
        read."""
        return tuple(sorted({n for f in self.pay_formulas for n, _ in f.earlier}))

    def unknown_department(self, text: str) -> str:
        """What to say of a department that is not one of the policy's ids: its id where the
        text is the department's name (or a word of it, like 质检部 of "质检部 Quality"), else
        the nearest id."""
        from ..errors import suggest

        for dept in self.departments.values():
            if text and (text == dept.name or text in dept.name.split()):
                return f"unknown department '{text}'; it is the name of '{dept.id}': write its id"
        return f"unknown department '{text}'{suggest(text, self.departments)}"

    def line_rounding(self, line: PayLine) -> Rounding:
        """The rounding mode of a pay line: its own, or the policy's."""
        return line.rounding or self.rounding

    @cached_property
    def lines_by_id(self) -> dict[str, PayLine]:
        """The pay lines by id."""
        return {line.id: line for line in self.lines}

    @cached_property
    def evaluation_order(self) -> tuple[PayLine, ...]:
        """The pay lines in the order they are computed."""
        by_id = self.lines_by_id
        return tuple(by_id[i] for i in self.order) if self.order else self.lines

    def compiled(self, formula: Formula) -> Node:
        """A formula of this policy compiled for the evaluator (once, then kept)."""
        made = self._compiled.get(id(formula))
        if made is None:
            made = self._compiled[id(formula)] = compile_node(formula, self.rounding)
        return made

    @cached_property
    def _compiled(self) -> dict[int, Node]:
        return {}


def _formula(
    doc: YamlDoc, path: Path, functions: dict[str, tuple[int, int]], problems: list[Diagnostic]
) -> Formula | None:
    text = _get(doc.data, path)
    formula, found = compile_formula(str(text), lambda i: doc.inside(path, i), functions)
    problems.extend(found)
    return formula


def _note(doc: YamlDoc, path: Path, problems: list[Diagnostic]) -> Note | None:
    """A pay line's note: text with formulas in braces (``{score:%}``), in one text or as
    ``zh`` and ``en``; ``{{`` and ``}}`` are braces."""
    spec = _get(doc.data, path)
    if isinstance(spec, str):
        return Note(_note_parts(doc, path, problems))
    return Note(
        *(_note_parts(doc, (*path, k), problems) if k in spec else () for k in ("zh", "en"))
    )


def _note_parts(doc: YamlDoc, path: Path, problems: list[Diagnostic]) -> tuple[NotePart, ...]:
    text = str(_get(doc.data, path))
    parts: list[NotePart] = []
    plain, at = "", 0
    while at < len(text):
        two = text[at : at + 2]
        if two in ("{{", "}}"):
            plain, at = plain + two[0], at + 2
            continue
        if text[at] == "}":
            problems.append(error(doc.inside(path, at), "a '}' without its '{'; write '}}' for "
                                  "a brace"))  # fmt: skip
            return ()
        if text[at] != "{":
            plain, at = plain + text[at], at + 1
            continue
        end = text.find("}", at)
        if end < 0:
            problems.append(error(doc.inside(path, at), "a '{' without its '}'; write '{{' for "
                                  "a brace"))  # fmt: skip
            return ()
        inner = text[at + 1 : end]
        body, colon, style = inner.rpartition(":")
        if colon and style.strip() not in NOTE_STYLES:
            problems.append(error(doc.inside(path, at + 2 + len(body)), f"'{style.strip()}' is "
                                  "not a style of a note's value; write {x:%} for a percentage, "
                                  "{x:money} for an amount, or {x} as it is"))  # fmt: skip
            return ()
        if not colon:
            body = inner
        formula, found = compile_formula(body, _locate(doc, path, at + 1), dict(PAY_FUNCTIONS))
        problems.extend(found)
        if formula is None:
            return ()
        if plain:
            parts.append(NotePart(plain))
        parts.append(NotePart(body.strip(), formula, style.strip()))
        plain, at = "", end + 1
    if plain:
        parts.append(NotePart(plain))
    return tuple(parts)


def _company(spec: dict[str, Any] | None) -> Company | None:
    if spec is None:
        return None
    day = spec.get("pay_day")
    return Company(spec["name"], None if day is None else int(day), spec.get("pay_month", "next"))


def _locate(doc: YamlDoc, path: Path, start: int) -> Callable[[int], Source]:
    """Where the i-th character of a formula that starts at ``start`` in a scalar is."""
    return lambda i: doc.inside(path, start + i)


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _step_table(rows: list[list[Decimal]]) -> StepTable:
    return StepTable(tuple(sorted((Decimal(t), Decimal(v)) for t, v in rows)))


def _band_table(rows: list[dict[str, Decimal]]) -> BandTable:
    """A band table as written (its rows are checked in :mod:`innerpay.policy.checks`)."""
    names = list(dict.fromkeys(k for row in rows for k in row if k != "up_to"))  # as written
    bounds = tuple(Decimal(row["up_to"]) for row in rows[:-1] if "up_to" in row)
    return BandTable(
        bounds, tuple((n, tuple(Decimal(row.get(n, 0)) for row in rows)) for n in names)
    )


def places_of(unit: Decimal) -> int | None:
    """The decimal places a rounding unit stands for (0.01 → 2, 1 → 0), or None when the unit
    is not a power of ten from 1 to 10^-MAX_ROUND_PLACES."""
    from ..formulas.parse import MAX_ROUND_PLACES

    digits, exponent = unit.normalize().as_tuple()[1:]
    if digits != (1,) or not isinstance(exponent, int):
        return None
    return -exponent if -MAX_ROUND_PLACES <= exponent <= 0 else None


def build_policy(doc: YamlDoc, sha256: str) -> tuple[Policy | None, list[Diagnostic]]:
    """The model of a schema-valid policy document, with every formula compiled."""
    data = doc.data
    problems: list[Diagnostic] = []
    parameters: dict[str, Decimal | StepTable | BandTable] = {}
    for name, value in (data.get("parameters") or {}).items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            parameters[name] = _band_table(value)
        else:
            parameters[name] = _step_table(value) if isinstance(value, list) else value

    metrics: dict[str, Metric] = {}
    for metric_id, spec in (data.get("metrics") or {}).items():
        base: Path = ("metrics", metric_id)
        success = _formula(doc, (*base, "success"), dict(ROW_FUNCTIONS), problems)
        weight = (
            _formula(doc, (*base, "weight"), dict(ROW_FUNCTIONS), problems)
            if "weight" in spec
            else None
        )
        if success is None:
            continue
        metrics[metric_id] = Metric(
            id=metric_id,
            label=spec["label"],
            table=spec["table"],
            success=success,
            weight=weight,
            when_empty=spec.get("when_empty"),
            source=doc.key_at(base),
        )

    departments: dict[str, Department] = {}
    for dept_id, spec in data["departments"].items():
        customers = tuple(
            Customer(
                source=doc.at(("departments", dept_id, "customers", i)),
                department=c.get("department"),
                metric=c.get("metric"),
                target=c.get("target"),
                weight=c.get("weight"),
                external=c.get("external"),
            )
            for i, c in enumerate(spec.get("customers") or [])
        )
        departments[dept_id] = Department(
            dept_id, spec["name"], customers, doc.key_at(("departments", dept_id))
        )

    lines: list[PayLine] = []
    for i, spec in enumerate(data["pay"]["lines"]):
        base = ("pay", "lines", i)
        formula = _formula(doc, (*base, "formula"), dict(PAY_FUNCTIONS), problems)
        when = (
            _formula(doc, (*base, "when"), dict(PAY_FUNCTIONS), problems)
            if "when" in spec
            else None
        )
        if formula is None or ("when" in spec and when is None):
            continue
        lines.append(
            PayLine(
                id=spec["id"],
                label=spec["label"],
                kind=LineKind(spec.get("kind", "earning")),
                formula=formula,
                when=when,
                source=doc.at(base),
                rounding=Rounding(spec["rounding"]) if "rounding" in spec else None,
                places=places_of(Decimal(spec.get("unit", "0.01"))) or 0,
                settled=bool(spec.get("settled", False)),
                note=_note(doc, (*base, "note"), problems) if "note" in spec else None,
            )
        )
    records = _records(doc, problems)
    checks = []
    for i, spec in enumerate(data.get("checks") or []):
        base = ("checks", i)
        condition = _formula(doc, (*base, "when"), dict(PAY_FUNCTIONS), problems)
        if condition is not None:
            checks.append(
                Check(
                    id=spec["id"],
                    when=condition,
                    message=spec["message"],
                    severity=Severity(spec.get("severity", "warning")),
                    source=doc.at(base),
                )
            )

    promotion = None
    if "promotion" in data:
        gates, weights = data["promotion"]["gates"], data["promotion"]["weights"]
        promotion = Promotion(
            metric_min=gates["metric"]["min"],
            customer_vote=VoteGate(**gates["customer_vote"]),
            own_vote=VoteGate(**gates["own_vote"]),
            weight_metric=weights["metric"],
            weight_customer=weights["customer_vote"],
            weight_own=weights["own_vote"],
            source=doc.key_at(("promotion",)),
            min_voters_shown=int(data["promotion"].get("min_voters_shown", 3)),
        )
    periods = (data.get("review") or {}).get("below_target_periods")
    policy = Policy(
        file=doc.file,
        sha256=sha256,
        version=data["version"],
        effective_from=Period.parse(data["effective_from"]),
        title=data.get("title", ""),
        currency=data.get("currency", ""),
        rounding=Rounding(data["rounding"]),
        parameters=parameters,
        employee_fields={
            name: FieldKind(kind) for name, kind in (data.get("employee_fields") or {}).items()
        },
        metrics=metrics,
        departments=departments,
        lines=tuple(lines),
        promotion=promotion,
        below_target_periods=int(periods) if periods is not None else None,
        doc=doc,
        records=records,
        checks=tuple(checks),
        adjustment_categories=dict(data.get("adjustment_categories") or {}),
        domains={k: dict(v) for k, v in (data.get("domains") or {}).items()},
        files={
            k: DataFile(dict(v.get("columns") or {}), v.get("sheet"), bool(v.get("trim")))
            for k, v in (data.get("files") or {}).items()
        },
        approvers=_approvers(data.get("adjustment_approvers")),
        company=_company(data.get("company")),
    )
    return policy, problems


def _approvers(spec: dict[str, Any] | None) -> Approvers | None:
    if not spec:
        return None
    return Approvers(tuple(spec.get("roles") or ()), tuple(spec.get("people") or ()))


def _records(doc: YamlDoc, problems: list[Diagnostic]) -> dict[str, RecordTable]:
    """The record tables, each sum's formulas compiled (functions of a row only)."""
    tables: dict[str, RecordTable] = {}
    for name, spec in (doc.data.get("records") or {}).items():
        sums = []
        for sum_name, parts in spec["sums"].items():
            base: Path = ("records", name, "sums", sum_name)
            made = {
                part: _formula(doc, (*base, part), dict(ROW_FUNCTIONS), problems)
                for part in ("sum", "count", "when")
                if part in parts
            }
            if any(f is None for f in made.values()):
                continue
            sums.append(
                RecordSum(
                    sum_name,
                    name,
                    made.get("sum"),
                    made.get("count"),
                    made.get("when"),
                    doc.key_at(base),
                )
            )
        tables[name] = RecordTable(
            name,
            spec.get("employee", "employee"),
            bool(spec.get("optional", False)),
            tuple(sums),
            doc.key_at(("records", name)),
        )
    return tables
