"""The view: results formatted for people, as the report and slip templates show them.

Numbers are formatted here, and only here (``12,345.60``, ``90.00%``); the templates lay them
out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ..data import columns
from ..evaluate.patterns import (
    LENIENT_MARGIN,
    MUTUAL_MARGIN,
    Leaning,
    generous_customers,
    mutual_elections,
)
from ..evaluate.results import CandidateResult, EmployeeResult, Results, VoteResult
from ..formulas import kernels
from ..formulas.kernels import split
from ..numbers import ZERO, compared, grouped, no_negative_zero, percent_str, target_str
from ..policy.model import LineKind
from ..version import __version__
from .svg import loop_diagram, trend_chart


def _rate(value: Decimal | None, against: Iterable[Decimal | None] = ()) -> str:
    """A rate as people read it (see :func:`~innerpay.numbers.percent_str`: never shown across
    a threshold ``against`` it is judged by)."""
    if value is None:
        return "—"
    return percent_str(value, against=[t for t in against if t is not None])


def _mark(value: Decimal | None) -> str:
    """A threshold (a target, a gate's minimum) exactly as written, as a percentage."""
    return "—" if value is None else target_str(value, 2)


def _check(value: Decimal | None, threshold: Decimal | None) -> str:
    """``92.31% ≥ 90.00%: met`` or ``83.33% < 90.00%: not met`` (— where there is no value)."""
    return "—" if value is None or threshold is None else compared(value, threshold)


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


def _vote_view(vote: VoteResult, smallest: int = 0) -> dict[str, Any]:
    """Gate B or C as the promotion report shows it; the figures of an electorate smaller than
    ``smallest`` withheld (ballot secrecy: "1/1 yes" would tell the one voter's ballot)."""
    made = vote_dict(vote, _rate)
    made["share"] = _rate(vote.share, [vote.min_share])
    made["turnout"] = _rate(vote.turnout, [vote.min_turnout])
    made["share_check"] = _check(vote.share, vote.min_share)
    made["turnout_check"] = _check(vote.turnout, vote.min_turnout)
    made["min_share"], made["min_turnout"] = _mark(vote.min_share), _mark(vote.min_turnout)
    made["withheld"] = ""
    if 0 < vote.electorate < smallest:
        why = (f"figures withheld: an electorate of {vote.electorate} (fewer than {smallest} "
               "voters)")  # fmt: skip
        made.update(yes="—", valid="—", share="—", turnout="—", share_check=why,
                    turnout_check=why, withheld=why)  # fmt: skip
    return made


def _candidate_view(
    c: CandidateResult, rivals: Iterable[Decimal | None] = (), smallest: int = 0
) -> dict[str, Any]:
    """A candidate as the promotion report shows them (``rivals``: the other candidates' scores
    for the position, which the shown score keeps its order with; ``smallest``: the smallest
    electorate whose figures are shown)."""
    customer, own = _vote_view(c.customer, smallest), _vote_view(c.own, smallest)
    hidden = customer["withheld"] or own["withheld"]  # the score would tell the share
    return {
        "id": c.id,
        "name": c.name,
        "position": c.position,
        "department": c.department,
        "metric": _rate(c.metric, [c.metric_min]),
        "metric_min": _mark(c.metric_min),
        "metric_check": _check(c.metric, c.metric_min),
        "metric_passed": c.metric_passed,
        "metric_reason": c.metric_reason,
        "customer": customer,
        "own": own,
        "eligible": c.eligible,
        "score": "withheld" if hidden and c.score is not None else _rate(c.score, rivals),
        "rank": "—" if c.rank is None else (f"{c.rank} (tie)" if c.tied else str(c.rank)),
    }


def provenance(results: Results) -> dict[str, str]:
    """What every report opens with: policy version, file and hash, and the inputs' hash."""
    digest = hashlib.sha256()
    for path, sha in sorted(results.inputs.items()):
        digest.update(f"{sha}  {path}\n".encode())
    draft = ""
    if results.draft:
        draft = (f"DRAFT: {results.period} is closed; this is a recomputation, not the paid run, "
                 "and it pays nobody")  # fmt: skip
    return {
        "period": str(results.period),
        "version": results.policy.version,
        "policy_file": results.policy_file,
        "policy_sha256": results.policy.sha256,
        "inputs_sha256": digest.hexdigest(),
        "engine": __version__,
        "draft": draft,
    }


def _amount(amount: Decimal, places: int) -> str:
    """An amount for people: money to the cent, a value kept to its own places."""
    return grouped(amount) if places <= 2 else f"{no_negative_zero(amount):,f}"


def slip_view(e: EmployeeResult, results: Results) -> dict[str, Any]:
    """One employee's slip, for them: each line with the sentences that say how it was
    worked out (Chinese, English), adjustments and arrears with why and who approved, year to
    date where the policy reads it."""
    policy = results.policy
    dept = policy.departments[e.department]
    payroll = results.employees
    notes, at = payroll.notes, payroll.roster.index(e.id)
    earnings: list[dict[str, str]] = []
    deductions: list[dict[str, str]] = []
    values: list[dict[str, str]] = []
    for line, x in zip(policy.lines, e.lines, strict=True):
        if x.kind.paid and not x.applies:
            continue  # left off the slip (a value is shown whatever its condition)
        zh, en = ("", "")
        if x.applies and notes is not None and at is not None:
            zh, en = notes.of(line, at)
        if not x.kind.paid:  # a value: shown with its sentence, not paid
            values.append({"label": x.label, "amount": _amount(x.amount, x.places), "zh": zh,
                           "en": en})  # fmt: skip
            continue
        entry = {"label": x.label, "amount": grouped(x.amount), "note": "", "zh": zh, "en": en,
                 "source": "rule"}  # fmt: skip
        (earnings if x.kind is LineKind.EARNING else deductions).append(entry)
    for a in e.adjustments:
        entry = {
            "label": a.label,
            "amount": grouped(a.amount),
            "note": f"{a.reason} (approved by {a.approved_by})",
            "zh": f"调整：{a.reason}；批准人 {a.approved_by}",
            "en": f"adjustment: {a.reason}; approved by {a.approved_by}",
            "source": "adjustment",
        }
        (earnings if a.kind is LineKind.EARNING else deductions).append(entry)
    for r in e.arrears:
        because = f" ({r.because})" if r.because else ""
        entry = {
            "label": r.label,
            "amount": grouped(r.amount),
            "note": f"correction of {r.period} under policy {r.version}: due {grouped(r.due)}, "
            f"paid {grouped(r.paid)}{because}",
            "zh": f"{r.period} 差额（制度 {r.version}）：应发 {grouped(r.due)}，已发 "
            f"{grouped(r.paid)}{because}",
            "en": f"correction of {r.period} under policy {r.version}: due {grouped(r.due)}, "
            f"paid {grouped(r.paid)}{because}",
            "source": "arrear",
        }
        (earnings if r.kind is LineKind.EARNING else deductions).append(entry)
    d = results.departments[e.department]
    company = policy.company
    paid_on = company.pay_date(results.period) if company else None
    role_label = policy.domains.get("role", {}).get(e.role)
    return {
        "company": company.name if company else "",
        "pay_date": paid_on.isoformat() if paid_on else "",
        "values": values,
        "warnings": [message for _, message in e.warnings],
        "id": e.id,
        "name": e.name,
        "department": dept.name,
        "role": e.role,
        "role_label": role_label or e.role,
        "employed_days": e.employed_days,
        "period_days": results.period.days,
        "prorated": e.employed_days < results.period.days,
        "earnings": earnings,
        "deductions": deductions,
        # one row per line, its amount in the column of its kind: the two columns align
        "rows": _side_by_side(earnings, deductions),
        "gross": grouped(e.gross),
        "total_deductions": grouped(e.deductions),
        "net": grouped(e.net),
        "score": _rate(d.score, [c.target for c in d.customers if c.target is not None]),
        "target_met": d.target_met,
        "ytd": _ytd_view(e, results),
    }


def _side_by_side(
    earnings: list[dict[str, str]], deductions: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The slip's rows: earnings, then deductions, each amount in its own column."""
    rows = [{**x, "earning": x["amount"], "deduction": ""} for x in earnings]
    return rows + [{**x, "earning": "", "deduction": x["amount"]} for x in deductions]


def _ytd_view(e: EmployeeResult, results: Results) -> dict[str, Any] | None:
    """Year to date (the earlier months of the year, and this one) of each name the policy
    reads year to date (``ytd(x)``: the months hold those), in the slip's order: None where
    it reads none."""
    earlier = results.earlier
    if earlier is None:
        return None
    read = set(results.policy.earlier_names)
    this = {x.id: (x.label, x.amount) for x in e.lines}
    this |= {"gross": ("应发合计 Gross", e.gross), "deductions": ("扣款合计 Deductions",
             e.deductions), "net": ("实发合计 Net", e.net)}  # fmt: skip
    rows = []
    for name, (label, amount) in this.items():
        if name not in read:
            continue
        before = sum((m.amount(e.id, name) for m in earlier.months), ZERO)
        rows.append({"label": label, "earlier": grouped(before), "this": grouped(amount),
                     "total": grouped(before + amount)})  # fmt: skip
    months = earlier.months
    span = f"{months[0].label.split('..')[0]}..{results.period}" if months else str(results.period)
    return {"span": span, "rows": rows} if rows else None


def _checks_view(results: Results) -> list[dict[str, Any]]:
    """The policy checks that warn, each with the employees it warns of (for the reports)."""
    named: dict[str, list[str]] = {}
    for emp_id, warned in sorted(results.employees.warnings.items()):
        for check_id, _ in warned:
            named.setdefault(check_id, []).append(emp_id)
    return [
        {"id": c.id, "message": c.message, "employees": named[c.id], "count": len(named[c.id])}
        for c in results.policy.checks
        if c.id in named
    ]


def department_totals(results: Results) -> dict[str, tuple[int, Decimal, Decimal, Decimal]]:
    """Each department of the policy's headcount, Σ gross, Σ deductions and Σ net (a pass over
    whole columns, as diff sums them: arrow kernels where the roster is one)."""
    payroll = results.employees
    departments = payroll.roster.columns["department"]
    headcount = columns.counts(departments)
    sums = [columns.sums_by(departments, c) for c in (payroll.gross, payroll.deductions,
                                                       payroll.net)]  # fmt: skip
    zero = Decimal(0)
    return {
        d: (headcount.get(d, 0), sums[0].get(d, zero), sums[1].get(d, zero), sums[2].get(d, zero))
        for d in results.policy.departments
    }


def summary_view(results: Results) -> dict[str, Any]:
    """The payroll summary the boss signs: totals by department and by line, every adjustment
    with its reason and approver, every arrear, the checks that warn."""
    payroll, policy = results.employees, results.policy
    by_department = department_totals(results)
    lines = []
    for line in policy.lines:
        column = payroll.lines[line.id]
        applies, _, _ = split(column.applies)
        total = kernels.total(column.amounts)
        lines.append({"id": line.id, "label": line.label, "kind": line.kind.value,
                      "employees": applies.count,
                      "total": _amount(total, line.places)})  # fmt: skip
    roster = payroll.roster
    names = {e: str(roster.columns["name"].at(at)) for e in (*payroll.adjustments,
             *payroll.arrears) for at in [roster.index(e)] if at is not None}  # fmt: skip
    adjustments = [
        {"employee": emp_id, "name": names.get(emp_id, ""), "label": a.label,
         "kind": a.kind.value, "amount": grouped(a.amount), "reason": a.reason,
         "approved_by": a.approved_by}
        for emp_id, made in sorted(payroll.adjustments.items()) for a in made
    ]  # fmt: skip
    arrears = [
        {"employee": emp_id, "name": names.get(emp_id, ""), "label": r.label,
         "kind": r.kind.value, "amount": grouped(r.amount), "paid": grouped(r.paid),
         "due": grouped(r.due), "version": r.version, "on_payroll": emp_id in names,
         "because": r.because}
        for emp_id, made in sorted(payroll.arrears.items()) for r in made
    ]  # fmt: skip
    return {
        "departments": [
            {
                "id": d.id,
                "name": d.name,
                "employees": count,
                "gross": grouped(gross),
                "deductions": grouped(deductions),
                "net": grouped(net),
            }
            for d in policy.departments.values()
            for count, gross, deductions, net in [by_department[d.id]]
        ],
        "lines": lines,
        "adjustments": adjustments,
        "arrears": [r for r in arrears if r["on_payroll"]],
        "unsettled": [r for r in arrears if not r["on_payroll"]],  # someone gone: by hand
    }


def patterns_view(results: Results) -> dict[str, Any]:
    """What the department report shows of mutual election and lenient customers (see
    :mod:`innerpay.evaluate.patterns`): the figures, in words, for the boss."""
    name = {d.id: d.name for d in results.policy.departments.values()}

    def leaning(x: Leaning) -> str:
        return (f"{name[x.voters]}'s voters said yes to {name[x.candidates]}'s candidates "
                f"{percent_str(x.share)} of {x.ballots} ballots, against "
                f"{percent_str(x.elsewhere)} of {x.elsewhere_ballots} elsewhere")  # fmt: skip

    return {
        "mutual": [
            {"pair": f"{name[one.voters]} ↔ {name[one.candidates]}",
             "figures": f"{leaning(one)}; {leaning(two)}", "period": str(results.period)}
            for one, two in mutual_elections(results)
        ],
        "generous": [
            {"customer": name[g.customer],
             "figures": "; ".join(f"{period}: {percent_str(own)} against {percent_str(rest)}"
                                  for period, own, rest in g.periods)}
            for g in generous_customers(results)
        ],
        "mutual_margin": percent_str(MUTUAL_MARGIN, 0),
        "lenient_margin": percent_str(LENIENT_MARGIN, 0),
    }  # fmt: skip


def view(results: Results) -> dict[str, Any]:
    """Everything the department and promotion templates show, formatted."""
    policy = results.policy
    departments = []
    for d in results.departments.values():
        targets = [c.target for c in d.customers if c.target is not None]
        departments.append(
            {
                "id": d.id,
                "name": d.name,
                "headcount": d.headcount,
                "metrics": [
                    {
                        "id": m.id,
                        "label": m.label,
                        "value": _rate(
                            m.value, [c.target for c in d.customers if c.metric == m.id]
                        ),
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
                        "target": _mark(c.target),
                        "weight": "—"
                        if not c.department
                        else ("equal" if c.weight is None else f"{c.weight}"),
                        "value": _rate(c.value, [c.target]),
                        "met": c.met,
                        "check": _check(c.value, c.target),
                    }
                    for c in d.customers
                ],
                "score": _rate(d.score, targets),
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
        rivals = [r.score for r in results.candidates.values()
                  if r.position == c.position and r.id != c.id]  # fmt: skip
        smallest = policy.promotion.min_voters_shown if policy.promotion else 0
        positions.setdefault(c.position, []).append(_candidate_view(c, rivals, smallest))
    return {
        "patterns": patterns_view(results),
        "summary": summary_view(results),
        "checks": _checks_view(results),
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
            "metric_min": _mark(policy.promotion.metric_min),
            "min_voters_shown": policy.promotion.min_voters_shown,
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
                {"reason": r.text, "count": n} for r, n in results.void_ballots.items()
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
