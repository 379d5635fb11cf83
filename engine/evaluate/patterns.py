"""Patterns in the mechanism's own figures that the boss should see: information, never a gate.

The internal customer mechanism invites two departments to elect each other's candidates, and a
customer department to rate its suppliers generously.  Neither is decided here; each is shown
with its figures and periods in the department report:

- **Mutual election**: two departments whose voters say yes to each other's candidates far more
  often than to anyone else's (:data:`MUTUAL_MARGIN` above their other votes, both ways), from
  this period's valid ballots; a figure of fewer ballots than the policy's ``min_voters_shown``
  is never used (it could tell a ballot).
- **Lenient customers**: a customer whose appraisals of its suppliers are above the other
  customers' by :data:`LENIENT_MARGIN` or more in every period read (at least two), from the
  departments' scores over the periods of the review streak.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..numbers import CONTEXT
from .results import Results, Tally

#: How much more often (in yes share) two departments must elect each other's candidates than
#: their other votes do, both ways, to be shown.
MUTUAL_MARGIN = Decimal("0.25")
#: How far (in rate) a customer's appraisals must be above the others', every period, to be shown.
LENIENT_MARGIN = Decimal("0.10")


@dataclass(frozen=True)
class Leaning:
    """One department's voters on another's candidates, against their other votes."""

    voters: str
    candidates: str
    share: Decimal  # yes ÷ valid, for the other department's candidates
    ballots: int
    elsewhere: Decimal  # yes ÷ valid of their other ballots (or of others' for these candidates)
    elsewhere_ballots: int


@dataclass(frozen=True)
class Generous:
    """A customer whose appraisals stood above the other customers' in every period read."""

    customer: str
    periods: tuple[tuple[str, Decimal, Decimal], ...]  # (period, its appraisals, the others')


def _share(tally: Tally) -> Decimal:
    return CONTEXT.divide(Decimal(tally.yes), Decimal(tally.valid))


def _less(total: Tally, part: Tally) -> Tally:
    return Tally(total.yes - part.yes, total.valid - part.valid)


def _by(between: dict[tuple[str, str], Tally], side: int) -> dict[str, Tally]:
    """Every valid ballot summed by the voters' (``side`` 0) or candidates' (1) department."""
    sums: dict[str, Tally] = {}
    for key, tally in between.items():
        was = sums.get(key[side], Tally())
        sums[key[side]] = Tally(was.yes + tally.yes, was.valid + tally.valid)
    return sums


def mutual_elections(results: Results) -> list[tuple[Leaning, Leaning]]:
    """Pairs of departments that elect each other's candidates far above their other votes."""
    least = results.policy.promotion.min_voters_shown if results.policy.promotion else 3
    between = results.votes_between
    by_voters, by_candidates = _by(between, 0), _by(between, 1)

    def leaning(x: str, y: str) -> Leaning | None:
        """How x's voters elect y's candidates against their other votes (None: too few)."""
        here = between.get((x, y), Tally())
        other = _less(by_voters[x], here)
        if other.valid < least:  # x voted for nobody else: compare with others' votes for y
            other = _less(by_candidates[y], here)
        if here.valid < least or other.valid < least:
            return None
        return Leaning(x, y, _share(here), here.valid, _share(other), other.valid)

    found = []
    for x, y in sorted({tuple(sorted(k)) for k in between if k[0] != k[1]}):
        one, two = leaning(x, y), leaning(y, x)
        if one is None or two is None:
            continue
        if min(one.share - one.elsewhere, two.share - two.elsewhere) >= MUTUAL_MARGIN:
            found.append((one, two))
    return found


def generous_customers(results: Results) -> list[Generous]:
    """Customers whose appraisals were above the other customers' by :data:`LENIENT_MARGIN` in
    every period of the review streak that they appraised in (at least two)."""
    policy = results.policy
    window = policy.below_target_periods or 1  # the periods every run reads (the chart's more
    # only with HTML: the reports must not depend on the formats asked for)
    by_period: dict[str, dict[str, list[Decimal]]] = {}  # period → customer → its appraisals
    for dept in policy.departments.values():
        if len(dept.customer_departments) != 1 or dept.id not in results.departments:
            continue  # a score of one customer's appraisal only
        (customer,) = dept.customer_departments
        for point in results.departments[dept.id].trend[-window:]:
            if point.score is not None:
                by_period.setdefault(str(point.period), {}).setdefault(customer, []).append(
                    point.score
                )
    totals = {period: (sum((v for values in month.values() for v in values), Decimal(0)),
                       sum(len(values) for values in month.values()))
              for period, month in by_period.items()}  # fmt: skip  # every appraisal, summed once
    found = []
    for customer in sorted({c for month in by_period.values() for c in month}):
        rows = []
        for period, month in sorted(by_period.items()):
            mine = month.get(customer)
            total, count = totals[period]
            if not mine or count == len(mine):
                continue  # no appraisal of its own, or no other customer's to compare with
            own_sum = sum(mine, Decimal(0))
            own = CONTEXT.divide(own_sum, len(mine))
            rest = CONTEXT.divide(CONTEXT.subtract(total, own_sum), count - len(mine))
            rows.append((period, own, rest))
        if len(rows) >= 2 and all(own - rest >= LENIENT_MARGIN for _, own, rest in rows):
            found.append(Generous(customer, tuple(rows)))
    return found


__all__ = ["Generous", "Leaning", "generous_customers", "mutual_elections"]
