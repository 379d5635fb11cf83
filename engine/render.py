"""Rendering: :class:`~innerpay.evaluate.Results` → the files of a run.

The last step of the pipeline and a pure consumer of results: it formats numbers, fills the Jinja2
templates (sandboxed, undefined names are errors, HTML autoescaped, Markdown escaped by default),
and writes `results.json` and `payroll.csv` from an explicit :func:`results_dict`.  It returns file
contents; writing them to disk safely is :mod:`innerpay.outputs`' job.
"""

from __future__ import annotations

import bisect
import csv
import functools
import hashlib
import importlib.util
import io
import json
import os
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from markupsafe import Markup  # small; the SVG charts use it too

from . import __version__, columnar
from .bulk import EmployeeResults
from .data import Adjustment
from .errors import Diagnostic, InnerpayError, Source, error
from .evaluate import (
    VOID_REASONS,
    Arrear,
    CandidateResult,
    EmployeeResult,
    Results,
    VoteResult,
)
from .model import PayLine
from .numbers import grouped, money_str, percent_str, rate_str
from .outputs import Content, Stream, kept
from .progress import Progress, quietly
from .svg import loop_diagram, trend_chart

FORMATS = ("md", "html", "csv", "json")
RESULTS_FORMAT = 1

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment


def md_escape(value: Any) -> str:
    """Text from data, safe in Markdown (tables included): specials backslash-escaped."""
    if type(value) is str:  # the common case: plain text from the data
        if "\r" in value or "\n" in value:
            value = value.replace("\r", " ").replace("\n", " ")
        return _MD_SPECIAL.sub(r"\\\1", value) if _MD_SPECIAL.search(value) else value
    if isinstance(value, Markup):
        return str(value)
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


@functools.cache
def default_templates() -> str:
    """The folder of the templates shipped with the package (found without importing
    importlib.resources, 20 ms at every start, where the package is a folder as pip installs
    it)."""
    spec = importlib.util.find_spec("innerpay.templates")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if os.path.isdir(folder):
            return str(folder)
    from importlib import resources

    return str(resources.files("innerpay.templates"))


def template_names() -> list[str]:
    """The names of the default templates (a user folder may override any of them)."""
    return sorted(n for n in os.listdir(default_templates()) if n.endswith(".j2"))


def template_sha256(templates: str | None) -> dict[str, str]:
    """sha256 of every template a run uses, keyed by its path (``innerpay:`` for the defaults).

    The defaults are named by package, not by where they are installed, so that the manifest is
    the same on every machine.
    """
    result = {}
    for name in template_names():
        path = os.path.join(templates, name) if templates else ""
        key = path
        if not (templates and os.path.isfile(path)):
            path = os.path.join(default_templates(), name)
            key = f"innerpay:templates/{name}"
        with open(path, "rb") as handle:
            result[key] = hashlib.sha256(handle.read()).hexdigest()
    return result


_DICT_NAMES = frozenset(dir(dict))


@functools.cache
def sandbox() -> type[SandboxedEnvironment]:
    """Jinja's sandbox, reading ``view.key`` from a plain dict's keys first.

    Jinja asks an object for the attribute first and falls back to its item; a dict answers
    the first with an exception, 27 times per slip (a third of rendering one).  For a name that
    no dict has as an attribute, that first answer is always that exception, so looking up the
    key first gives the same value, or the same undefined, and skips it; every other name (and
    every other object) goes the sandbox's own way, checks and all.
    """
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_NAMES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return Sandbox


def _environment(templates: str | None, kind: str) -> SandboxedEnvironment:
    """The templates of a run: a user's folder is read afresh for each run; the shipped
    templates, which do not change while a process runs, are compiled once per process."""
    return _make_environment(templates, kind) if templates else _shipped_environment(kind)


@functools.cache
def _shipped_environment(kind: str) -> SandboxedEnvironment:
    return _make_environment(None, kind)


def _make_environment(templates: str | None, kind: str) -> SandboxedEnvironment:
    import jinja2  # a run writing only csv and json never imports Jinja

    loaders: list[jinja2.BaseLoader] = []
    if templates:
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.FileSystemLoader(default_templates()))
    env = sandbox()(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "html",
        finalize=md_escape if kind == "md" else None,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one run: no need to look at each file again for every slip
    )
    env.filters["raw"] = Markup  # for the few places a Markdown template writes its own markup
    return env


