"""Elections: each ballot rule, each gate at exactly its threshold, ranks and ties, secrecy."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from innerpay.evaluate import Results, evaluate
from innerpay.render import render_files, results_dict

from .factory import employee, make_policy, period_data, rows

A_STAFF = [employee(f"A{i}", "a") for i in range(1, 6)]  # a: A1..A5
B_STAFF = [employee(f"B{i}", "b") for i in range(1, 6)]  # b: A's customer, B1..B5
C_STAFF = [employee("C1", "c"), employee("C2", "c")]  # c: no customer


def elect(
    ballots: list[tuple[str, str, str]],
    candidates: list[tuple[str, str]] | None = None,
    ok: int = 9,
) -> tuple[Results, list[str]]:
    data = period_data(
        A_STAFF + B_STAFF + C_STAFF,
        rows("a", ok, 10) + rows("b", 10, 10),
        candidates if candidates is not None else [("A1", "lead")],
        ballots,
    )
    results, problems = evaluate(make_policy(), data)
    assert results is not None, [str(p) for p in problems]
    return results, [str(p) for p in problems]


def votes(candidate: str, voters: list[str], vote: str = "yes") -> list[tuple[str, str, str]]:
    return [(candidate, v, vote) for v in voters]


def test_a_valid_election_passes_all_three_gates() -> None:
    results, warnings = elect(votes("A1", ["B1", "B2", "B3"]) + votes("A1", ["A2", "A3", "A4"]))
    c = results.candidates["A1"]
    assert warnings == []
    assert (c.customer.yes, c.customer.valid, c.customer.electorate) == (3, 3, 5)
    assert (c.own.yes, c.own.valid, c.own.electorate) == (3, 3, 4)  # own department minus A1
    assert c.customer.turnout == Decimal("0.6")  # exactly the minimum: passes
    assert c.eligible and c.rank == 1
    # 0.4 × 0.9 + 0.3 × 1 + 0.3 × 1
    assert c.score == Decimal("0.96")


@pytest.mark.parametrize(
    ("ballot", "reason", "warning"),
    [
        (("A1", "B1", "maybe"), "invalid_vote", "the vote is not yes or no"),
        (("A1", "Z9", "yes"), "unknown_voter", "the voter is not an employee this period"),
        (("A1", "A1", "yes"), "self_vote", "a candidate may not vote for themself"),
        (
            ("A1", "C1", "yes"),
            "outside_electorate",
            "the voter is in neither the customer nor the own department",
        ),
    ],
)
def test_each_kind_of_void_ballot(ballot: tuple[str, str, str], reason: str, warning: str) -> None:
    results, warnings = elect([ballot])
    assert results.void_ballots == {reason: 1}
    assert results.valid_ballots == 0
    assert warnings == [f"ballots.csv:2: warning: void ballot for candidate A1: {warning}"]


def test_every_ballot_of_a_double_vote_is_void() -> None:
    results, warnings = elect([("A1", "B1", "yes"), ("A1", "B2", "yes"), ("A1", "B1", "no")])
    assert results.void_ballots == {"double_vote": 2}
    assert results.candidates["A1"].customer.valid == 1
    assert len(warnings) == 2


def test_a_voter_may_vote_once_for_each_candidate() -> None:
    both = [("A1", "lead"), ("A2", "lead")]
    results, _ = elect([("A1", "B1", "yes"), ("A2", "B1", "yes")], both)
    assert results.void_ballots == {}
    assert results.valid_ballots == 2


@pytest.mark.parametrize(
    ("yes", "no", "passes"),
    [(2, 2, True), (1, 2, False)],  # share 0.5 (= min) passes; 1/3 fails
)
def test_share_threshold_is_inclusive(yes: int, no: int, passes: bool) -> None:
    voters = [f"B{i}" for i in range(1, 6)]
    ballots = votes("A1", voters[:yes]) + votes("A1", voters[yes : yes + no], "no")
    ballots += votes("A1", ["A2", "A3", "A4"])
    results, _ = elect(ballots)
    assert results.candidates["A1"].customer.passed is passes
    assert results.candidates["A1"].eligible is passes


@pytest.mark.parametrize(("voters", "passes"), [(["A2", "A3"], False), (["A2", "A3", "A4"], True)])
def test_own_turnout_threshold_is_inclusive(voters: list[str], passes: bool) -> None:
    # own electorate 4: 2 voters = 0.5 < 0.6 fails; 3 voters = 0.75 passes
    results, _ = elect(votes("A1", ["B1", "B2", "B3"]) + votes("A1", voters))
    c = results.candidates["A1"]
    assert c.own.passed is passes
    assert c.own.reason == ("" if passes else "turnout below 0.60")


@pytest.mark.parametrize(("ok", "passes"), [(9, True), (8, False)])
def test_metric_gate_is_inclusive(ok: int, passes: bool) -> None:
    results, _ = elect(votes("A1", ["B1", "B2", "B3"]) + votes("A1", ["A2", "A3", "A4"]), ok=ok)
    c = results.candidates["A1"]
    assert c.metric == Decimal(ok) / 10
    assert c.metric_passed is passes
    assert c.rank == (1 if passes else None)


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    candidates = [("A1", "lead"), ("A2", "lead"), ("A3", "lead")]
    ballots = []
    for cand in ("A1", "A2"):  # identical counts: a tie
        ballots += votes(cand, ["B1", "B2", "B3"]) + votes(
            cand, [v for v in ("A3", "A4", "A5") if v != cand]
        )
        ballots += votes(cand, ["A1" if cand == "A2" else "A2"], "no")
    ballots += votes("A3", ["B1", "B2"], "yes") + votes("A3", ["B3", "B4"], "no")
    ballots += votes("A3", ["A1", "A2", "A4"])
    results, _ = elect(ballots, candidates)
    ranks = {
        c: (results.candidates[c].rank, results.candidates[c].tied) for c in ("A1", "A2", "A3")
    }
    assert ranks["A1"] == ranks["A2"] == (1, True)
    assert ranks["A3"] == (3, False)


def test_ranks_are_per_position() -> None:
    candidates = [("A1", "lead"), ("A2", "deputy")]
    ballots = []
    for cand in ("A1", "A2"):
        ballots += votes(cand, ["B1", "B2", "B3"]) + votes(cand, ["A3", "A4", "A5"])
    results, _ = elect(ballots, candidates)
    assert results.candidates["A1"].rank == results.candidates["A2"].rank == 1
    assert not results.candidates["A1"].tied


def test_no_internal_customer_cannot_pass_gate_b_and_says_why() -> None:
    results, _ = elect(votes("C1", ["C2"]), [("C1", "lead")])
    c = results.candidates["C1"]
    assert c.metric is None and not c.metric_passed
    assert c.customer.share is None and not c.customer.passed
    assert (
        c.customer.reason
        == "department 'c' has no internal customer, so no customer vote can be held"
    )
    assert c.own.passed  # 1 of 1
    assert (c.eligible, c.score, c.rank) == (False, None, None)


def test_no_report_shows_how_anyone_voted() -> None:
    ballots = (
        votes("A1", ["B1", "B2"]) + votes("A1", ["B3"], "no") + votes("A1", ["A2", "A3", "A4"])
    )
    results, _ = elect(ballots)
    rendered = render_files(results)
    voters = ("B1", "B2", "B3", "A2", "A3", "A4")
    for name in ("promotion.md", "promotion.html"):
        text = rendered.files[name].decode("utf-8").replace("size: A4", "")
        for voter in voters:
            assert not re.search(rf"\b{voter}\b|Name {voter}", text), (name, voter)
    election = str({k: results_dict(results)[k] for k in ("promotion", "ballots")})
    assert not any(voter in election for voter in voters)
