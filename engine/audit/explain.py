"""Explanations: where each number of one employee's slip comes from.

For each pay line: the formula and its policy file:line, each name it actually read (a short-
circuited branch is not shown) with its value and origin (a data file and row, a parameter, the
department's metric with its numerator and denominator, an earlier line), and the rounding.  For a
candidate: each gate as actual against required.  :func:`explain` builds a versioned structure
(``--json`` prints it as is); :func:`render_text` makes it readable for a person.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

from ..data import Employee, PeriodData, employed_days
from ..errors import Diagnostic, Kind, Source, error, suggest
from ..evaluate.pay import Names, department_names, more_names, pay_lines
from ..evaluate.results import Appraisal, CandidateResult, DepartmentResult, Results
from ..formulas import StepTable
from ..formulas.parse import BandTable
from ..numbers import CONTEXT, grouped, money_str, percent_str, rate_str
from ..policy.model import Policy
from ..policy.names import ARREARS
from ..render.files import adjustment_dict, arrear_dict
from ..render.rows import amount_str
from ..render.view import vote_dict

EXPLAIN_FORMAT = 1


def _value(value: Any) -> Any:
    """A value as JSON shows it: numbers and dates as text, conditions as booleans."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, StepTable):
        return [[str(t), str(v)] for t, v in value.rows]
    if isinstance(value, BandTable):
        rows = []
        for k in range(len(value.bounds) + 1):
            row = {"up_to": str(value.bounds[k])} if k < len(value.bounds) else {}
            rows.append(row | {name: str(column[k]) for name, column in value.columns})
        return rows
    return str(value)


def _metrics_text(dept: DepartmentResult, data: PeriodData, policy: Policy) -> list[str]:
    out = []
    for m in dept.metrics.values():
        table = data.table_files[policy.metrics[m.id].table]
        if m.empty:
            out.append(f"{m.id} = {m.value} (no rows in {table}: when_empty)")
        else:
            out.append(f"{m.id} = {m.numerator} ÷ {m.denominator} over {m.rows} rows of {table}")
    return out


def _origin(
    name: str,
    employee: Employee,
    policy: Policy,
    data: PeriodData,
    dept: DepartmentResult,
    results: Results,
) -> str:
    """Where a name's value comes from, in words a person can check."""
    found = _origin_more(name, employee, policy, data, results)
    if found is not None:
        return found
    if name in policy.parameters:
        return f"parameter {name} ({policy.doc.key_at(('parameters', name))})"
    if name in policy.employee_fields or name in ("id", "name", "department", "role"):
        return f"{employee.source}, column {name}"
    if name in policy.lines_by_id:
        return f"pay line {name}, rounded as on the slip"
    if name == "period_days":
        return f"days in {data.period}"
    if name == "employed_days":
        hired = employee.hired_on.isoformat() if employee.hired_on else "—"
        left = employee.left_on.isoformat() if employee.left_on else "—"
        return (
            f"{data.period} from hired_on {hired} to left_on {left} ({employee.source}), "
            "both days included"
        )
    if name == "has_customer":
        customers = ", ".join(c.department for c in dept.customers if c.department) or "none"
        return f"department {dept.id} has internal customers: {customers}"
    if name == "score":
        return (
            f"department {dept.id}: "
            + "; ".join(_metrics_text(dept, data, policy))
            + (" (customer-weighted mean)" if len(dept.metrics) > 1 else "")
        )
    if name == "target_met":
        parts = [
            f"{c.metric} {c.value} ≥ {c.target} ({c.department}): {'met' if c.met else 'missed'}"
            for c in dept.customers
            if c.department
        ]
        return f"department {dept.id}: " + "; ".join(parts)
    if name in dept.metrics:
        m = dept.metrics[name]
        return f"department {dept.id}: " + next(
            t for t in _metrics_text(dept, data, policy) if t.startswith(f"{m.id} ")
        )
    return "computed"  # pragma: no cover - every name a formula may read is listed above


