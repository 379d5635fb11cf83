"""Finding the earlier months of the year for a run that reads ``ytd(x)``.

Each month of the calendar year before the period, in order, is taken from what was paid:

1. the opening balances (``<data>/opening-<year>.csv``: columns ``employee``, ``through`` and
   one per name) cover January to their ``through`` month, for a company that starts mid-year;
2. a month closed in ``<out>/ledger.json`` is its ``results.json`` as recorded when it was
   closed (with the arrears paid in it);
3. a month not closed is computed from its own data and policy version (and the run says so);
4. a month that is none of these is an error naming it.

Every file read is an input of the run: the manifest records them, so `verify` fails when an
earlier month changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .audit.ledger import closed_summary, ledger_path, paid_run_problems, read_ledger
from .data.period import period_folder
from .data.reading import find_table, read_table
from .data.tables import data_error
from .errors import Diagnostic, Kind, Source, error, has_errors
from .evaluate.earlier import TOTALS, Month, YearToDate
from .evaluate.earlier import Source as From
from .evaluate.results import Results
from .periods import Period, PeriodError
from .policy import Policy, PolicySet

#: Computes one earlier month (not closed) from its data, given the months before it.
Compute = Callable[[Period, YearToDate], tuple[Results | None, list[Diagnostic]]]


def opening_name(year: int) -> str:
    """The opening balances' table name: ``opening-2024``."""
    return f"opening-{year}"


def month_of(results: Results, wanted: frozenset[str], source: From = From.COMPUTED) -> Month:
    """A computed period's amounts per employee of the ``wanted`` names (lines, totals,
    arrears: what later months read year to date)."""
    payroll = results.employees
    ids = payroll.roster.ids
    columns = {line_id: column.amounts for line_id, column in payroll.lines.items()}
    columns |= {"gross": payroll.gross, "deductions": payroll.deductions, "net": payroll.net}
    amounts = {
        name: dict(zip(ids, column.values(), strict=True))
        for name, column in columns.items()
        if name in wanted
    }
    if "arrears" in wanted:
        amounts["arrears"] = {
            e: sum((a.signed for a in carried), Decimal(0))
            for e, carried in payroll.arrears.items()
        }
    names = frozenset(x.id for x in results.policy.lines) | frozenset(TOTALS)
    return Month(
        results.period,
        source,
        amounts,
        names,
        results.policy.version,
        dict(results.inputs),
    )


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def closed_month(
    path: str, period: Period, policies: PolicySet, wanted: frozenset[str]
) -> tuple[Month | None, list[Diagnostic]]:
    """A closed period's amounts of the ``wanted`` names as its results.json recorded them."""
    try:
        summary = closed_summary(path, wanted)
    except (OSError, ValueError, KeyError, TypeError, ArithmeticError, PeriodError) as exc:
        return None, [error(Source(path), f"closed results cannot be read: {exc}", Kind.CONTROL)]
    recorded = policies.by_version(summary.version)
    names = summary.names
    if recorded is not None:
        names = frozenset(x.id for x in recorded.lines) | frozenset(TOTALS)
    return Month(
        period, From.CLOSED, summary.amounts, names, summary.version, {summary.path: summary.sha256}
    ), []