def _template_error(exc: Exception, name: str, templates: str | None) -> Diagnostic:
    """A template problem as `template:line: error: message`."""
    path = os.path.join(templates or default_templates(), name)
    if templates and not os.path.isfile(path):
        path = os.path.join(default_templates(), name)
    line = getattr(exc, "lineno", None) or 0
    if not line:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename.endswith(name):
                line = lineno
    message = getattr(exc, "message", None) or str(exc)
    import jinja2

    if isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"not allowed in a template: {message}"
    return error(Source(path, line), f"template: {message}")


# --- the view: numbers formatted for people ------------------------------------------------------


def _rate(value: Decimal | None) -> str:
    return "—" if value is None else percent_str(value)


def vote_dict(vote: VoteResult, show: Callable[[Decimal | None], Any]) -> dict[str, Any]:
    """Gate B or C as counts, the rates shown by ``show``, and the verdict."""
    return {
        "yes": vote.yes,
        "valid": vote.valid,
        "electorate": vote.electorate,
        "share": show(vote.share),
        "min_share": show(vote.min_share),
        "turnout": show(vote.turnout),
        "min_turnout": show(vote.min_turnout),
        "passed": vote.passed,
        "reason": vote.reason,
    }


def _vote_view(vote: VoteResult) -> dict[str, Any]:
    return vote_dict(vote, _rate)


def _candidate_view(c: CandidateResult) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "position": c.position,
        "department": c.department,
        "metric": _rate(c.metric),
        "metric_min": _rate(c.metric_min),
        "metric_passed": c.metric_passed,
        "metric_reason": c.metric_reason,
        "customer": _vote_view(c.customer),
        "own": _vote_view(c.own),
        "eligible": c.eligible,
        "score": "—" if c.score is None else f"{c.score.quantize(Decimal('0.0001'))}",
        "rank": "—" if c.rank is None else (f"{c.rank} (tie)" if c.tied else str(c.rank)),
    }


def provenance(results: Results) -> dict[str, str]:
    """What every report opens with: policy version, file and hash, and the inputs' hash."""
    digest = hashlib.sha256()
    for path, sha in sorted(results.inputs.items()):
        digest.update(f"{sha}  {path}\n".encode())
    return {
        "period": str(results.period),
        "version": results.policy.version,
        "policy_file": results.policy.file,
        "policy_sha256": results.policy.sha256,
        "inputs_sha256": digest.hexdigest(),
        "engine": __version__,
    }


def _slip_view(e: EmployeeResult, results: Results) -> dict[str, Any]:
    dept = results.policy.departments[e.department]
    earnings = [
        {"label": x.label, "amount": grouped(x.amount), "note": ""}
        for x in e.lines
        if x.applies and x.kind == "earning"
    ]
    deductions = [
        {"label": x.label, "amount": grouped(x.amount), "note": ""}
        for x in e.lines
        if x.applies and x.kind == "deduction"
    ]
    for a in e.adjustments:
        entry = {
            "label": a.label,
            "amount": grouped(a.amount),
            "note": f"{a.reason} (approved by {a.approved_by})",
        }
        (earnings if a.kind == "earning" else deductions).append(entry)
    for r in e.arrears:
        entry = {
            "label": r.label,
            "amount": grouped(r.amount),
            "note": f"correction of {r.period} under policy {r.version}: due {grouped(r.due)}, "
            f"paid {grouped(r.paid)}",
        }
        (earnings if r.kind == "earning" else deductions).append(entry)
    d = results.departments[e.department]
    return {
        "id": e.id,
        "name": e.name,
        "department": dept.name,
        "role": e.role,
        "employed_days": e.employed_days,
        "period_days": results.period.days,
        "earnings": earnings,
        "deductions": deductions,
        "gross": grouped(e.gross),
        "total_deductions": grouped(e.deductions),
        "net": grouped(e.net),
        "score": _rate(d.score),
        "target_met": d.target_met,
    }