def _origin_more(
    name: str, employee: Employee, policy: Policy, data: PeriodData, results: Results
) -> str | None:
    """Where the names of a payroll of record come from: the period, the months employed, the
    arrears, the adjustments of a category, a record sum's rows, and each earlier month."""
    period = data.period
    if name in ("period_year", "period_month", "period_start", "period_end"):
        return f"the period {period}"
    if name == "months_employed":
        hired = employee.hired_on.isoformat() if employee.hired_on else "—"
        return (
            f"months of {period.year} employed through {period}: hired_on {hired} "
            f"({employee.source}); the hire month counts as a whole month"
        )
    paid = results.employees[employee.id]
    if name == ARREARS:
        carried = [f"{r.label} {grouped(r.signed)}" for r in paid.arrears]
        return "arrears paid this period: " + ("; ".join(carried) or "none")
    if name.startswith("adjustments("):
        category = name[len('adjustments("') : -2]
        items = [
            f"{a.label} {grouped(a.signed)} ({a.source})"
            for a in paid.adjustments
            if a.category == category
        ]
        return f"adjustments of category {category}: " + ("; ".join(items) or "none")
    if name in policy.record_sums:
        record_sum = policy.record_sums[name]
        sums = data.records.get(record_sum.table)
        if sums is None or not sums.present:
            return f"no {record_sum.table} records this period (an optional table)"
        lines = sums.lines.get(name, {}).get(employee.id, [])
        how = (
            f"Σ {record_sum.sum.text.strip()}"
            if record_sum.sum
            else (f"rows where {record_sum.count.text.strip()}" if record_sum.count else "rows")
        )
        where = f" where {record_sum.when.text.strip()}" if record_sum.when else ""
        rows = ", ".join(map(str, lines)) if lines else "none"
        return f"{how}{where} over {len(lines)} row(s) of {sums.path}: lines {rows}"  # fmt: skip
    if name.startswith("ytd(") and results.earlier is not None:
        read = name[len("ytd(") : -1]
        parts = [
            f"{m.label} ({m.source.describe(m)}) {grouped(amount)}"
            for m, amount in results.earlier.contributions(employee.id, read)
        ]
        return f"Σ {read} over the earlier months of {period.year}: " + (
            "; ".join(parts) or f"none ({period} is the first month)"
        )
    return None


def _gates(c: CandidateResult, results: Results) -> dict[str, Any]:
    promotion = results.policy.promotion
    assert promotion is not None
    return {
        "position": c.position,
        "gates": {
            "metric": {
                "actual": _value(c.metric),
                "required": _value(c.metric_min),
                "passed": c.metric_passed,
                "reason": c.metric_reason,
            },
            "customer_vote": vote_dict(c.customer, _value),
            "own_vote": vote_dict(c.own, _value),
        },
        "eligible": c.eligible,
        "score": _value(c.score),
        "score_formula": (
            f"{promotion.weight_metric} × {c.metric} + {promotion.weight_customer} × "
            f"{c.customer.share} + {promotion.weight_own} × {c.own.share}"
            if c.score is not None
            else None
        ),
        "rank": c.rank,
        "tied": c.tied,
    }


