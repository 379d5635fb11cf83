"""Evaluation: ``evaluate(policy, data, history) -> Results``, pure.

No I/O, no clock, no randomness: the caller reads the period's data (and the metric tables of
earlier periods, for review streaks) and passes them in.  Every number is a Decimal computed in
:data:`~innerpay.numbers.CONTEXT`: ``appraise`` (departments) → ``pay`` (every employee's lines,
over columns) → ``elect`` (ballots, gates, ranks) → :class:`Results`.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from decimal import Decimal

from ..data.period import PeriodData
from ..errors import Diagnostic, has_errors
from ..numbers import CONTEXT
from ..periods import Period
from ..policy.model import Policy
from ..progress import Progress, quietly
from .appraise import History, appraise, departments
from .earlier import Month, YearToDate
from .elect import elect
from .pay import pay
from .results import (
    Appraisal,
    Arrear,
    CandidateResult,
    DepartmentResult,
    EmployeeResult,
    Flag,
    LineResult,
    MetricResult,
    Payroll,
    Results,
    TrendPoint,
    VoidReason,
    VoteResult,
)


def evaluate(
    policy: Policy,
    data: PeriodData,
    history: Mapping[Period, History] | None = None,
    arrears: tuple[Arrear, ...] = (),
    given: Mapping[str, Mapping[str, Decimal]] | None = None,
    progress: Progress = quietly,
    earlier: YearToDate | None = None,
    lint: bool = False,
    reads: bool = False,
) -> tuple[Results | None, list[Diagnostic]]:
    """Compute one period: departments, pay, elections.  Pure: reads only its arguments.

    ``arrears`` are corrections of closed periods (see :mod:`innerpay.audit.ledger`); each goes
    on the slip of its employee.  ``given`` metric values are for policy test cases (see
    :func:`~innerpay.evaluate.appraise.appraise`).  ``earlier`` holds the earlier months of the
    year, for a policy that reads ``ytd(x)`` (see :mod:`innerpay.evaluate.earlier`).  ``lint``
    adds the warnings of `validate --period` about the tables (see :func:`~.pay.one_row_reached`);
    ``reads`` keeps the names each employee's lines read (``employees.reads``, for `diff`).
    """
    del progress  # paying is over whole columns: no step long enough to show
    problems: list[Diagnostic] = []
    with decimal.localcontext(CONTEXT):
        appraisals = appraise(policy, data.tables, data.table_files, problems, given)
        found = departments(
            policy, data.period, appraisals, data.roster.headcount(), history or {}, problems
        )
        if has_errors(problems):
            return None, problems
        payroll, failed = pay(policy, data, appraisals, arrears, earlier, lint, reads)
        problems += failed
        scores = {d: r.score for d, r in found.items()}
        candidates, void, valid, between = elect(policy, data, scores, problems)
    if has_errors(problems):
        return None, problems
    return Results(
        period=data.period,
        policy=policy,
        departments=found,
        employees=payroll,
        candidates=candidates,
        void_ballots=void,
        valid_ballots=valid,
        votes_between=between,
        inputs=data.inputs,
        earlier=earlier,
        encodings=dict(data.encodings),
    ), problems


__all__ = [
    "Appraisal",
    "Arrear",
    "CandidateResult",
    "DepartmentResult",
    "EmployeeResult",
    "Flag",
    "History",
    "LineResult",
    "MetricResult",
    "Month",
    "Payroll",
    "Results",
    "TrendPoint",
    "VoidReason",
    "VoteResult",
    "YearToDate",
    "evaluate",
]