def view(results: Results) -> dict[str, Any]:
    """Everything the department and promotion templates show, formatted."""
    policy = results.policy
    departments = []
    for d in results.departments.values():
        departments.append(
            {
                "id": d.id,
                "name": d.name,
                "headcount": d.headcount,
                "metrics": [
                    {
                        "id": m.id,
                        "label": m.label,
                        "value": _rate(m.value),
                        "exact": rate_str(m.value),
                        "numerator": f"{m.numerator:f}",
                        "denominator": f"{m.denominator:f}",
                        "rows": m.rows,
                        "empty": m.empty,
                    }
                    for m in d.metrics.values()
                ],
                "customers": [
                    {
                        "who": policy.departments[c.department].name
                        if c.department
                        else f"{c.external} (external)",
                        "metric": policy.metrics[c.metric].label
                        if c.metric in policy.metrics
                        else "—",
                        "target": _rate(c.target),
                        "weight": "equal" if c.weight is None else f"{c.weight}",
                        "value": _rate(c.value),
                        "met": c.met,
                    }
                    for c in d.customers
                ],
                "score": _rate(d.score),
                "target_met": d.target_met,
                "flags": list(d.flags),
                "streak": d.below_target_streak,
                "trend_svg": trend_chart(d.name, d.trend)
                if any(p.score is not None for p in d.trend)
                else None,
            }
        )
    loop = [
        {
            "supplier": policy.departments[dept_id].name,
            "customer": policy.departments[c.department].name,
            "metric": policy.metrics[c.metric].label if c.metric in policy.metrics else c.metric,
        }
        for dept_id in sorted(policy.departments)
        for c in policy.departments[dept_id].internal_customers
        if c.department
    ]
    positions: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(
        results.candidates.values(),
        key=lambda c: (c.position, c.rank is None, c.rank or 0, c.id),
    ):
        positions.setdefault(c.position, []).append(_candidate_view(c))
    return {
        "provenance": provenance(results),
        "title": policy.title,
        "currency": policy.currency,
        "departments": departments,
        "loop": loop,
        "loop_svg": loop_diagram(policy),
        "below_target_periods": policy.below_target_periods,
        "positions": [{"name": k, "candidates": v} for k, v in sorted(positions.items())],
        "gates": None
        if policy.promotion is None
        else {
            "metric_min": _rate(policy.promotion.metric_min),
            "customer": _vote_view(
                VoteResult(0, 0, 0, None, None, policy.promotion.customer_vote.min_share,
                           policy.promotion.customer_vote.min_turnout, True, "")
            ),
            "own": _vote_view(
                VoteResult(0, 0, 0, None, None, policy.promotion.own_vote.min_share,
                           policy.promotion.own_vote.min_turnout, True, "")
            ),
            "weights": {
                "metric": f"{policy.promotion.weight_metric}",
                "customer": f"{policy.promotion.weight_customer}",
                "own": f"{policy.promotion.weight_own}",
            },
        },
        "ballots": {
            "valid": results.valid_ballots,
            "void": [
                {"reason": VOID_REASONS[r], "count": n} for r, n in results.void_ballots.items()
            ],
            "void_total": sum(results.void_ballots.values()),
        },
        "totals": {
            "gross": grouped(results.total_gross),
            "deductions": grouped(results.total_deductions),
            "net": grouped(results.total_net),
            "employees": len(results.employees),
        },
    }  # fmt: skip


# --- machine-readable outputs --------------------------------------------------------------------


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else rate_str(value)


def adjustment_dict(a: Adjustment) -> dict[str, str]:
    """An adjustment as results.json and explain show it."""
    return {
        "label": a.label,
        "kind": a.kind,
        "amount": money_str(a.amount),
        "reason": a.reason,
        "approved_by": a.approved_by,
    }


def arrear_dict(r: Arrear) -> dict[str, str]:
    """An arrears line as results.json and explain show it."""
    return {
        "period": str(r.period),
        "label": r.label,
        "kind": r.kind,
        "amount": money_str(r.amount),
        "paid": money_str(r.paid),
        "due": money_str(r.due),
        "version": r.version,
    }


def employee_dict(e: EmployeeResult) -> dict[str, Any]:
    """One employee's entry of results.json."""
    return {
        "name": e.name,
        "department": e.department,
        "role": e.role,
        "employed_days": e.employed_days,
        "lines": {x.id: money_str(x.amount) for x in e.lines},
        "adjustments": [adjustment_dict(a) for a in e.adjustments],
        "arrears": [arrear_dict(r) for r in e.arrears],
        "gross": money_str(e.gross),
        "deductions": money_str(e.deductions),
        "net": money_str(e.net),
    }


