"""Problems found only while computing: unguarded names, missing values, empty tables."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_cli


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_unguarded_name_is_an_error_once_for_all_employees(company: Path) -> None:
    edit(
        company / "policies" / "2024-01.yaml",
        "(step(performance_factor, score) if has_customer else neutral_factor)",
        "step(performance_factor, score)",
    )
    ran = run_cli(["compute", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        3,
        "policies/2024-01.yaml:85:55: error: pay line 'performance_bonus' for employee E028 (and 1 more): "
        "'score' has no value here: department 'administration' has no internal customer\n",
    )


def test_an_unguarded_when_points_at_the_when(company: Path) -> None:
    edit(company / "policies" / "2024-01.yaml", 'role == "manager" and has_customer', "target_met")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        3,
        "policies/2024-01.yaml:91:13: error: pay line 'manager_allowance' for employee E028 (and 1 more): "
        "'target_met' has no value here: department 'administration' has no internal customer\n",
    )


def test_an_unguarded_comparison_with_an_empty_cell_names_the_row(company: Path) -> None:
    edit(
        company / "policies" / "2024-01.yaml",
        "success: shipped_on and shipped_on <= promised_on",
        "success: shipped_on <= promised_on",
    )
    edit(
        company / "fixtures" / "2024-04" / "shipments.csv",
        ",2024-04-26,2024-04-28\n",
        ",2024-04-26,\n",
    )
    ran = run_cli(["compute", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        4,
        "fixtures/2024-04/shipments.csv:21: error: metric 'shipping_rate' success: '<=' compares an "
        "empty value (shipped_on is empty); guard it, like 'shipped_on and ...'\n",
    )


def test_no_rows_without_when_empty(company: Path) -> None:
    orders = company / "fixtures" / "2024-04" / "production_orders.csv"
    orders.write_text(orders.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    edit(company / "policies" / "2024-01.yaml", "    when_empty: 1.0\n", "")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        4,
        "fixtures/2024-04/production_orders.csv: error: no rows for department 'production' and "
        "metric 'delivery_rate' has no when_empty; add rows, or give the metric a when_empty value\n",
    )


def test_an_empty_weight_names_the_row(company: Path) -> None:
    receivables = company / "fixtures" / "2024-04" / "receivables.csv"
    edit(receivables, ",56000.00,", ",,")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert (ran.code, ran.stderr) == (
        4,
        "fixtures/2024-04/receivables.csv:3: error: metric 'collection_rate' weight: the weight is "
        "empty (amount is empty)\n",
    )


def test_problems_of_earlier_periods_read_for_the_streak(company: Path) -> None:
    # 2024-05 reads purchasing's 2024-04 and 2024-03 to count its streak
    requests = company / "fixtures" / "2024-03" / "purchase_requests.csv"
    requests.write_text(
        requests.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8"
    )
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 4
    assert (
        "fixtures/2024-03/purchase_requests.csv: error: no rows for department 'purchasing' and "
        "metric 'purchase_rate' has no when_empty" in ran.stderr
    )


def test_a_missing_earlier_period_ends_the_streak(company: Path) -> None:
    import json
    import shutil

    shutil.rmtree(company / "fixtures" / "2024-03")
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    results = json.loads((company / "out" / "2024-05" / "results.json").read_text(encoding="utf-8"))
    assert results["departments"]["purchasing"]["flags"] == []
    assert results["departments"]["purchasing"]["below_target_streak"] == 2


def test_hired_on_and_left_on_can_guard_a_line(company: Path) -> None:
    edit(
        company / "policies" / "2024-05.yaml",
        "      when: has_customer and target_met\n      formula: prorate(team_award_amount)",
        "      when: has_customer and target_met and not left_on\n      formula: prorate(team_award_amount)",
    )
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    import json

    results = json.loads((company / "out" / "2024-05" / "results.json").read_text(encoding="utf-8"))
    assert results["employees"]["E006"]["lines"]["team_award"] == "0.00"  # leaves on 2024-05-20
    assert results["employees"]["E005"]["lines"]["team_award"] == "300.00"
