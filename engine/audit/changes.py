"""Policy changes: two policy versions compared key by key (parameters, step tables, pay lines,
metrics, departments, customers and targets, gates and weights, rounding), each change with
the names it changes and the file:line where it is written, for `diff` to blame deltas on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..formulas import StepTable
from ..policy.model import Policy


@dataclass(frozen=True)
class Change:
    """One difference between two policy versions."""

    kind: str  # parameter | line | metric | customer | promotion | rounding | review | department
    key: str
    base: str | None
    head: str | None
    names: frozenset[str] = field(default=frozenset(), compare=False)  # names it changes
    department: str | None = None  # a change to one department's appraisal only
    where: str = field(default="", compare=False)  # file:line of the change (the head's)

    def __str__(self) -> str:
        at = f" ({self.where})" if self.where else ""
        if self.base is None:
            return f"{self.kind} {self.key} added: {self.head}{at}"
        if self.head is None:
            return f"{self.kind} {self.key} removed (was {self.base}){at}"
        return f"{self.kind} {self.key}: {self.base} → {self.head}{at}"


def _text(value: Any) -> str:
    if isinstance(value, StepTable):
        return "[" + ", ".join(f"[{t}, {v}]" for t, v in value.rows) + "]"
    return str(value)


def _compare(
    kind: str,
    base: dict[str, Any],
    head: dict[str, Any],
    names: Any = None,
    department: str | None = None,
) -> list[Change]:
    changes = []
    for key in sorted(set(base) | set(head)):
        b = _text(base[key]) if key in base else None
        h = _text(head[key]) if key in head else None
        if b != h:
            affected = names(key) if callable(names) else frozenset({key})
            changes.append(Change(kind, key, b, h, affected, department))
    return changes


def _located(changes: list[Change], base: Policy, head: Policy) -> list[Change]:
    """Each change with the file:line where it is written (the head's; a removal: the base's)."""

    def path(change: Change) -> tuple[Any, ...]:
        if change.kind == "parameter":
            return ("parameters", change.key)
        if change.kind == "line":
            for policy in (head, base):
                at = [i for i, x in enumerate(policy.lines) if x.id == change.key]
                if at:
                    return ("pay", "lines", at[0])
        if change.kind == "metric":
            return ("metrics", change.key)
        if change.kind == "department":
            return ("departments", change.key)
        if change.kind == "customer" and change.department:
            return ("departments", change.department, "customers")
        if change.kind == "promotion":
            words = change.key.split()  # "gate B customer min_share", "weight own_vote"
            if words[0] == "weight":
                return ("promotion", "weights", words[1])
            gate = {"A": "metric", "B": "customer_vote", "C": "own_vote"}[words[1]]
            return ("promotion", "gates", gate, words[-1])
        if change.kind == "review":
            return ("review", change.key)
        if change.kind == "rounding":
            return ("rounding",)
        return ()

    located = []
    for change in changes:
        policy = base if change.head is None else head
        where = policy.doc.key_at(path(change)) if path(change) else None
        text = f"{where.file}:{where.line}" if where is not None and where.line else ""
        located.append(replace(change, where=text))
    return located


def policy_changes(base: Policy, head: Policy) -> list[Change]:
    """Every difference that can change a result, key by key, each with its file:line."""
    return _located(_changes(base, head), base, head)


def _changes(base: Policy, head: Policy) -> list[Change]:
    changes = _compare("parameter", dict(base.parameters), dict(head.parameters))
    changes += _compare("rounding", {"rounding": base.rounding}, {"rounding": head.rounding},
                        lambda _k: frozenset({"*"}))  # fmt: skip

    def line_view(policy: Policy) -> dict[str, str]:
        view = {}
        for line in policy.lines:
            when = f" when {line.when.text.strip()}" if line.when else ""
            view[line.id] = f"{line.kind}: {line.formula.text.strip()}{when}"
        return view

    changes += _compare("line", line_view(base), line_view(head))

    def metric_view(policy: Policy) -> dict[str, str]:
        return {
            m.id: f"{m.table}: {m.success.text.strip()}"
            + (f", weight {m.weight.text.strip()}" if m.weight else "")
            + (f", when_empty {m.when_empty}" if m.when_empty is not None else "")
            for m in policy.metrics.values()
        }

    changes += _compare(
        "metric",
        metric_view(base),
        metric_view(head),
        lambda key: frozenset({key, "score", "target_met"}),
    )
    for dept_id in sorted(set(base.departments) | set(head.departments)):

        def customers(policy: Policy, dept_id: str = dept_id) -> dict[str, str]:
            dept = policy.departments.get(dept_id)
            if dept is None:
                return {}
            return {
                (c.external and f"external {c.external}") or f"{c.department}/{c.metric}": (
                    "appraises nothing"
                    if c.external
                    else f"target {c.target}" + (f", weight {c.weight}" if c.weight else "")
                )
                for c in dept.customers
            }

        changes += _compare(
            "customer",
            {f"{dept_id} ← {k}": v for k, v in customers(base).items()},
            {f"{dept_id} ← {k}": v for k, v in customers(head).items()},
            lambda _k: frozenset({"score", "target_met", "has_customer"}),
            dept_id,
        )
    changes += _compare(
        "department",
        {d.id: d.name for d in base.departments.values()},
        {d.id: d.name for d in head.departments.values()},
        lambda _k: frozenset(),
    )
    changes += _compare(
        "promotion",
        _promotion_view(base),
        _promotion_view(head),
        lambda _k: frozenset(),
    )
    changes += _compare(
        "review",
        {"below_target_periods": base.below_target_periods},
        {"below_target_periods": head.below_target_periods},
        lambda _k: frozenset(),
    )
    return changes


def _promotion_view(policy: Policy) -> dict[str, str]:
    p = policy.promotion
    if p is None:
        return {}
    return {
        "gate A metric min": str(p.metric_min),
        "gate B customer min_share": str(p.customer_vote.min_share),
        "gate B customer min_turnout": str(p.customer_vote.min_turnout),
        "gate C own min_share": str(p.own_vote.min_share),
        "gate C own min_turnout": str(p.own_vote.min_turnout),
        "weight metric": str(p.weight_metric),
        "weight customer_vote": str(p.weight_customer),
        "weight own_vote": str(p.weight_own),
    }


__all__ = ["Change", "policy_changes"]