def explain(
    results: Results, data: PeriodData, employee_id: str, line_id: str | None = None
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """The explanation of one employee (and one line, with ``line_id``) as a plain structure."""
    policy = results.policy
    roster = data.roster
    at = roster.index(employee_id)
    if at is None:
        return None, [
            error(
                Source(roster.path),
                f"no employee '{employee_id}' in {data.period}{suggest(employee_id, roster.ids)}",
                Kind.USAGE,
            )
        ]
    employee = roster.employee(at)
    if line_id is not None and line_id not in policy.lines_by_id:
        return None, [
            error(
                Source(policy.file),
                f"no pay line '{line_id}' in policy {policy.version}"
                f"{suggest(line_id, policy.lines_by_id)}",
                Kind.USAGE,
            )
        ]
    paid = results.employees[employee_id]
    dept = results.departments[employee.department]
    # the same evaluator as the run, on this one employee, recording what each line reads
    traces: dict[str, list[tuple[str, Any]]] = {}
    departments = {
        d.id: department_names(
            policy, policy.departments[d.id], Appraisal(d.metrics, d.customers, d.score,
                                                        d.target_met)
        )
        for d in results.departments.values()
    }  # fmt: skip
    one = roster.only(at)
    more = more_names(policy, data, paid.arrears, results.earlier, one)
    with decimal.localcontext(CONTEXT):
        _, exact, _, _ = pay_lines(policy, Names(policy, data.period, one, departments, more),
                                   traces)  # fmt: skip
    lines = []
    notes, row = results.employees.notes, results.employees.roster.index(employee_id)
    for result in paid.lines:
        if line_id is not None and result.id != line_id:
            continue
        line = policy.lines_by_id[result.id]
        said = notes.of(line, row) if notes is not None and row is not None else ("", "")
        inputs: dict[str, dict[str, Any]] = {}
        for name, value in traces.get(result.id, []):
            inputs.setdefault(
                name,
                {
                    "name": name,
                    "value": _value(value),
                    "origin": _origin(name, employee, policy, data, dept, results),
                },
            )
        lines.append(
            {
                "id": result.id,
                "label": result.label,
                "kind": result.kind,
                "applies": result.applies,
                "amount": amount_str(result.amount, result.places),
                "exact": str(exact[result.id].at(0)) if result.applies else None,
                "rounding": f"{policy.line_rounding(line)} to {_unit(line.places)}",
                "when": None
                if line.when is None
                else {
                    "text": line.when.text,
                    "source": str(line.when.source),
                    "value": result.applies,
                },
                "formula": {"text": line.formula.text, "source": str(line.formula.source)},
                "inputs": list(inputs.values()),
                # the sentence under the line on the slip (its note, the step, the proration)
                "slip": {"zh": said[0], "en": said[1]} if result.applies else None,
            }
        )
    candidate = results.candidates.get(employee_id)
    return {
        "explain": EXPLAIN_FORMAT,
        "period": str(data.period),
        "policy": {"version": policy.version, "file": policy.file},
        "employee": {
            "id": employee.id,
            "name": employee.name,
            "department": employee.department,
            "role": employee.role,
            "source": str(employee.source),
            "employed_days": employed_days(employee.hired_on, employee.left_on, data.period),
            "period_days": data.period.days,
        },
        "department": {
            "id": dept.id,
            "name": dept.name,
            "score": _value(dept.score),
            "target_met": dept.target_met,
            "flags": list(dept.flags),
            "metrics": [
                {
                    "id": m.id,
                    "value": rate_str(m.value),
                    "numerator": str(m.numerator),
                    "denominator": str(m.denominator),
                    "rows": m.rows,
                    "table": data.table_files[policy.metrics[m.id].table],
                    "when_empty": m.empty,
                }
                for m in dept.metrics.values()
            ],
            "customers": [
                {
                    "department": c.department,
                    "external": c.external,
                    "metric": c.metric,
                    "value": _value(c.value),
                    "target": _value(c.target),
                    "met": c.met,
                }
                for c in dept.customers
            ],
        },
        "lines": lines,
        "adjustments": [{**adjustment_dict(a), "source": str(a.source)} for a in paid.adjustments],
        "arrears": [arrear_dict(r) for r in paid.arrears],
        **(
            {"warnings": [{"check": c, "message": m} for c, m in paid.warnings]}
            if policy.checks
            else {}
        ),
        "totals": {
            "gross": money_str(paid.gross),
            "deductions": money_str(paid.deductions),
            "net": money_str(paid.net),
        },
        "promotion": None if candidate is None else _gates(candidate, results),
    }, []


def _unit(places: int) -> str:
    """A rounding unit as a person writes it: 0.01, 1."""
    return f"{Decimal(1).scaleb(-places):f}"


def _pct(value: str | None) -> str:
    return "—" if value is None else f"{value} ({percent_str(Decimal(value))})"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and value and isinstance(value[0], dict):  # a band table
        return "; ".join(
            ("≤ " + row["up_to"] if "up_to" in row else "above") + ": "
            + ", ".join(f"{k} {v}" for k, v in row.items() if k != "up_to")
            for row in value
        )  # fmt: skip
    if isinstance(value, list):  # a step table
        return ", ".join(f"{t}→{v}" for t, v in value)
    return str(value)


def _money(text: str) -> str:
    """Money grouped to the cent (a value kept to more places is shown as it is)."""
    places = len(text.partition(".")[2])
    return grouped(Decimal(text)) if places <= 2 else text


def _department_text(d: dict[str, Any]) -> list[str]:
    verdicts = {True: "target met", False: "target missed", None: "no internal customer"}
    flags = f"; flags: {', '.join(d['flags'])}" if d["flags"] else ""
    out = [f"Department {d['name']}: score {_pct(d['score'])}, {verdicts[d['target_met']]}{flags}"]
    for m in d["metrics"]:
        if m["when_empty"]:
            out.append(f"  {m['id']} = {m['value']}: no rows in {m['table']}, the when_empty value")
        else:
            out.append(
                f"  {m['id']} = {m['numerator']} ÷ {m['denominator']} = {_pct(m['value'])} over "
                f"{m['rows']} rows of {m['table']}"
            )
    for c in d["customers"]:
        if c["department"]:
            judged = "met" if c["met"] else "missed"
            out.append(
                f"  appraised by {c['department']} on {c['metric']}: ≥ {c['target']}, {judged}"
            )
        else:
            out.append(f"  external customer {c['external']} (appraises nothing)")
    return out


def _line_text(line: dict[str, Any]) -> list[str]:
    head = f"{line['id']} {line['label']}"
    when, formula = line["when"], line["formula"]
    if not line["applies"]:
        out = [f"{head} = 0.00: not applied, because its condition is false"]
        out.append(f"  when     {when['text']}    {when['source']}")
    else:
        out = [f"{head} = {_money(line['amount'])} ({line['kind']})"]
        if when:
            out.append(f"  when     {when['text']}    {when['source']}")
        out.append(f"  formula  {formula['text'].strip()}    {formula['source']}")
    width = max((len(i["name"]) for i in line["inputs"]), default=0)
    for i in line["inputs"]:
        out.append(f"    {i['name']:<{width}}  {_shown(i['value']):<14}  {i['origin']}")
    if line["applies"]:
        out.append(f"  unrounded {line['exact']} → rounded {line['rounding']} = {line['amount']}")
    slip = line.get("slip") or {}
    said = [x for x in (slip.get("zh"), slip.get("en")) if x]
    for k, sentence in enumerate(dict.fromkeys(said)):
        out.append(f"  {'on the slip' if k == 0 else '':<11}  {sentence}")
    return out


def _promotion_text(p: dict[str, Any]) -> list[str]:
    g = p["gates"]
    out = [f"Candidate for {p['position']}: {'eligible' if p['eligible'] else 'not eligible'}"]
    a = g["metric"]
    verdict = "pass" if a["passed"] else f"FAIL ({a['reason']})"
    out.append(f"  A. metric {_pct(a['actual'])} ≥ {a['required']}: {verdict}")
    for key, title in (("customer_vote", "B. customer vote"), ("own_vote", "C. own vote")):
        v = g[key]
        verdict = "pass" if v["passed"] else f"FAIL ({v['reason']})"
        out.append(
            f"  {title}: share {v['yes']}/{v['valid']} = {_pct(v['share'])} ≥ "
            f"{v['min_share']}; turnout {v['valid']}/{v['electorate']} = "
            f"{_pct(v['turnout'])} ≥ {v['min_turnout']}: {verdict}"
        )
    if p["score_formula"]:
        out.append(f"  score {p['score_formula']} = {p['score']}")
    rank = "—" if p["rank"] is None else f"{p['rank']}{' (tie)' if p['tied'] else ''}"
    out.append(f"  rank {rank}")
    return out


def render_text(x: dict[str, Any]) -> str:
    """An explanation for a person: collapsed to what matters, one block per line."""
    e = x["employee"]
    out = [
        f"{e['id']} {e['name']} — {x['department']['name']}, {e['role']} — {x['period']}, "
        f"policy {x['policy']['version']} ({x['policy']['file']})",
        f"  data: {e['source']}; employed {e['employed_days']} of {e['period_days']} days",
        "",
        *_department_text(x["department"]),
    ]
    for line in x["lines"]:
        out += ["", *_line_text(line)]
    for a in x["adjustments"]:
        out += [
            "",
            f"{a['label']} = {_money(a['amount'])} ({a['kind']}, adjustment): {a['reason']}; "
            f"approved by {a['approved_by']} ({a['source']})",
        ]
    for r in x["arrears"]:
        out += [
            "",
            f"{r['label']} = {_money(r['amount'])} ({r['kind']}): {r['period']} under policy "
            f"{r['version']} pays {r['due']} net; {r['paid']} was paid",
        ]
    t = x["totals"]
    out += [
        "",
        f"gross {_money(t['gross'])} = Σ earnings; deductions {_money(t['deductions'])}; "
        f"net {_money(t['net'])} = gross − deductions",
    ]
    for w in x.get("warnings", []):
        out += ["", f"warning: check {w['check']}: {w['message']}"]
    if x["promotion"] is not None:
        out += ["", *_promotion_text(x["promotion"])]
    return "\n".join(out) + "\n"
