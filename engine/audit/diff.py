"""Diffs: the same period's data under two policy versions, and the policy change behind each delta.

:func:`~innerpay.audit.changes.policy_changes` compares two versions key by key.
:func:`diff_results` compares the two results, each side evaluated with its own departments:
per employee and line the base, head and delta, with the changes that employee's evaluation
read (an employee of a department one version alone has: added or removed); totals per
department and for the company; department appraisals; promotion changes.  The
renderers (text, Markdown, CSV, JSON) are deterministic, so that a diff can be committed and
reviewed.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..data import columns
from ..evaluate.results import Results
from ..formulas import StepTable, kernels
from ..formulas.parse import BandTable, FormulaError
from ..formulas.values import band as values_band
from ..formulas.values import step as values_step
from ..formulas.vectors import Rows, Vector
from ..numbers import ZERO, money_str
from ..policy.model import Policy
from .changes import Change, policy_changes

DIFF_FORMATS = ("text", "md", "csv", "json")
DIFF_FORMAT_VERSION = 1


def _reads(policy: Policy, line_id: str) -> frozenset[str]:
    line = policy.lines_by_id.get(line_id)
    if line is None:
        return frozenset()
    return line.formula.name_set | (line.when.name_set if line.when else frozenset())


def causes(
    line_id: str, department: str, changes: list[Change], base: Policy, head: Policy
) -> list[Change]:
    """The changes a line of an employee of ``department`` may depend on, by what its formulas
    name, directly or through lines (where what each employee read is not known)."""
    found: dict[tuple[str, str], Change] = {}
    seen: set[str] = set()
    pending = [line_id]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        names = _reads(base, current) | _reads(head, current)
        for change in changes:
            if change.department is not None and change.department != department:
                continue
            direct = change.kind == "line" and change.key == current
            if direct or "*" in change.names or change.names & names:
                found[(change.kind, change.key)] = change
        pending += [n for n in names if n in base.lines_by_id or n in head.lines_by_id]
    return sorted(found.values(), key=lambda c: (c.kind, c.key))


def read_masks(
    changes: list[Change], policy: Policy, reads: dict[str, dict[str, int]], size: int
) -> dict[str, list[int]]:
    """Per pay line, per change: the rows whose evaluation of the line read what the change
    changes (a bit per row), directly or through a line it read on that row; a change to the
    line itself, or to the rounding, every row."""
    every = (1 << size) - 1
    masks: dict[str, list[int]] = {}
    for line in policy.evaluation_order:
        read = reads.get(line.id, {})
        made = []
        for k, change in enumerate(changes):
            if (change.kind == "line" and change.key == line.id) or "*" in change.names:
                made.append(every)
                continue
            mask = 0
            for name in change.names:
                mask |= read.get(name, 0)
            for name, rows in read.items():
                if name in masks:  # an earlier line, read on these rows
                    mask |= rows & masks[name][k]
            made.append(mask)
        masks[line.id] = made
    return masks


def _same_step(change: Change, base: Results, head: Results, department: str) -> bool:
    """Whether a changed step or band table gives a department's employees what it gave them
    before, where the table is read at the department's score or a metric (the row each side's
    value reaches has the same value): then it is not what changed their pay."""
    tables = (base.policy.parameters.get(change.key), head.policy.parameters.get(change.key))
    if not all(isinstance(t, StepTable | BandTable) for t in tables):
        return False
    calls = [args for policy in (base.policy, head.policy) for line in policy.lines
             for formula in line.formulas for fn, _, args in formula.calls
             if fn in ("step", "band") and getattr(args[0], "id", None) == change.key]  # fmt: skip
    if not calls:
        return False
    for args in calls:
        name = getattr(args[1], "id", None)
        values = []
        for side, table in zip((base, head), tables, strict=True):
            result = side.departments.get(department)
            at = None if result is None else (
                result.score if name == "score"
                else result.metrics[name].value if name in result.metrics else None)  # fmt: skip
            if at is None:
                return False  # read at something else: each employee's own value
            column = getattr(args[2], "value", "") if len(args) > 2 else ""
            try:
                values.append(values_step(table, at) if isinstance(table, StepTable)
                              else values_band(table, at, column))  # fmt: skip
            except FormulaError:
                return False
        if values[0] != values[1]:
            return False
    return True


@dataclass(frozen=True)
class LineDelta:
    """One employee's line under both versions."""

    employee: str
    name: str
    department: str
    line: str
    kind: str
    base: Decimal | None
    head: Decimal | None
    because: tuple[str, ...]

    @property
    def delta(self) -> Decimal:
        """head − base (a missing side counts as 0)."""
        return (self.head or ZERO) - (self.base or ZERO)