def results_dict(results: Results, employees: bool = True) -> dict[str, Any]:
    """Every computed value, money and rates as strings (SPEC.md, results.json).

    Without ``employees``, their entry is left empty (for :func:`dumps_results` to fill in).
    """
    policy = results.policy
    return {
        "innerpay": RESULTS_FORMAT,
        "period": str(results.period),
        "policy": {
            "version": policy.version,
            "file": policy.file,
            "sha256": policy.sha256,
            "effective_from": str(policy.effective_from),
        },
        "departments": {
            d.id: {
                "name": d.name,
                "metrics": {m.id: rate_str(m.value) for m in d.metrics.values()},
                "score": _opt(d.score),
                "target_met": d.target_met,
                "flags": list(d.flags),
                "below_target_streak": d.below_target_streak,
                "headcount": d.headcount,
            }
            for d in results.departments.values()
        },
        "employees": (
            {e.id: employee_dict(e) for e in results.employees.values()} if employees else {}
        ),
        "promotion": {
            c.id: {
                "position": c.position,
                "department": c.department,
                "metric": _opt(c.metric),
                "metric_passed": c.metric_passed,
                "customer_share": _opt(c.customer.share),
                "customer_turnout": _opt(c.customer.turnout),
                "customer_passed": c.customer.passed,
                "own_share": _opt(c.own.share),
                "own_turnout": _opt(c.own.turnout),
                "own_passed": c.own.passed,
                "eligible": c.eligible,
                "score": _opt(c.score),
                "rank": c.rank,
                "tied": c.tied,
            }
            for c in results.candidates.values()
        },
        "ballots": {"valid": results.valid_ballots, "void": dict(results.void_ballots)},
        "totals": {
            "gross": money_str(results.total_gross),
            "deductions": money_str(results.total_deductions),
            "net": money_str(results.total_net),
        },
    }


