"""The sentence under each pay line of a slip, in Chinese and English: how the line was
worked out, in words and the employee's own figures.

A line's ``note`` (policy) is text with formulas in braces, each evaluated by the evaluator that
pays (:func:`~innerpay.formulas.evaluator.compile_part`, over the whole roster at once) once
every line is paid, and shown in its style.  A line without a note says what the policy alone
tells: each step table it reads (``department score 92.30% reached the step from 90% → 1.00``)
and its proration (``prorated: employed 17 of 31 days``), which every prorated line states
whether or not it has a note.  Made when a slip first asks (a run without slips never
evaluates them).
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
from decimal import Decimal
from functools import cached_property
from typing import Any

from ..formulas.evaluator import Batch, compile_part
from ..formulas.parse import StepTable
from ..numbers import grouped, no_negative_zero, percent_str, target_str
from ..policy.model import NotePart, PayLine, Policy
from ..policy.names import is_rate

#: How a slip names the values a policy alone explains (a step table's argument).
_NAMED = {
    "score": ("部门得分", "department score"),
    "employed_days": ("在职天数", "days employed"),
    "grade": ("职级", "grade"),
}
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def bilingual(label: str) -> tuple[str, str]:
    """A label written ``中文 English`` as its two halves (each the whole where it is in one
    language only)."""
    words = label.split(" ")
    zh = [w for w in words if _CJK.search(w)]
    en = [w for w in words if not _CJK.search(w)]
    if not zh or not en:
        return label, label
    return " ".join(zh), " ".join(en)


class LineNotes:
    """Every pay line's sentences for every employee of a payroll (see the module)."""

    def __init__(self, policy: Policy, batch: Batch, employed: Any, period_days: int):
        self.policy, self.batch, self.period_days = policy, batch, period_days
        self.employed = employed  # days employed, a column

    @cached_property
    def _days(self) -> list[Any]:
        return list(self.employed.values())

    @cached_property
    def _columns(self) -> dict[int, list[Any]]:
        """Each formula a sentence shows, as its values over the roster (by the node's id)."""
        made: dict[int, list[Any]] = {}
        for line in self.policy.lines:
            for node in self._shown(line):
                made[id(node)] = compile_part(node, self.policy.rounding)(self.batch).values()
        return made

    def _shown(self, line: PayLine) -> list[ast.expr]:
        steps, parts, _ = self._plan[line.id]
        return [args[1] for _, args in steps] + [p.formula.tree for p, _ in parts if p.formula]

    @cached_property
    def _plan(self) -> dict[str, tuple[list[tuple[StepTable, tuple[ast.expr, ...]]],
                                       list[tuple[NotePart, bool]], bool]]:  # fmt: skip
        """Each line's step tables (with the call's arguments), its note's parts (each with
        whether it is a rate), and whether it prorates: worked out once, not per slip."""
        plan = {}
        for line in self.policy.lines:
            steps: list[tuple[StepTable, tuple[ast.expr, ...]]] = []
            for fn, _, args in line.formula.calls:
                table = self.policy.parameters.get(getattr(args[0], "id", "") if args else "")
                if fn == "step" and isinstance(table, StepTable) and len(args) == 2:
                    steps.append((table, args))
            note = (*line.note.zh, *line.note.en) if line.note else ()
            parts = [(p, p.formula is not None and is_rate(self.policy, p.formula.tree))
                     for p in note]  # fmt: skip
            prorates = any(fn == "prorate" for fn, _, _ in line.formula.calls)
            plan[line.id] = (steps, parts, prorates)
        return plan

    def of(self, line: PayLine, at: int) -> tuple[str, str]:
        """The sentences (Chinese, English) under ``line`` on the slip of the roster's row
        ``at``; either may be empty."""
        columns = self._columns
        steps, parts, prorates = self._plan[line.id]
        zh_parts, en_parts = [], []
        for table, args in steps:
            value = columns[id(args[1])][at]
            exponent = value.as_tuple().exponent if type(value) is Decimal else None
            key = (id(table), id(args[1]), value, exponent)
            said = self._said.get(key) if type(value) is Decimal else None
            if said is None:
                said = self._said[key] = self._step(table, args[1], value) or ("", "")
            zh_parts.append(said[0])
            en_parts.append(said[1])
        if line.note is not None:
            zh_count = len(line.note.zh)
            texts = [_shown_part(p, rate, columns, at) for p, rate in parts]
            zh_parts.append("".join(texts[:zh_count]))
            en_parts.append("".join(texts[zh_count:]))
        zh = "；".join(x for x in zh_parts if x)
        en = "; ".join(x for x in en_parts if x)
        days = int(self._days[at])
        if prorates and days < self.period_days:
            zh = _joined(zh, f"按在职天数折算：{self.period_days} 天中在职 {days} 天", "；")
            en = _joined(en, f"prorated: employed {days} of {self.period_days} days", "; ")
        return zh, en

    @cached_property
    def _said(self) -> dict[tuple[int, int, Any, Any], tuple[str, str]]:
        """A step's sentences by value (a department's score: the same for each of its
        employees)."""
        return {}

    def _step(self, table: StepTable, arg: ast.expr, value: Any) -> tuple[str, str] | None:
        """``部门得分 92.30% ≥ 90% → 1.00`` / ``department score 92.30% reached the step from 90%
        → 1.00`` (None where the value is not a number: the line says why elsewhere)."""
        if not isinstance(value, Decimal):
            return None
        reached = [(t, v) for t, v in table.rows if t <= value]
        if not reached:
            return None
        threshold, result = reached[-1]
        rate = is_rate(self.policy, arg)
        name = arg.id if isinstance(arg, ast.Name) else ""
        zh_name, en_name = _NAMED.get(name) or self._label(name)
        mark = target_str(threshold) if rate else f"{threshold:f}"
        figure = percent_str(value, against=[t for t, _ in table.rows]) if rate else shown(value)
        return (f"{zh_name} {figure} ≥ {mark} → {result:f}",
                f"{en_name} {figure} reached the step from {mark} → {result:f}")  # fmt: skip

    def _label(self, name: str) -> tuple[str, str]:
        if name in self.policy.metrics:
            zh, en = bilingual(self.policy.metrics[name].label)
            return zh, en.split(" (")[0]
        return name, name


def _shown_part(part: NotePart, rate: bool, columns: dict[int, list[Any]], at: int) -> str:
    if part.formula is None:
        return part.text
    value = columns[id(part.formula.tree)][at]
    if type(value) is Decimal:
        return _shown_decimal(value, value.as_tuple().exponent, part.style, rate)
    return shown(value, part.style, rate)


@functools.lru_cache(maxsize=4096)
def _shown_decimal(value: Decimal, exponent: object, style: str, rate: bool) -> str:
    """:func:`shown` of a number, kept (a parameter, a department's figure: the same on many
    slips); by its exponent too, as 1.0 and 1.00 are equal numbers shown apart."""
    return shown(value, style, rate)


def _joined(first: str, then: str, between: str) -> str:
    return f"{first}{between}{then}" if first else then


def shown(value: Any, style: str = "", rate: bool = False) -> str:
    """A note's value: a percentage (``%``, or a rate unstyled), an amount to the cent
    (``money``), a date, text, or a number as it is; "—" where there is none."""
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, dt.date | str):
        return str(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        return "—"  # a fault, a value this employee does not have
    if style == "%":
        return target_str(value)
    if rate and not style:
        return percent_str(value)
    if style == "money":
        return grouped(value)
    return f"{no_negative_zero(value):f}"


__all__ = ["LineNotes", "bilingual", "shown"]
