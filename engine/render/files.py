"""Rendering: :class:`~innerpay.evaluate.results.Results` → the files of a run.

The last step of the pipeline and a pure consumer of results: the reports and pay slips through
the templates (:mod:`innerpay.render.templates`, over :mod:`innerpay.render.view`), and
``payroll.csv`` and ``results.json``, each written by one writer from the results' columns.  It
returns file contents, made as they are taken; writing them to disk safely is
:mod:`innerpay.outputs`' job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ..data.period import Adjustment
from ..evaluate.results import Arrear, EmployeeResult, Results
from ..formulas.vectors import Vector
from ..numbers import money_str, rate_str
from ..outputs import Content, Stream, kept
from ..policy.model import LineKind, PayLine
from ..progress import Progress, quietly
from .rows import (
    FORMULA_START,
    SLICE_ROWS,
    Made,
    _compact,
    _cut,
    amount_str,
    rows_text,
    summed,
)
from .templates import environment, render
from .view import slip_view, view

#: The formats a run writes unless told otherwise.
FORMATS = ("md", "html", "csv", "json")
#: Every format a run can write: PDF (each report and slip) and payroll.xlsx when asked for.
ALL_FORMATS = (*FORMATS, "xlsx", "pdf")
RESULTS_FORMAT = 1

#: The reports of a run (each in Markdown and HTML), the ones the boss signs.
REPORTS = ("departments", "promotion", "payroll-summary")


# --- results.json ------------------------------------------------------------------------------


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
        **({"because": r.because} if r.because else {}),
    }


def employee_dict(e: EmployeeResult, checks: bool = False) -> dict[str, Any]:
    """One employee's entry of results.json (with ``checks``, the checks that warn of them)."""
    found = {
        "name": e.name,
        "department": e.department,
        "role": e.role,
        "employed_days": e.employed_days,
        "lines": {x.id: amount_str(x.amount, x.places) for x in e.lines},
        "adjustments": [adjustment_dict(a) for a in e.adjustments],
        "arrears": [arrear_dict(r) for r in e.arrears],
        "gross": money_str(e.gross),
        "deductions": money_str(e.deductions),
        "net": money_str(e.net),
    }
    if checks:
        found["warnings"] = [check_id for check_id, _ in e.warnings]
    return found