@dataclass(frozen=True)
class Diff:
    """Everything that differs between two results of one period."""

    period: str
    base: dict[str, str]
    head: dict[str, str]
    changes: list[Change]
    lines: list[LineDelta]
    departments: list[dict[str, Any]]
    totals: list[dict[str, Any]]
    appraisals: list[dict[str, Any]]
    promotion: list[dict[str, Any]]

    @property
    def differs(self) -> bool:
        """True when any result differs (what `--exit-code` reports)."""
        return bool(self.lines or self.appraisals or self.promotion)


def _money(value: Decimal | None) -> str:
    return "" if value is None else money_str(value)


def _differing(base: Vector | None, head: Vector | None, size: int) -> list[int]:
    """The rows whose amount differs between two sides (a line on one side only: every row)."""
    if base is None or head is None:
        return list(range(size))
    return columns.true_rows(kernels.operator(ast.NotEq, [base, head], size))


def _masks(changes: list[Change], results: Results) -> dict[str, list[int]] | None:
    """What one side's evaluation read, per line and change (None where the results did not
    keep what was read: the changes are then those the formulas name)."""
    reads = results.employees.reads
    if reads is None:
        return None
    return read_masks(changes, results.policy, reads, len(results.employees.roster))


def _aligned(base: Results, head: Results) -> tuple[list[int], list[int], list[str], list[str]]:
    """The rows of the employees both sides pay (each side's row for each), and the ids that
    only the head, or only the base, pays (a department one version alone has)."""
    b_ids, h_ids = base.employees.roster.ids, head.employees.roster.ids
    if b_ids == h_ids:
        every = list(range(len(b_ids)))
        return every, every, [], []
    h_at = {e: k for k, e in enumerate(h_ids)}
    both = [(k, h_at[e]) for k, e in enumerate(b_ids) if e in h_at]
    added = sorted(set(h_ids) - set(b_ids))
    removed = sorted(set(b_ids) - set(h_ids))
    return [k for k, _ in both], [k for _, k in both], added, removed