def dumps(data: Any) -> bytes:
    """JSON as innerpay writes it: UTF-8, indented, stable."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def dumps_results(data: dict[str, Any], employees: Iterator[memoryview] | None = None) -> Stream:
    """results.json: one line per department, employee and candidate, each a compact object.

    Readable in a diff and fast to write (the C encoder, where an indented dump would use the
    pure Python one: seconds for 100,000 employees).  ``employees``, when given, are the
    employees' lines, made slice by slice as the file is written (see
    :func:`bulk_employee_lines`).
    """
    compact = _compact
    lines = ["{"]
    items = list(data.items())
    marker = "\x00employees\x00"  # no JSON text holds a NUL character
    split = marker.encode()
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "employees" and employees is not None:
            lines.append(f"  {compact(key)}: {{")
            lines.append(marker)
            lines.append(f"  }}{comma}")
        elif isinstance(value, dict) and key in ("departments", "employees", "promotion") and value:
            lines.append(f"  {compact(key)}: {{")
            entries = list(value.items())
            for j, (name, entry) in enumerate(entries):
                tail = "," if j < len(entries) - 1 else ""
                lines.append(f"    {compact(name)}: {compact(entry)}{tail}")
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {compact(key)}: {compact(value)}{comma}")
    lines.append("}")
    text = ("\n".join(lines) + "\n").encode()
    if employees is None:
        return text
    before, after = text.split(split)

    def made(employees: Iterator[memoryview]) -> Iterator[bytes | memoryview]:
        yield before
        yield from employees
        yield after

    return made(employees)


def payroll_csv(results: Results) -> Content:
    """One row per employee: id, name, department, every line, adjustments, gross, deductions,
    net."""
    lines = results.policy.lines
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["id", "name", "department"]
        + [line.id for line in lines]
        + ["adjustments_earning", "adjustments_deduction"]
        + ["arrears_earning", "arrears_deduction", "arrears_periods"]
        + ["gross", "deductions", "net"]
    )
    if isinstance(results.employees, EmployeeResults):
        rows = bulk_payroll_rows(results.employees, lambda e: _payroll_row(e, lines))
        return out.getvalue().encode("utf-8"), rows
    for e in results.employees.values():
        writer.writerow(_payroll_row(e, lines))
    return out.getvalue().encode("utf-8")


def _payroll_row(e: EmployeeResult, lines: tuple[PayLine, ...]) -> list[str]:
    amounts = {x.id: x.amount for x in e.lines}
    adj_earn = sum((a.amount for a in e.adjustments if a.kind == "earning"), Decimal(0))
    adj_ded = sum((a.amount for a in e.adjustments if a.kind == "deduction"), Decimal(0))
    arr_earn = sum((r.amount for r in e.arrears if r.kind == "earning"), Decimal(0))
    arr_ded = sum((r.amount for r in e.arrears if r.kind == "deduction"), Decimal(0))
    return (
        [e.id, e.name, e.department]
        + [money_str(amounts[line.id]) for line in lines]
        + [money_str(adj_earn), money_str(adj_ded)]
        + [money_str(arr_earn), money_str(arr_ded), " ".join(str(r.period) for r in e.arrears)]
        + [money_str(e.gross), money_str(e.deductions), money_str(e.net)]
    )


# --- the same outputs over whole columns (a large company; see innerpay.bulk) --------------------

#: Text that JSON escapes or CSV quotes: such an employee's lines are made by the row path.
_NEEDS_ESCAPE = r'[,"\\\x00-\x1f]'


def _money_text(employees: EmployeeResults, name: str, column: Any) -> Any:
    """A money column as text (made once for both outputs)."""
    made = employees.texts.get(name)
    if made is None:
        made = employees.texts[name] = columnar.pc.cast(column, columnar.pa.string())
    return made


def _special(employees: EmployeeResults) -> list[int]:
    """Employees whose lines the row path makes: those with adjustments or arrears or paid by
    the row path, and those whose id, name, department or role needs escaping or quoting."""
    found = employees.texts.get("special")
    if found is None:
        pc = columnar.pc
        columns = employees.columns
        roster = columns.roster
        marked = None
        for name in ("id", "name", "department", "role"):
            hit = pc.match_substring_regex(roster.columns[name], _NEEDS_ESCAPE)
            marked = hit if marked is None else pc.or_(marked, hit)
        special = set(pc.indices_nonzero(marked).to_pylist()) if marked is not None else set()
        special |= {roster.index(emp_id) for emp_id in columns.special | set(columns.deferred)}
        found = employees.texts["special"] = sorted(special)
    return found


#: Employees whose results.json lines are made at a time: the file is written slice by slice.
SLICE_ROWS = 1 << 17


def bulk_employee_lines(employees: EmployeeResults) -> Iterator[memoryview]:
    """The employees' lines of results.json, made over whole columns and encoded, slice by
    slice: the same bytes as :func:`employee_dict` through the encoder gives, joined by
    ",\\n"."""
    pa, pc = columnar.pa, columnar.pc
    columns = employees.columns
    roster = columns.roster
    parts: list[Any] = ['    "', roster.columns["id"], '": {"name": "', roster.columns["name"]]
    parts += ['", "department": "', roster.columns["department"], '", "role": "']
    parts += [roster.columns["role"], '", "employed_days": ']
    parts += [pc.cast(columns.employed_days, pa.string()), ', "lines": {']
    for k, (line_id, amounts) in enumerate(columns.lines.items()):
        text = _money_text(employees, f"line {line_id}", amounts)
        parts += [("" if k == 0 else ", ") + _compact(line_id) + ': "', text, '"']
    texts = {name: _money_text(employees, name, getattr(columns, name))
             for name in ("gross", "deductions", "net")}  # fmt: skip
    parts += ['}, "adjustments": [], "arrears": [], "gross": "', texts["gross"]]
    parts += ['", "deductions": "', texts["deductions"], '", "net": "', texts["net"], '"},\n']
    special = _special(employees)
    count = len(roster)
    for start in range(0, count, SLICE_ROWS):
        size = min(SLICE_ROWS, count - start)
        sliced = [p if isinstance(p, str) else p.slice(start, size) for p in parts]
        made = pc.binary_join_element_wise(*sliced, "")
        here = special[
            bisect.bisect_left(special, start) : bisect.bisect_left(special, start + size)
        ]
        if here:
            entries = [employees[roster.ids[k]] for k in here]
            made = _replaced(
                made,
                [k - start for k in here],
                [f"    {_compact(e.id)}: {_compact(employee_dict(e))},\n" for e in entries],
            )
        piece = _concatenated(made)
        yield piece[: -len(",\n")] if start + size == count else piece


def _replaced(made: Any, where: list[int], texts: list[str]) -> Any:
    """``made`` with the strings at ``where`` replaced by ``texts``."""
    pa, pc = columnar.pa, columnar.pc
    mask = [False] * len(made)
    for k in where:
        mask[k] = True
    return pc.replace_with_mask(made, pa.array(mask), pa.array(texts, pa.string()))


def _concatenated(made: Any) -> memoryview:
    """Every string of an array, one after the other, encoded (no Python string per row)."""
    pa = columnar.pa
    made = made.combine_chunks() if hasattr(made, "combine_chunks") else made
    offsets = pa.Array.from_buffers(
        pa.int32(), len(made) + 1, [None, made.buffers()[1]], offset=made.offset
    )
    start, end = offsets[0].as_py(), offsets[-1].as_py()
    return memoryview(made.buffers()[2])[start:end]  # no copy: the caller joins it once


def bulk_payroll_rows(
    employees: EmployeeResults, row: Callable[[EmployeeResult], list[str]]
) -> memoryview:
    """payroll.csv's rows, made over whole columns and encoded: the same bytes as the csv
    writer gives."""
    pc = columnar.pc
    columns = employees.columns
    roster = columns.roster
    parts: list[Any] = [roster.columns["id"], ",", roster.columns["name"], ","]
    parts += [roster.columns["department"]]
    for line_id, amounts in columns.lines.items():
        parts += [",", _money_text(employees, f"line {line_id}", amounts)]
    totals = {name: _money_text(employees, name, getattr(columns, name))
              for name in ("gross", "deductions", "net")}  # fmt: skip
    parts += [",0.00,0.00,0.00,0.00,,", totals["gross"], ","]
    parts += [totals["deductions"], ",", totals["net"], "\r\n"]
    made = pc.binary_join_element_wise(*parts, "")
    special = _special(employees)
    if special:
        texts = []
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for k in special:
            writer.writerow(row(employees[roster.ids[k]]))
            texts.append(out.getvalue())
            out.seek(0)
            out.truncate()
        made = _replaced(made, special, texts)
    return _concatenated(made)


# --- a whole run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The files of a run, by path relative to ``<out>/<period>``."""

    files: dict[str, Content]  # bytes, or a large file's pieces (see innerpay.outputs)