def opening_month(
    data_dir: str, period: Period, encoding: str, wanted: tuple[str, ...]
) -> tuple[Month | None, list[Diagnostic]]:
    """The opening balances of the period's year, if the file is there."""
    path, problems = find_table(data_dir, opening_name(period.year))
    if problems or not os.path.exists(path):
        return None, problems
    table, problems = read_table(path, encoding)
    if table is None:
        return None, problems
    for column in ("employee", "through", *wanted):
        if column not in table.header:
            why = "the opening balances" if column in ("employee", "through") else f"ytd({column})"
            problems.append(
                data_error(Source(path, 1), f"missing column '{column}' (needed by {why})")
            )
    if has_errors(problems):
        return None, problems
    cells = {
        name: [c or "" for c in column.values()] for name, column in table.rows.columns.items()
    }
    amounts: dict[str, dict[str, Decimal]] = {name: {} for name in wanted}
    throughs: set[str] = set()
    seen: set[str] = set()
    for k, line in enumerate(table.rows.lines):
        emp_id = cells["employee"][k].strip()
        throughs.add(cells["through"][k].strip())
        held: dict[str, Decimal] = {}
        for name in wanted:
            text = cells[name][k].strip()
            try:
                held[name] = Decimal(text) if text else Decimal(0)
                if not held[name].is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(data_error(table.at(line, name), f"{name}: '{text}' is not a "
                                           "number"))  # fmt: skip
        if emp_id in seen:
            problems.append(data_error(table.at(line, "employee"), f"employee '{emp_id}' is "
                                       "listed twice"))  # fmt: skip
        seen.add(emp_id)
        for name, amount in held.items():
            amounts.setdefault(name, {})[emp_id] = amount
    through = None
    if len(throughs) != 1:
        problems.append(data_error(Source(path, 1), "through: every row must name the same "
                                   f"month (found {', '.join(sorted(throughs))})"))  # fmt: skip
    else:
        try:
            through = Period.parse(throughs.pop())
        except PeriodError as exc:
            problems.append(data_error(Source(path, 2), f"through: {exc}"))
    if through is not None and not (through.year == period.year and through < period):
        problems.append(
            data_error(Source(path, 2), f"through {through}: the opening balances must end "
                       f"before {period}, in {period.year}")
        )  # fmt: skip
    if has_errors(problems) or through is None:
        return None, problems
    month = Month(
        Period(period.year, 1),
        From.OPENING,
        amounts,
        frozenset(wanted),
        None,
        {path: table.sha256},
        through,
    )
    return month, problems


def year_to_date(
    period: Period,
    policy: Policy,
    policies: PolicySet,
    data_dir: str,
    out: str,
    encoding: str,
    compute: Compute,
) -> tuple[YearToDate | None, list[Diagnostic]]:
    """The earlier months of ``period``'s year for a policy that reads ``ytd(x)``."""
    wanted = policy.earlier_names
    problems: list[Diagnostic] = []
    opening, found = opening_month(data_dir, period, encoding, wanted)
    problems += found
    if has_errors(problems):
        return None, problems
    months: list[Month] = [opening] if opening is not None else []
    ledger, found = read_ledger(data_dir)
    problems += found
    month = opening.through.next() if opening is not None and opening.through else Period(
        period.year, 1)  # fmt: skip
    while month < period:
        made, found = _earlier(month, wanted, YearToDate(month, tuple(months)), ledger, policies,
                               data_dir, out, compute)  # fmt: skip
        problems += found
        if made is None:
            if not has_errors(found):
                problems.append(_not_found(month, period, data_dir, out))
            return None, problems
        missing = [n for n in wanted if n not in made.names]
        for name in missing:
            problems.append(
                error(Source(policy.file), f"ytd({name}) of {period} needs {name} in {month}, "
                      f"which policy {made.version} did not have", Kind.POLICY)
            )  # fmt: skip
        months.append(made)
        month = month.next()
    if has_errors(problems):
        return None, problems
    return YearToDate(period, tuple(months)), problems


def _earlier(
    month: Period,
    wanted: tuple[str, ...],
    before: YearToDate,
    ledger: dict[Period, Any],
    policies: PolicySet,
    data_dir: str,
    out: str,
    compute: Compute,
) -> tuple[Month | None, list[Diagnostic]]:
    """One earlier month: as closed, or computed; None when neither can be."""
    if month in ledger:
        wrong = paid_run_problems(month, ledger[month], data_dir)
        if wrong:
            return None, wrong
        path = os.path.join(ledger[month].run(data_dir), "results.json")
        return closed_month(path, month, policies, policies.earlier_names)
    if not os.path.isdir(period_folder(data_dir, month)) or policies.in_force(month) is None:
        return None, []
    results, found = compute(month, before)
    if results is None:
        return None, found
    return month_of(results, policies.earlier_names), found


def _not_found(month: Period, period: Period, data_dir: str, out: str) -> Diagnostic:
    opening = os.path.join(data_dir, f"{opening_name(period.year)}.csv")
    return data_error(
        Source(period_folder(data_dir, month)),
        f"year to date of {period} needs {month}: it is not closed (in {ledger_path(data_dir)}), "
        f"it has no data "
        f"folder (or no policy version in force), and no opening balances ({opening}) cover it",
    )


__all__ = ["Compute", "closed_month", "month_of", "opening_month", "year_to_date"]