def diff_results(base: Results, head: Results) -> Diff:
    """Compare two results of the same period and data: each line, gross, deductions and net
    over whole columns, employee by employee; an employee only one side pays (of a department
    one version alone has) is added or removed.  A delta names the changes that employee's
    evaluation read (where the results kept what was read), not a changed step table that
    gives their department what it gave before, and a delta of 0.00 is not one."""
    changes = policy_changes(base.policy, head.policy)
    b_pay, h_pay = base.employees, head.employees
    b_rows, h_rows, added, removed = _aligned(base, head)
    size = len(b_rows)
    identity = len(b_pay.roster) == len(h_pay.roster) == size and not added and not removed
    b_take = Rows.of_positions(len(b_pay.roster), b_rows)
    h_take = Rows.of_positions(len(h_pay.roster), h_rows)

    def on_common(column: Vector, rows: Rows) -> Vector:
        return column if identity else column.take(rows)

    order = [x.id for x in base.policy.lines] + [
        x.id for x in head.policy.lines if x.id not in base.policy.lines_by_id
    ]
    kinds = {x.id: x.kind for x in (*base.policy.lines, *head.policy.lines)}
    found: list[tuple[int, int, Any, Any]] = []  # (row of both, line's place, base, head)
    for place, line_id in enumerate(order):
        b_col = on_common(b_pay.lines[line_id].amounts, b_take) if line_id in b_pay.lines \
            else None  # fmt: skip
        h_col = on_common(h_pay.lines[line_id].amounts, h_take) if line_id in h_pay.lines \
            else None  # fmt: skip
        for row in _differing(b_col, h_col, size):
            b_value = None if b_col is None else b_col.at(row)
            h_value = None if h_col is None else h_col.at(row)
            found.append((row, place, b_value, h_value))
    found.sort(key=lambda f: (f[0], f[1]))  # employee by employee, lines in order
    rows = sorted({row for row, _, _, _ in found})
    roster = b_pay.roster
    chosen = Rows.of_positions(len(roster), [b_rows[r] for r in rows])
    who = {
        row: (emp_id, name, department)
        for row, emp_id, name, department in zip(
            rows,
            *(roster.columns[c].take(chosen).values() for c in ("id", "name", "department")),
            strict=True,
        )
    }
    b_masks, h_masks = _masks(changes, base), _masks(changes, head)
    nothing = [0] * len(changes)
    same: dict[tuple[str, str], bool] = {}  # (table, department): the table changed nothing
    named: dict[tuple[str, str], list[Change]] = {}  # (line, department): without masks
    lines: list[LineDelta] = []
    for row, place, b_value, h_value in found:
        if (b_value or ZERO) == (h_value or ZERO):
            continue  # a line on one side only, 0.00 on the other: no change to show
        line_id = order[place]
        emp_id, name, department = who[row]
        causing = []
        for i, change in enumerate(changes):
            if change.department is not None and change.department != department:
                continue
            if b_masks is None or h_masks is None:
                if (line_id, department) not in named:
                    named[(line_id, department)] = causes(line_id, department, changes,
                                                          base.policy, head.policy)  # fmt: skip
                hit = change in named[(line_id, department)]
            else:
                hit = bool(b_masks.get(line_id, nothing)[i] >> b_rows[row] & 1
                           or h_masks.get(line_id, nothing)[i] >> h_rows[row] & 1)  # fmt: skip
            if hit and change.kind == "parameter":
                key = (change.key, department)
                if key not in same:
                    same[key] = _same_step(change, base, head, department)
                hit = not same[key]
            if hit:
                causing.append(str(change))
        lines.append(LineDelta(emp_id, name, department, line_id, kinds[line_id], b_value,
                               h_value, tuple(causing)))  # fmt: skip
    lines += _one_side(added, head, "head", changes) + _one_side(removed, base, "base", changes)
    lines.sort(key=lambda x: (x.employee, order.index(x.line)))
    changed: dict[str, int] = {}
    if size:
        net_changed = kernels.operator(ast.NotEq, [on_common(b_pay.net, b_take),
                                                   on_common(h_pay.net, h_take)], size)  # fmt: skip
        departments = on_common(roster.columns["department"], b_take)
        changed = dict(columns.count_where(departments, net_changed))
    for emp_id, pay in [*((e, h_pay) for e in added), *((e, b_pay) for e in removed)]:
        department = pay[emp_id].department
        changed[department] = changed.get(department, 0) + 1
    sums: dict[str, dict[str, Decimal]] = {}
    for label, pay in (("base", b_pay), ("head", h_pay)):
        own = pay.roster.columns["department"]  # each side's totals over whom it pays
        for k in ("gross", "deductions", "net"):
            column: Vector = getattr(pay, k)
            for dept_id, total in columns.sums_by(own, column).items():
                sums.setdefault(dept_id, {})[f"{label}_{k}"] = total
            sums.setdefault("company", {})[f"{label}_{k}"] = kernels.total(column)
    everyone = sum(changed.values())
    department_rows = [
        _totals(dept_id, sums.get(dept_id, {}), changed.get(dept_id, 0))
        for dept_id in sorted(set(base.departments) | set(head.departments))
    ]
    company = _totals("company", sums.get("company", {}), everyone)
    appraisals = _changed(base.departments, head.departments, ("score", "target_met", "flags"))
    promotion = _changed(base.candidates, head.candidates, ("eligible", "rank", "score"))
    return Diff(
        period=str(base.period),
        base={"version": base.policy.version, "file": base.policy.file},
        head={"version": head.policy.version, "file": head.policy.file},
        changes=changes,
        lines=lines,
        departments=[d for d in department_rows if d["delta_net"] != "0.00" or d["changed"]],
        totals=[company],
        appraisals=appraisals,
        promotion=promotion,
    )


