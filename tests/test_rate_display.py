"""One display rule for rates: a shown rate never falls on the other side of the threshold it is
judged by, and a comparison reads as what it is ("83.33% < 90.00%: not met")."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from innerpay.numbers import compared, percent_str

from .conftest import run_cli

rates = st.decimals(min_value=0, max_value=1, places=12, allow_nan=False)


@given(rates, rates)
def test_a_shown_rate_keeps_its_side_of_the_threshold(value: Decimal, threshold: Decimal) -> None:
    shown = Decimal(percent_str(value, against=[threshold]).rstrip("%")) / 100
    assert (shown > threshold) - (shown < threshold) == (value > threshold) - (value < threshold)


@given(rates, rates)
def test_a_comparison_says_what_is_true(value: Decimal, threshold: Decimal) -> None:
    said = compared(value, threshold)
    assert said.endswith(": met") == (value >= threshold)
    assert (" ≥ " in said) == (value >= threshold) and (" < " in said) == (value < threshold)


def test_the_usual_display_is_two_places() -> None:
    assert percent_str(Decimal("0.923076923"), against=[Decimal("0.9")]) == "92.31%"
    assert percent_str(Decimal("0.89995"), against=[Decimal("0.9")]) == "89.995%"
    assert compared(Decimal("0.8333333"), Decimal("0.9")) == "83.33% < 90.00%: not met"


def test_a_rate_just_below_its_target_is_shown_below_it_everywhere(company: Path) -> None:
    # Sales' collection rate 89,995 ÷ 100,000 = 0.89995 against Finance's target 0.90.
    receivables = company / "fixtures" / "2024-05" / "receivables.csv"
    receivables.write_text(
        "invoice_id,department,customer,amount,due_on,collected_on\n"
        "INV-1,sales,华东电器 Huadong Electric,89995.00,2024-05-03,2024-05-03\n"
        "INV-2,sales,星河科技 Xinghe Tech,10005.00,2024-05-06,2024-05-20\n",
        encoding="utf-8",
    )
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    out = company / "out" / "2024-05"
    departments = (out / "departments.md").read_text(encoding="utf-8")
    assert "| 销售部 Sales | 6 | 89.995% | no |" in departments
    assert "| 财务部 Finance | 回款率 Collection rate (receivables collected, by amount) | 90.00% " \
           "| equal | 89.995% | no |" in departments  # fmt: skip
    assert "90.00% | no" not in departments
    slip = (out / "payslips" / "E001.md").read_text(encoding="utf-8")
    assert "Department score: 89.995% (未达标 target missed)" in slip
    for name in ("departments.md", "departments.html", "promotion.md", "payslips/E001.md"):
        assert "0.89995" not in (out / name).read_text(encoding="utf-8")  # no exact rate shown


@given(rates)
def test_a_target_is_shown_as_written(target: Decimal) -> None:
    from innerpay.numbers import target_str

    shown = Decimal(target_str(target, 2).rstrip("%")) / 100
    assert shown == target  # 0.955 is 95.50%, never 96%
