"""Property tests for the arithmetic: every slip adds up, and results never depend on row order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from innerpay.evaluate import evaluate
from innerpay.numbers import CENT
from innerpay.outputs import joined
from innerpay.render import render_files, results_dict

from .factory import employee, make_policy, period_data, rows

salaries = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999.99"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("2"), places=4)


@st.composite
def pay_lines(draw: st.DrawFn) -> str:
    """A random list of pay lines: constants, rates of the salary, prorations, earlier lines."""
    count = draw(st.integers(min_value=1, max_value=6))
    lines = []
    for i in range(count):
        earlier = [f"l{j}" for j in range(i)]
        choices = [
            f"base_salary * {draw(rates)}",
            f"prorate(base_salary * {draw(rates)})",
            f"{draw(salaries)}",
            f"round(base_salary / 3, {draw(st.integers(0, 4))})",
            f"step(factor, score) * base_salary if has_customer else {draw(salaries)}",
        ]
        if earlier:
            choices.append(f"{draw(st.sampled_from(earlier))} * {draw(rates)}")
        formula = draw(st.sampled_from(choices))
        kind = draw(st.sampled_from(["earning", "deduction"]))
        when = draw(st.sampled_from(["", 'role == "manager"', "has_customer and target_met"]))
        lines.append(
            f"    - id: l{i}\n      label: Line {i}\n      kind: {kind}\n"
            + (f"      when: {when}\n" if when else "")
            + f"      formula: {formula}\n"
        )
    return "".join(lines)


# employed in May 2024 (someone hired after it or gone before it is an error of the data)
hired_days = st.dates(min_value=dt.date(2024, 4, 1), max_value=dt.date(2024, 5, 31))
left_days = st.dates(min_value=dt.date(2024, 5, 1), max_value=dt.date(2024, 6, 30))


NAMES = st.sampled_from(["张伟", 'Li "Lee", Jr.', "back\\slash", "O'Neil", "tab\there"])


@st.composite
def staff(draw: st.DrawFn, size: int = 6) -> list:  # type: ignore[type-arg]
    people = []
    for i in range(draw(st.integers(min_value=1, max_value=size))):
        hired, left = draw(hired_days), draw(left_days)
        if left < hired:
            hired, left = left, hired
        people.append(
            employee(
                f"E{i}",
                draw(st.sampled_from(["a", "b", "c"])),
                str(draw(salaries)),
                draw(st.sampled_from(["manager", "staff"])),
                hired if draw(st.booleans()) else None,
                left if draw(st.booleans()) else None,
                draw(st.one_of(st.none(), NAMES)),
            )
        )
    return people


@settings(max_examples=150, deadline=None)
@given(
    lines=pay_lines(),
    rounding=st.sampled_from(["half_up", "half_even"]),
    people=staff(),
    ok_a=st.integers(0, 10),
    ok_b=st.integers(0, 10),
    shuffle=st.randoms(use_true_random=False),
)
def test_every_slip_adds_up_and_row_order_does_not_matter(
    lines: str,
    rounding: str,
    people: list,
    ok_a: int,
    ok_b: int,
    shuffle: object,  # type: ignore[type-arg]
) -> None:
    policy = make_policy(lines, rounding)
    metric_rows = rows("a", ok_a, 10) + rows("b", ok_b, 10)
    results, problems = evaluate(policy, period_data(people, metric_rows))
    assert results is not None, [str(p) for p in problems]
    for e in results.employees.values():
        earnings = sum((x.amount for x in e.lines if x.kind == "earning"), Decimal(0))
        deductions = sum((x.amount for x in e.lines if x.kind == "deduction"), Decimal(0))
        assert e.gross == earnings
        assert e.deductions == deductions
        assert e.net == e.gross - e.deductions
        for x in e.lines:
            assert x.amount == x.amount.quantize(CENT)  # every line is rounded to the cent
            assert x.applies or x.amount == 0

    shuffled_rows = list(metric_rows)
    shuffled_people = list(people)
    shuffle.shuffle(shuffled_rows)  # type: ignore[attr-defined]
    shuffle.shuffle(shuffled_people)  # type: ignore[attr-defined]
    again, _ = evaluate(policy, period_data(shuffled_people, shuffled_rows))
    assert again is not None
    assert results_dict(again) == results_dict(results)


@given(salaries, st.integers(1, 31), st.sampled_from(["half_up", "half_even"]))
def test_prorating_never_exceeds_the_salary(salary: Decimal, worked: int, rounding: str) -> None:
    hired = dt.date(2024, 5, 1) + dt.timedelta(days=31 - worked)
    policy = make_policy(
        "    - id: base\n      label: Base\n      formula: prorate(base_salary)\n", rounding
    )
    results, _ = evaluate(
        policy,
        period_data(
            [employee("E1", "a", str(salary), hired_on=hired)], rows("a", 1, 1) + rows("b", 1, 1)
        ),
    )
    assert results is not None
    paid = results.employees["E1"]
    assert paid.employed_days == worked
    assert Decimal(0) <= paid.gross <= salary
    if worked == 31:
        assert paid.gross == salary


@settings(max_examples=120, deadline=None)
@given(
    lines=pay_lines(),
    rounding=st.sampled_from(["half_up", "half_even"]),
    people=staff(12),
    ok_a=st.integers(0, 10),
    ok_b=st.integers(0, 10),
    adjusted=st.lists(st.tuples(st.integers(0, 11), salaries, st.booleans()), max_size=3),
)
def test_columns_read_by_arrow_give_the_same_files(
    lines: str,
    rounding: str,
    people: list,  # type: ignore[type-arg]
    ok_a: int,
    ok_b: int,
    adjusted: list[tuple[int, Decimal, bool]],
) -> None:
    """The same company read as Python values and as arrow columns (as pyarrow reads a large
    file): every output the same, byte for byte (the arrow kernels and writers held to the
    Python ones over a whole run)."""
    policy = make_policy(lines, rounding)
    metric_rows = rows("a", ok_a, 10) + rows("b", ok_b, 10)
    ids = [p.id for p in people]
    adjustments = [
        (ids[k % len(ids)], "Fix", str(amount), "earning" if earning else "deduction", "why", "HR")
        for k, amount, earning in adjusted
    ]
    outputs = []
    for columns in (False, True):
        data = period_data(people, metric_rows, policy=policy, columns=columns,
                           adjustments=adjustments)  # fmt: skip
        results, problems = evaluate(policy, data)
        assert results is not None, [str(p) for p in problems]
        files = render_files(results)
        outputs.append({name: joined(content) for name, content in files.files.items()})
    assert outputs[1] == outputs[0]