def _render(env: SandboxedEnvironment, name: str, templates: str | None, **context: Any) -> bytes:
    try:
        template = env.get_template(name)  # loaded and compiled once, then from Jinja's cache
        return template.render(**context).encode("utf-8")
    except Exception as exc:  # a user template may fail in any way (Jinja's errors included)
        raise InnerpayError([_template_error(exc, name, templates)]) from None


def render_files(
    results: Results,
    formats: tuple[str, ...] = FORMATS,
    templates: str | None = None,
    progress: Progress = quietly,
) -> Rendered:
    """Every output file of the requested formats; raises InnerpayError for a template problem."""
    files = dict(templated_files(results, formats, templates, progress))
    files.update((name, kept(content)) for name, content in data_files(results, formats))
    return Rendered(dict(sorted(files.items())))


def templated_files(
    results: Results,
    formats: tuple[str, ...] = FORMATS,
    templates: str | None = None,
    progress: Progress = quietly,
) -> Iterator[tuple[str, Content]]:
    """The reports, then the pay slips (Markdown, HTML), each rendered when taken (a run writes
    100,000 slips without holding them); raises InnerpayError for a template problem."""
    envs = {kind: _environment(templates, kind) for kind in ("md", "html") if kind in formats}
    context = view(results) if envs else {}  # what the reports and slips show
    for kind, env in envs.items():
        for report in ("departments", "promotion"):
            yield f"{report}.{kind}", _render(env, f"{report}.{kind}.j2", templates, **context)
    if envs:
        # the partials every slip shows alike, rendered once (a slip may still include them)
        partials = {
            kind: {
                f"{part}_block": Markup(
                    _render(env, f"_{part}.{kind}.j2", templates, **context).decode().rstrip("\n")
                )
                for part in (("provenance", "style") if kind == "html" else ("provenance",))
            }
            for kind, env in envs.items()
        }
        for e in progress("rendering pay slips", results.employees.values()):
            slip = _slip_view(e, results)
            for kind, env in envs.items():
                yield (
                    f"payslips/{e.id}.{kind}",
                    _render(
                        env,
                        f"payslip.{kind}.j2",
                        templates,
                        slip=slip,
                        provenance=context["provenance"],
                        currency=context["currency"],
                        title=context["title"],
                        **partials[kind],
                    ),
                )


def data_files(
    results: Results, formats: tuple[str, ...] = FORMATS
) -> Iterator[tuple[str, Stream]]:
    """payroll.csv and results.json, each made only when the one before has been taken (a run
    writes each and lets it go before the next is made)."""
    if "csv" in formats:
        yield "payroll.csv", payroll_csv(results)
    if "json" in formats:
        if isinstance(results.employees, EmployeeResults) and len(results.employees):
            lines = bulk_employee_lines(results.employees)
            yield "results.json", dumps_results(results_dict(results, employees=False), lines)
        else:
            yield "results.json", dumps_results(results_dict(results))
