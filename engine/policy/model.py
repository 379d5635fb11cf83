"""The policy model: frozen dataclasses built from a schema-valid document.

Third step of the pipeline.  :func:`build_policy` turns the plain values of a
:class:`~innerpay.policy.yamlread.YamlDoc` into a :class:`Policy`, compiling every formula once (a
formula that does not parse is a diagnostic at its own line and column).  Meaning is checked
afterwards, in :mod:`innerpay.policy.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from ..errors import Diagnostic, Source
from ..formulas import PAY_FUNCTIONS, ROW_FUNCTIONS, Formula, StepTable, compile_formula
from ..formulas.evaluator import Node, compile_node
from ..numbers import Rounding
from ..periods import Period
from .yamlread import Path, YamlDoc


class LineKind(StrEnum):
    """Which total a pay line (or an adjustment, or an arrear) counts in."""

    EARNING = "earning"
    DEDUCTION = "deduction"


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
class PayLine:
    """One line of the slip."""

    id: str
    label: str
    kind: LineKind
    formula: Formula
    when: Formula | None
    source: Source


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
    parameters: dict[str, Decimal | StepTable]
    employee_fields: dict[str, FieldKind]
    metrics: dict[str, Metric]
    departments: dict[str, Department]
    lines: tuple[PayLine, ...]  # as written in the file
    promotion: Promotion | None
    below_target_periods: int | None
    doc: YamlDoc = field(repr=False, compare=False)
    order: tuple[str, ...] = ()  # line ids in dependency order (set by the checks)

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


def _get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def _step_table(rows: list[list[Decimal]]) -> StepTable:
    return StepTable(tuple(sorted((Decimal(t), Decimal(v)) for t, v in rows)))


def build_policy(doc: YamlDoc, sha256: str) -> tuple[Policy | None, list[Diagnostic]]:
    """The model of a schema-valid policy document, with every formula compiled."""
    data = doc.data
    problems: list[Diagnostic] = []
    parameters: dict[str, Decimal | StepTable] = {}
    for name, value in (data.get("parameters") or {}).items():
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
    )
    return policy, problems