def _one_side(ids: list[str], side: Results, which: str, changes: list[Change]) -> list[LineDelta]:
    """Every paid line of the employees only one side pays, as added (the head's) or removed
    (the base's), blamed on their department's being added or removed."""
    found = []
    for emp_id in ids:
        e = side.employees[emp_id]
        because = tuple(str(c) for c in changes if c.kind == "department" and c.key == e.department)
        because = because or (f"employee {'added' if which == 'head' else 'removed'}",)
        for x in e.lines:
            if x.applies and x.amount:
                base, head = (None, x.amount) if which == "head" else (x.amount, None)
                found.append(LineDelta(emp_id, e.name, e.department, x.id, x.kind, base, head,
                                       because))  # fmt: skip
    return found


def _changed(
    base: Mapping[str, Any], head: Mapping[str, Any], keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The values of ``keys`` that differ, per id (a department or a candidate)."""
    side = "candidate" if keys[0] == "eligible" else "department"
    found = []
    for key_id in sorted(set(base) | set(head)):
        b, h = base.get(key_id), head.get(key_id)
        for key in keys:
            bv = None if b is None else getattr(b, key)
            hv = None if h is None else getattr(h, key)
            if bv != hv:
                found.append({side: key_id, "what": key, "base": _plain(bv), "head": _plain(hv)})
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def _totals(key: str, sums: dict[str, Decimal], changed: int) -> dict[str, Any]:
    row: dict[str, Any] = {"key": key, "changed": changed}
    for k in ("gross", "deductions", "net"):
        base, head = sums.get(f"base_{k}", ZERO), sums.get(f"head_{k}", ZERO)
        row[f"base_{k}"] = money_str(base)
        row[f"head_{k}"] = money_str(head)
        row[f"delta_{k}"] = money_str(head - base)
    return row


# --- rendering -----------------------------------------------------------------------------------


def to_dict(d: Diff) -> dict[str, Any]:
    """The diff as a versioned, documented structure (the `--format json` output)."""
    return {
        "diff": DIFF_FORMAT_VERSION,
        "period": d.period,
        "base": d.base,
        "head": d.head,
        "policy_changes": [
            {"kind": c.kind, "key": c.key, "base": c.base, "head": c.head, "where": c.where}
            for c in d.changes
        ],
        "lines": [
            {
                "employee": x.employee,
                "name": x.name,
                "department": x.department,
                "line": x.line,
                "kind": x.kind,
                "base": _money(x.base) or None,
                "head": _money(x.head) or None,
                "delta": money_str(x.delta),
                "because": list(x.because),
            }
            for x in d.lines
        ],
        "departments": d.departments,
        "company": d.totals[0],
        "appraisals": d.appraisals,
        "promotion": d.promotion,
        "differs": d.differs,
    }


def render_json(d: Diff) -> Iterator[str]:
    """JSON, stable, in pieces (a diff of a million employees is a hundred megabytes)."""
    yield from json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(to_dict(d))
    yield "\n"


def render_csv(d: Diff) -> str:
    """One row per employee and line that differs."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["employee", "name", "department", "line", "base", "head", "delta", "because"])
    for x in d.lines:
        writer.writerow(
            [x.employee, x.name, x.department, x.line, _money(x.base), _money(x.head),
             money_str(x.delta), "; ".join(x.because)]
        )  # fmt: skip
    return out.getvalue()


def _sign(text: str) -> str:
    return text if text.startswith("-") else f"+{text}"


def render_text(d: Diff, markdown: bool = False) -> str:
    """A readable diff: policy changes, totals, appraisals, promotion, then every line delta."""
    h = "## " if markdown else ""
    bullet = "- " if markdown else "  "
    title = "# " if markdown else ""
    out = [
        f"{title}innerpay diff {d.period}: {d.base['version']} ({d.base['file']}) → "
        f"{d.head['version']} ({d.head['file']})",
        "",
        f"{h}Policy changes",
    ]
    out += [f"{bullet}{c}" for c in d.changes] or [f"{bullet}none"]
    c = d.totals[0]
    out += [
        "",
        f"{h}Totals",
        f"{bullet}company: net {c['base_net']} → {c['head_net']} ({_sign(c['delta_net'])}), "
        f"gross {_sign(c['delta_gross'])}, deductions {_sign(c['delta_deductions'])}; "
        f"{c['changed']} employees' net changed",
    ]
    for dep in d.departments:
        out.append(
            f"{bullet}{dep['key']}: net {dep['base_net']} → {dep['head_net']} "
            f"({_sign(dep['delta_net'])}); {dep['changed']} employees' net changed"
        )
    out += ["", f"{h}Department appraisals"]
    out += [
        f"{bullet}{a['department']} {a['what']}: {a['base']} → {a['head']}" for a in d.appraisals
    ] or [f"{bullet}unchanged"]
    out += ["", f"{h}Promotion"]
    out += [
        f"{bullet}{p['candidate']} {p['what']}: {p['base']} → {p['head']}" for p in d.promotion
    ] or [f"{bullet}unchanged"]
    out += ["", f"{h}Lines"]
    if not d.lines:
        out.append(f"{bullet}no pay line differs")
    else:
        out += _lines_markdown(d.lines) if markdown else _lines_text(d.lines)
    return "\n".join(out) + "\n"


def _lines_markdown(lines: list[LineDelta]) -> list[str]:
    out = [
        "| employee | line | base | head | delta | because |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for x in lines:
        because = "; ".join(x.because).replace("|", "\\|")
        out.append(
            f"| {x.employee} {x.name} | {x.line} | {_money(x.base)} | {_money(x.head)} | "
            f"{_sign(money_str(x.delta))} | {because} |"
        )
    return out


def _width(text: str) -> int:
    """Columns a text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines_text(lines: list[LineDelta]) -> list[str]:
    """Line deltas grouped by line and cause, one employee per row."""
    groups: dict[tuple[str, tuple[str, ...]], list[LineDelta]] = {}
    for x in lines:
        groups.setdefault((x.line, x.because), []).append(x)
    out = []
    for (line, because), members in groups.items():
        reasons = "; ".join(because) or "no policy change found: the data it reads differs"
        out.append(f"  {line}, because {reasons}")
        width = max(_width(f"{x.employee} {x.name}") for x in members)
        for x in members:
            who = f"{x.employee} {x.name}"
            pad = " " * (width - _width(who))
            out.append(
                f"    {who}{pad}  {_money(x.base) or '—':>10} → {_money(x.head) or '—':>10}"
                f"  ({_sign(money_str(x.delta))})"
            )
    return out


def render_diff(d: Diff, fmt: str) -> Iterator[str]:
    """The diff in one of :data:`DIFF_FORMATS`, in pieces to write one after the other."""
    if fmt == "json":
        return render_json(d)
    if fmt == "csv":
        return iter([render_csv(d)])
    return iter([render_text(d, markdown=fmt == "md")])
