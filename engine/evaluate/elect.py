"""Elections: the ballots counted, the three gates, the weighted scores and ranks (SPEC.md,
Elections).

The rules of a ballot's validity are written once, over whole columns of ballots
(:mod:`innerpay.data.columns`): the first reason that holds voids it, in the order of
:class:`~innerpay.evaluate.results.VoidReason`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from ..data import columns
from ..data.period import Ballots, PeriodData
from ..data.roster import Roster
from ..errors import Diagnostic, Kind, Source, error, warning
from ..formulas import arrow
from ..formulas.vectors import Arrow, Rows, Values, Vector
from ..numbers import ZERO
from ..policy.model import Policy, VoteGate
from .results import BallotCount, CandidateResult, Tally, VoidReason, VoteResult


def count_ballots(
    policy: Policy, ballots: Ballots, roster: Roster, candidates: Mapping[str, str]
) -> BallotCount:
    """Every ballot judged by the rules, and the valid ones counted per candidate and
    electorate.  ``candidates`` maps each candidate to their department."""
    standing = sorted(candidates)
    places = sorted(set(roster.departments) | set(candidates.values()))
    place = {d: k for k, d in enumerate(places)}
    # each ballot's candidate and voter by their positions, and their departments' places
    candidate_at = columns.positions_in(ballots.candidate, _texts(ballots.candidate, standing))
    candidate_department = columns.looked_up(
        candidate_at, _like(candidate_at, [place[candidates[c]] for c in standing])
    )
    voter_at = columns.positions_in(ballots.voter, roster.columns["id"])
    staff = columns.positions_in(
        roster.columns["department"], _texts(roster.columns["department"], places)
    )
    voter_department = columns.looked_up(voter_at, staff)
    pairs = {
        (place[d.id], place[customer])
        for d in policy.departments.values()
        for customer in d.customer_departments
        if d.id in place and customer in place
    }
    in_customer = columns.pair_in(candidate_department, voter_department, pairs, len(places))
    in_own = columns.same(voter_department, candidate_department)
    reasons = [  # in the order they are checked: the first that holds voids the ballot
        (VoidReason.INVALID_VOTE, columns.not_in(ballots.vote, ["yes", "no"])),
        (VoidReason.UNKNOWN_VOTER, columns.missing(voter_department)),
        (VoidReason.SELF_VOTE, columns.same(ballots.voter, ballots.candidate)),
        (VoidReason.OUTSIDE_ELECTORATE, columns.negated(columns.either(in_customer, in_own))),
        (VoidReason.DOUBLE_VOTE, columns.repeated(candidate_at, voter_at, len(roster))),
    ]
    found = columns.first_true([flags for _, flags in reasons])
    valid = columns.missing(found)
    yes = columns.negated(columns.not_in(ballots.vote, ["yes"]))
    tallies: dict[str, dict[str, Tally]] = {"customer": {}, "own": {}}
    for electorate, members in (("customer", in_customer), ("own", columns.negated(in_customer))):
        here = _both(valid, members)
        cast = columns.count_where(ballots.candidate, here)
        said_yes = columns.count_where(ballots.candidate, _both(here, yes))
        tallies[electorate] = {c: Tally(said_yes.get(c, 0), cast.get(c, 0)) for c in standing}
    void_rows = columns.true_rows(columns.negated(valid))
    chosen = Rows.of_positions(len(ballots), void_rows)
    void = [
        (ballots.lines[row], candidate, reasons[code][0])
        for row, candidate, code in zip(
            void_rows,
            ballots.candidate.take(chosen).values(),
            found.take(chosen).values(),
            strict=True,
        )
    ]
    between: dict[tuple[str, str], list[int]] = {}
    for voter, candidate, ok, said in zip(voter_department.values(), candidate_department.values(),
                                          valid.values(), yes.values(), strict=True):  # fmt: skip
        if ok is True:
            tally = between.setdefault((places[voter], places[candidate]), [0, 0])
            tally[0] += said is True
            tally[1] += 1
    by_departments = {k: Tally(*v) for k, v in sorted(between.items())}
    return BallotCount(tallies["customer"], tallies["own"], void, len(ballots) - len(void),
                       by_departments)  # fmt: skip


def _texts(like: Vector, items: list[str]) -> Vector:
    """Texts as a column of the same form as ``like``."""
    if isinstance(like, Arrow):
        return Arrow(arrow.pa.array(items, arrow.pa.string()))
    return Values(items)


def _like(like: Vector, items: list[int]) -> Vector:
    """Whole numbers as a column of the same form as ``like``."""
    if isinstance(like, Arrow):
        return Arrow(arrow.pa.array(items, arrow.pa.int32()))
    return Values(items)


def _both(left: Vector, right: Vector) -> Vector:
    return columns.negated(columns.either(columns.negated(left), columns.negated(right)))


def _vote(
    yes: int, valid: int, electorate: int, gate: VoteGate, reason_if_none: str | None
) -> VoteResult:
    if reason_if_none:
        return VoteResult(
            0, 0, 0, None, None, gate.min_share, gate.min_turnout, False, reason_if_none
        )
    share = Decimal(yes) / Decimal(valid) if valid else ZERO
    turnout = Decimal(valid) / Decimal(electorate) if electorate else ZERO
    reasons = []
    if not valid:
        reasons.append("no valid ballots")
    else:
        if share < gate.min_share:
            reasons.append(f"share below {gate.min_share}")
        if turnout < gate.min_turnout:
            reasons.append(f"turnout below {gate.min_turnout}")
    return VoteResult(
        yes, valid, electorate, share, turnout, gate.min_share, gate.min_turnout,
        not reasons, "; ".join(reasons),
    )  # fmt: skip


def elect(
    policy: Policy,
    data: PeriodData,
    scores: dict[str, Decimal | None],
    problems: list[Diagnostic],
) -> tuple[dict[str, CandidateResult], dict[VoidReason, int], int, dict[tuple[str, str], Tally]]:
    """Ballot validity, the three gates, weighted scores and ranks (SPEC.md, Elections), and the
    valid ballots by voter's and candidate's department."""
    if not data.candidates:
        return {}, {}, 0, {}
    promotion = policy.promotion
    if promotion is None:
        problems.append(
            error(
                data.candidates[0].source,
                f"candidates are listed but {policy.file} has no promotion section",
                Kind.POLICY,
            )
        )
        return {}, {}, 0, {}
    roster = data.roster
    department_of = {c.id: roster.departments[roster.index(c.id)] for c in data.candidates}  # type: ignore[index]
    headcount = roster.headcount()
    counted = count_ballots(policy, data.ballots, roster, department_of)
    void: Counter[VoidReason] = Counter()
    for line, candidate, reason in counted.void:
        void[reason] += 1
        problems.append(
            warning(
                Source(data.ballots.path, line),
                f"void ballot for candidate {candidate}: {reason.text}",
                Kind.DATA,
            )
        )
    results: dict[str, CandidateResult] = {}
    for c in data.candidates:
        dept = policy.departments[department_of[c.id]]
        customer_size = sum(headcount[d] for d in set(dept.customer_departments))
        own_size = headcount[dept.id] - 1
        score = scores.get(dept.id)
        no_customer = (
            None
            if dept.internal_customers
            else f"department '{dept.id}' has no internal customer, so no customer vote can be held"
        )
        customer, own = counted.customer[c.id], counted.own[c.id]
        gate_b = _vote(customer.yes, customer.valid, customer_size, promotion.customer_vote,
                       no_customer)  # fmt: skip
        gate_c = _vote(own.yes, own.valid, own_size, promotion.own_vote, None)
        if score is None:
            why = "no internal customer" if no_customer else "its metrics are not given"
            metric_passed, metric_reason = False, f"department '{dept.id}' has no score ({why})"
        else:
            metric_passed = score >= promotion.metric_min
            metric_reason = "" if metric_passed else f"score below {promotion.metric_min}"
        weighted = None
        if score is not None and gate_b.share is not None and gate_c.share is not None:
            weighted = (
                promotion.weight_metric * score
                + promotion.weight_customer * gate_b.share
                + promotion.weight_own * gate_c.share
            )
        results[c.id] = CandidateResult(
            id=c.id,
            name=roster.columns["name"].at(roster.index(c.id)),  # type: ignore[arg-type]
            position=c.position,
            department=dept.id,
            metric=score,
            metric_min=promotion.metric_min,
            metric_passed=metric_passed,
            metric_reason=metric_reason,
            customer=gate_b,
            own=gate_c,
            eligible=metric_passed and gate_b.passed and gate_c.passed,
            score=weighted,
            rank=None,
            tied=False,
        )
    return _rank(results), dict(sorted(void.items())), counted.valid, counted.by_departments


def _rank(results: dict[str, CandidateResult]) -> dict[str, CandidateResult]:
    """Competition ranking (1, 1, 3) among the eligible candidates of each position."""
    ranked = dict(results)
    positions: dict[str, list[CandidateResult]] = defaultdict(list)
    for c in results.values():
        if c.eligible and c.score is not None:
            positions[c.position].append(c)
    for group in positions.values():
        for c in group:
            assert c.score is not None
            better = sum(1 for o in group if o.score is not None and o.score > c.score)
            tied = sum(1 for o in group if o.score == c.score) > 1
            ranked[c.id] = replace(c, rank=better + 1, tied=tied)
    return ranked