def results_dict(results: Results, employees: bool = True) -> dict[str, Any]:
    """Every computed value, money and rates as strings (SPEC.md, results.json).

    Without ``employees``, their entry is left empty (for :func:`dumps_results` to fill in).
    """
    policy = results.policy
    return {
        "innerpay": RESULTS_FORMAT,
        "period": str(results.period),
        **({"draft": True} if results.draft else {}),
        "policy": {
            "version": policy.version,
            "file": results.policy_file,
            "sha256": policy.sha256,
            "effective_from": str(policy.effective_from),
        },
        "departments": {
            d.id: {
                "name": d.name,
                "metrics": {m.id: rate_str(m.value) for m in d.metrics.values()},
                "score": _opt(d.score),
                "target_met": d.target_met,
                "flags": [str(f) for f in d.flags],
                "below_target_streak": d.below_target_streak,
                "headcount": d.headcount,
            }
            for d in results.departments.values()
        },
        "employees": (
            {e.id: employee_dict(e, bool(policy.checks)) for e in results.employees.values()}
            if employees
            else {}
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
        "ballots": {
            "valid": results.valid_ballots,
            "void": {str(r): n for r, n in results.void_ballots.items()},
        },
        "totals": {
            "gross": money_str(results.total_gross),
            "deductions": money_str(results.total_deductions),
            "net": money_str(results.total_net),
        },
    }


def dumps(data: Any) -> bytes:
    """JSON as innerpay writes it: UTF-8, indented, stable."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def employee_line(e: EmployeeResult, checks: bool = False) -> str:
    """One employee's line of results.json (without the comma that joins it to the next)."""
    return f"    {_compact(e.id)}: {_compact(employee_dict(e, checks))}"


def results_json(results: Results, made: Made | None = None) -> Stream:
    """results.json: one line per department, employee and candidate, each a compact object.

    Readable in a diff and fast to write (the C encoder, where an indented dump would use the
    pure Python one: seconds for 100,000 employees).  The employees' lines are made a slice at
    a time, as the file is written.
    """
    data = results_dict(results, employees=False)
    employees = len(results.employees) > 0
    lines = ["{"]
    items = list(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "employees" and employees:
            lines += [f"  {_compact(key)}: {{", _EMPLOYEES, f"  }}{comma}"]
        elif isinstance(value, dict) and key in ("departments", "promotion") and value:
            lines.append(f"  {_compact(key)}: {{")
            entries = list(value.items())
            for j, (name, entry) in enumerate(entries):
                tail = "," if j < len(entries) - 1 else ""
                lines.append(f"    {_compact(name)}: {_compact(entry)}{tail}")
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}{comma}")
    lines.append("}")
    text = ("\n".join(lines) + "\n").encode()
    if not employees:
        return text
    before, after = text.split(_EMPLOYEES.encode())

    def pieces() -> Iterator[bytes | memoryview]:
        yield before
        yield from _employee_lines(made or Made(results.employees))
        yield after

    return pieces()


_EMPLOYEES = "\x00employees\x00"  # no JSON text holds a NUL character


def _employee_lines(made: Made) -> Iterator[bytes | memoryview]:
    """The employees' lines, joined by ",\n", a slice at a time."""
    payroll = made.payroll
    size = len(payroll)
    checks = bool(payroll.policy.checks)
    for start in range(0, size, SLICE_ROWS):
        end = min(start + SLICE_ROWS, size)
        text = rows_text(_json_parts(made, start, end), made.special(start, end),
                         lambda k: employee_line(payroll[payroll.roster.ids[k]], checks) + ",\n",
                         start, end)  # fmt: skip
        yield text[: -len(",\n")] if end == size else text


def _json_parts(made: Made, start: int, end: int) -> list[str | Vector]:
    payroll = made.payroll
    roster = payroll.roster
    cut = _cut(start, end)
    parts: list[str | Vector] = ['    "', cut(roster.columns["id"]), '": {"name": "']
    parts += [cut(roster.columns["name"]), '", "department": "', cut(roster.columns["department"])]
    parts += ['", "role": "', cut(roster.columns["role"]), '", "employed_days": ']
    parts += [made.text("days", start, end), ', "lines": {']
    for k, line_id in enumerate(payroll.lines):
        parts += [("" if k == 0 else ", ") + _compact(line_id) + ': "']
        parts += [made.text(f"line {line_id}", start, end), '"']
    parts += ['}, "adjustments": [], "arrears": [], "gross": "', made.text("gross", start, end)]
    parts += ['", "deductions": "', made.text("deductions", start, end), '", "net": "']
    parts += [made.text("net", start, end)]
    if payroll.policy.checks:
        parts += ['", "warnings": ', made.text("warnings", start, end), "},\n"]
    else:
        parts += ['"},\n']
    return parts


# --- payroll.csv ---------------------------------------------------------------------------------


def payroll_header(lines: tuple[PayLine, ...]) -> list[str]:
    """payroll.csv's columns: id, name, department, every line, adjustments, arrears, totals."""
    return (
        ["id", "name", "department"]
        + [line.id for line in lines]
        + ["adjustments_earning", "adjustments_deduction"]
        + ["arrears_earning", "arrears_deduction", "arrears_periods"]
        + ["gross", "deductions", "net"]
    )


def neutralised(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs: one that would start a formula
    (``=HYPERLINK(...)``) gets a leading apostrophe, as OWASP advises."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


#: The encodings payroll.csv may be written in: UTF-8 with a BOM (Chinese Excel then reads it
#: right when it is double-clicked), without one, or GB18030.
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def payroll_row(e: EmployeeResult, lines: tuple[PayLine, ...]) -> list[str]:
    """One employee's row of payroll.csv (the name :func:`neutralised`)."""
    amounts = {x.id: amount_str(x.amount, x.places) for x in e.lines}
    return (
        [e.id, neutralised(e.name), e.department]
        + [amounts[line.id] for line in lines]
        + [
            money_str(summed(items, kind))
            for items in (e.adjustments, e.arrears)
            for kind in (LineKind.EARNING, LineKind.DEDUCTION)
        ]
        + [" ".join(str(r.period) for r in e.arrears)]
        + [money_str(e.gross), money_str(e.deductions), money_str(e.net)]
    )


def _csv_text(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def payroll_csv(
    results: Results, made: Made | None = None, encoding: str = CSV_ENCODINGS[0]
) -> Stream:
    """payroll.csv in ``encoding`` (one of :data:`CSV_ENCODINGS`): a header, then one row per
    employee, a slice at a time."""
    shared = made or Made(results.employees)
    payroll = results.employees
    lines = results.policy.lines

    def rows() -> Iterator[bytes | memoryview]:
        yield ("\ufeff" if encoding == "utf-8-sig" else "").encode() + _csv_text(
            payroll_header(lines)
        ).encode()
        size = len(payroll)
        for start in range(0, size, SLICE_ROWS):
            end = min(start + SLICE_ROWS, size)
            yield rows_text(
                _csv_parts(shared, start, end),
                shared.special(start, end),
                lambda k: _csv_text(payroll_row(payroll[payroll.roster.ids[k]], lines)),
                start,
                end,
            )

    if encoding == "gb18030":  # the rows are made in UTF-8: each slice transcoded
        return (bytes(piece).decode().encode("gb18030") for piece in rows())
    return rows()


def _csv_parts(made: Made, start: int, end: int) -> list[str | Vector]:
    roster = made.payroll.roster
    cut = _cut(start, end)
    parts: list[str | Vector] = [cut(roster.columns["id"]), ",", cut(roster.columns["name"])]
    parts += [",", cut(roster.columns["department"])]
    for line_id in made.payroll.lines:
        parts += [",", made.text(f"line {line_id}", start, end)]
    parts += [",0.00,0.00,0.00,0.00,,", made.text("gross", start, end), ","]
    parts += [made.text("deductions", start, end), ",", made.text("net", start, end), "\r\n"]
    return parts


# --- a whole run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The files of a run, by path relative to ``<out>/<period>``."""

    files: dict[str, Content]  # bytes, or a large file's pieces (see innerpay.outputs)


def render_files(
    results: Results,
    formats: tuple[str, ...] = FORMATS,
    templates: str | None = None,
    progress: Progress = quietly,
    csv_encoding: str = CSV_ENCODINGS[0],
) -> Rendered:
    """Every output file of the requested formats, held (a small run, a test); raises
    InnerpayError for a template problem."""
    files = dict(templated_files(results, formats, templates, progress))
    made = data_files(results, formats, csv_encoding)
    files.update((name, kept(content)) for name, content in made)
    return Rendered(dict(sorted(files.items())))


def run_files(
    results: Results,
    formats: tuple[str, ...] = FORMATS,
    templates: str | None = None,
    progress: Progress = quietly,
    csv_encoding: str = CSV_ENCODINGS[0],
) -> Iterator[tuple[str, Stream]]:
    """Every output file, each made when the one before has been taken (a run writes each and
    lets it go): the reports and slips first (a template problem still writes nothing), then
    payroll.csv (in ``csv_encoding``) and results.json."""
    yield from templated_files(results, formats, templates, progress)
    yield from data_files(results, formats, csv_encoding)


def templated_files(
    results: Results,
    formats: tuple[str, ...] = FORMATS,
    templates: str | None = None,
    progress: Progress = quietly,
) -> Iterator[tuple[str, Content]]:
    """The reports, then the pay slips (Markdown, HTML, and PDF printed from the HTML), each
    rendered when taken (a run writes 100,000 slips without holding them); raises
    InnerpayError for a template problem."""
    pdf = "pdf" in formats
    kinds = [k for k in ("md", "html") if k in formats or (k == "html" and pdf)]
    envs = {kind: environment(templates, kind) for kind in kinds}
    if not envs:
        return
    context = view(results)  # what the reports and slips show

    def made(name: str, kind: str, content: bytes) -> Iterator[tuple[str, bytes, bool]]:
        """A file of ``kind`` (the HTML too, where a PDF is printed from it), and whether it is
        to be printed."""
        if kind in formats:
            yield f"{name}.{kind}", content, False
        if kind == "html" and pdf:
            yield f"{name}.pdf", content, True

    def files() -> Iterator[tuple[str, bytes, bool]]:
        for kind, env in envs.items():
            for report in REPORTS:
                yield from made(report, kind, render(env, f"{report}.{kind}.j2", templates,
                                                     **context))  # fmt: skip
        # the partials every slip shows alike, rendered once (a slip may still include them)
        partials = {
            kind: {
                f"{part}_block": Markup(
                    render(env, f"_{part}.{kind}.j2", templates, **context).decode().rstrip("\n")
                )
                for part in (("provenance", "style") if kind == "html" else ("provenance",))
            }
            for kind, env in envs.items()
        }
        for e in progress("rendering pay slips", results.employees.values()):
            slip = slip_view(e, results)
            for kind, env in envs.items():
                yield from made(
                    f"payslips/{e.id}",
                    kind,
                    render(
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

    if not pdf:
        yield from ((name, content) for name, content, _ in files())
        return
    from .pdf import printed

    yield from printed(files(), len(results.employees) + len(REPORTS))


def data_files(
    results: Results, formats: tuple[str, ...] = FORMATS, csv_encoding: str = CSV_ENCODINGS[0]
) -> Iterator[tuple[str, Stream]]:
    """payroll.csv, results.json and payroll.xlsx, each made only when the one before has been
    taken."""
    made = Made(results.employees)  # what the two make alike, made once
    if "csv" in formats:
        yield "payroll.csv", payroll_csv(results, made, csv_encoding)
    if "json" in formats:
        yield "results.json", results_json(results, made)
    if "xlsx" in formats:
        from .excel import payroll_xlsx

        yield "payroll.xlsx", payroll_xlsx(results, made)
