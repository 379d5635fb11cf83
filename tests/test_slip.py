"""The pay slip written for the worker (issue 18): company and pay date, each line's sentence in
Chinese and English in the employee's own figures, the proration on the lines it applies to,
adjustments with reason and approver, year to date where the policy reads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from innerpay.evaluate.notes import bilingual, shown
from innerpay.periods import Period
from innerpay.policy.model import Company

from .conftest import run_cli


def slip(company: Path, employee: str, kind: str = "md") -> str:
    return (company / "out" / "2024-05" / "payslips" / f"{employee}.{kind}").read_text(
        encoding="utf-8"
    )


def test_each_line_says_how_it_was_worked_out(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    text = slip(company, "E006")  # Sales (96.93%), hired on 12 May: 20 of 31 days
    assert text.startswith("**华南精密制造有限公司 Huanan Precision Manufacturing Co., Ltd.**")
    assert "- 发薪日 Pay date: 2024-06-10" in text
    assert "- 在职天数 Days employed: 20 of 31 (折算 prorated)" in text
    # the step the department's score reached, then the policy's own note, in both languages
    assert (
        "| 绩效奖金 Performance bonus<br>部门得分 96.93% ≥ 95% → 1.15；5,870.97 × 35% × 系数 1.15"
        "<br>department score 96.93% reached the step from 95% → 1.15; 5,870.97 × 35% × factor "
        "1.15 | 2,363.07 |  |"
    ) in text
    # proration is said on the lines that prorate, and only there
    assert "prorated: employed 20 of 31 days | 5,870.97 |" in text
    assert "salary 9,100.00 × 10.5% |  | 955.50 |" in text
    assert text.count("prorated: employed 20 of 31 days") == 3  # base, grade, team award


def test_someone_employed_the_whole_month_reads_no_proration(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    text = slip(company, "E013")
    assert "prorated" not in text and "折算" not in text
    assert "| 差旅补差 Travel expense correction<br>调整：April travel claim paid short；批准人 " \
           "E024 韩梅 Han Mei<br>adjustment: April travel claim paid short; approved by E024 " \
           "韩梅 Han Mei | 500.00 |  |" in text  # fmt: skip


def test_a_note_that_fails_for_an_employee_shows_a_dash(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    text = text.replace("zh: '月薪 {base_salary:money}'", "zh: '得分 {score:%}；{{月薪}}'")
    policy.write_text(text, encoding="utf-8")
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert "基本工资 Base pay<br>得分 —；{月薪}<br>" in slip(company, "E028")  # Administration
    assert "基本工资 Base pay<br>得分 90%；{月薪}<br>" in slip(company, "E013")  # Production


def test_a_line_without_a_note_still_says_its_step(company: Path) -> None:
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    start = text.index("      note:\n        zh: '{base:money}")
    end = text.index("    - id: grade_allowance")
    policy.write_text(text[:start] + text[end:], encoding="utf-8")
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert ("| 绩效奖金 Performance bonus<br>部门得分 90.00% ≥ 90% → 1.00<br>department score "
            "90.00% reached the step from 90% → 1.00 | 3,220.00 |  |") in slip(company, "E013")  # fmt: skip


def test_a_slip_without_company_or_notes_keeps_its_old_lines(company: Path) -> None:
    # an earlier month's version (2024.01) has a company but no notes; remove the company too
    policy = company / "policies" / "2024-01.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text[: text.index("\ncompany:")] + "\n", encoding="utf-8")
    assert run_cli(["compute", "--period", "2024-02"]).code == 0
    text = (company / "out" / "2024-02" / "payslips" / "E013.md").read_text(encoding="utf-8")
    assert text.startswith("# 工资单 Pay slip 2024-02 — 马超 Ma Chao (E013)")
    assert "Pay date" not in text
    # no note: the step the score reached is still said
    assert "部门得分 " in text and "reached the step from" in text


@pytest.mark.parametrize(
    ("day", "month", "period", "paid"),
    [
        (10, "next", "2024-05", dt.date(2024, 6, 10)),
        (31, "next", "2024-05", dt.date(2024, 6, 30)),  # June has 30 days
        (31, "next", "2024-01", dt.date(2024, 2, 29)),  # a leap year's February
        (30, "same", "2023-02", dt.date(2023, 2, 28)),
        (15, "next", "2024-12", dt.date(2025, 1, 15)),  # into the next year
    ],
)
def test_the_pay_date(day: int, month: str, period: str, paid: dt.date) -> None:
    assert Company("Acme", day, month).pay_date(Period.parse(period)) == paid
    assert Company("Acme").pay_date(Period.parse(period)) is None


def test_labels_split_into_their_languages() -> None:
    assert bilingual("发货率 Shipping rate (orders shipped on time)") == (
        "发货率", "Shipping rate (orders shipped on time)")  # fmt: skip
    assert bilingual("Base pay") == ("Base pay", "Base pay")
    assert bilingual("基本工资") == ("基本工资", "基本工资")


def test_a_note_shows_values_in_their_style() -> None:
    from decimal import Decimal

    assert shown(Decimal("0.35"), "%") == "35%"
    assert shown(Decimal("0.355"), "%") == "35.5%"
    assert shown(Decimal("9200"), "money") == "9,200.00"
    assert shown(Decimal("-0.00"), "money") == "0.00"
    assert shown(Decimal("0.9"), "", rate=True) == "90.00%"
    assert shown(Decimal("1.15")) == "1.15"
    assert shown(True) == "是 yes"
    assert shown("manager") == "manager"
    assert shown(dt.date(2024, 5, 12)) == "2024-05-12"
    assert shown(None) == "—"


def test_year_to_date_where_the_policy_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .conftest import ROOT, working_copy

    working_copy(ROOT / "examples" / "cn-payroll", ("policies", "data"), tmp_path, monkeypatch)
    ran = run_cli(["compute", "--period", "2024-03", "--data", "data", "--format", "md"])
    assert ran.code == 0, ran.stderr
    text = (tmp_path / "out" / "2024-03" / "payslips" / "E01.md").read_text(encoding="utf-8")
    assert "## 本年累计 Year to date (2024-01..2024-03)" in text
    # January and February (1,493.98 withheld before), March, and their sum
    assert "| 个人所得税 Individual income tax | 1,493.98 | 1,606.99 | 3,100.97 |" in text
    assert "应发合计 Gross" not in text  # not read year to date: the months do not hold it


def test_equal_numbers_written_apart_are_shown_apart() -> None:
    from decimal import Decimal

    from innerpay.evaluate.notes import _shown_decimal

    one, also = Decimal("1.0"), Decimal("1.00")
    assert _shown_decimal(one, one.as_tuple().exponent, "", False) == "1.0"
    assert _shown_decimal(also, also.as_tuple().exponent, "", False) == "1.00"


def test_explain_shows_the_sentence_the_slip_shows(company: Path) -> None:
    import json

    assert run_cli(["compute", "--period", "2024-05", "--format", "md"]).code == 0
    ran = run_cli(["explain", "--period", "2024-05", "--employee", "E006", "--json"])
    assert ran.code == 0, ran.stderr
    lines = {x["id"]: x for x in json.loads(ran.stdout)["lines"]}
    said = lines["performance_bonus"]["slip"]
    assert said["zh"] in slip(company, "E006") and said["en"] in slip(company, "E006")
    assert said["en"].startswith("department score 96.93% reached the step from 95% → 1.15")
    assert lines["manager_allowance"]["slip"] is None  # not applied: not on the slip


def test_the_html_slip_says_what_its_mark_means_where_it_has_one(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05", "--format", "html"]).code == 0
    legend = (
        "* 一次性调整或补差，不按制度计算 A one-off adjustment or arrear, not worked out by a rule."
    )
    assert legend in slip(company, "E003", "html")  # an advance clawed back
    assert '<tr class="adjustment">' in slip(company, "E003", "html")
    assert legend not in slip(company, "E001", "html")  # every line by a rule
