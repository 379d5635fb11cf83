"""The payroll of record (examples/cn-payroll): year to date, record tables, values, checks,
arrears of a retroactive raise taxed when paid, and verify naming an earlier period."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from .conftest import ROOT, run_cli, working_copy

EXAMPLE = ROOT / "examples" / "cn-payroll"


@pytest.fixture
def example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working copy of examples/cn-payroll (policies/ and data/)."""
    return working_copy(EXAMPLE, ("policies", "data"), tmp_path, monkeypatch)


def results(folder: Path, period: str) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "out" / period / "results.json").read_text(encoding="utf-8"))


def lines_of(folder: Path, period: str, employee: str) -> dict[str, Decimal]:
    found = results(folder, period)["employees"][employee]
    return {k: Decimal(v) for k, v in found["lines"].items()}


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def set_cell(path: Path, employee: str, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["id"] == employee:
            row[column] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def test_the_data_generator_writes_the_committed_data(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "make_data.py", tmp_path / "make_data.py")
    import runpy

    runpy.run_path(str(tmp_path / "make_data.py"), run_name="__main__")
    assert hashes(tmp_path / "data") == hashes(EXAMPLE / "data")


def test_the_published_examples_pass_as_policy_tests(example: Path) -> None:
    ran = run_cli(["test"])
    assert (ran.code, ran.stdout, ran.stderr) == (0, "innerpay test: 9 passed, 0 failed\n", "")


def test_the_policy_tests_fail_when_the_tax_table_is_wrong(example: Path) -> None:
    policy = example / "policies" / "2024-01.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("{up_to: 3000, rate: 0.03", "{up_to: 2999.99, rate: 0.03"),
                      encoding="utf-8")  # fmt: skip
    ran = run_cli(["test"])
    assert ran.code == 1
    assert "annual_bonus_tax: expected 1080.00, got 3390.00" in ran.stdout + ran.stderr


def test_every_month_of_2024_computes_and_every_line_is_explained(example: Path) -> None:
    for month in range(1, 13):
        ran = run_cli(["compute", "--period", f"2024-{month:02d}"])
        assert ran.code == 0, ran.stderr
    december = results(example, "2024-12")
    assert sorted(december["employees"]) == [f"E{k:02d}" for k in range(1, 12) if k != 8]
    for employee in ("E01", "E06", "E07", "E10"):
        ran = run_cli(["explain", "--period", "2024-04", "--employee", employee, "--json"])
        assert ran.code == 0, ran.stderr
        explained = json.loads(ran.stdout)
        for line in explained["lines"]:
            for name in line["inputs"]:
                assert name["origin"] != "computed", (employee, line["id"], name)
    # the year's withholding adds up: ytd_iit of December is Σ iit over the year
    for employee in ("E01", "E02", "E09"):
        withheld = sum(
            (lines_of(example, f"2024-{m:02d}", employee)["iit"] for m in range(1, 13)),
            Decimal(0),
        )
        assert lines_of(example, "2024-12", employee)["ytd_iit"] == withheld


def test_the_hire_month_counts_whole_and_pay_is_prorated(example: Path) -> None:
    assert run_cli(["compute", "--period", "2024-03"]).code == 0
    wu = lines_of(example, "2024-03", "E10")  # hired 2024-03-15 at 8,000.00
    assert wu["base"] == Decimal("4387.10")  # 8000 × 17 ÷ 31
    assert wu["pension"] == Decimal("640.00")  # charged in full in the hire month
    assert wu["housing_fund"] == Decimal("560")  # 7% rounded to the yuan
    ran = run_cli(["explain", "--period", "2024-03", "--employee", "E10", "--line", "ytd_taxable"])
    assert "months_employed     1" in ran.stdout
    assert "the hire month counts as a whole month" in ran.stdout


def test_overtime_leave_and_the_minimum_wage_come_from_attendance(example: Path) -> None:
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    zhao = lines_of(example, "2024-04", "E07")
    assert zhao["leave"] == Decimal("478.16")  # 5,200.00 × 2 ÷ 21.75
    ran = run_cli(["explain", "--period", "2024-04", "--employee", "E07", "--line", "leave"])
    assert 'Σ hours / 8 where kind == "unpaid_leave" over 2 row(s) of ' in ran.stdout
    yang = lines_of(example, "2024-04", "E06")
    # 2,690.00 − (2,300.00 − 0 + 2,300.00 × 0.20 × 0.40)
    assert yang["min_wage_topup"] == Decimal("206.00")
    slip = (example / "out" / "2024-04" / "payslips" / "E06.md").read_text(encoding="utf-8")
    assert "> **Warning:** 基本工资低于最低工资" in slip
    assert results(example, "2024-04")["employees"]["E06"]["warnings"] == ["below_min_wage"]
    report = (example / "out" / "2024-04" / "departments.md").read_text(encoding="utf-8")
    assert "| below\\_min\\_wage | 基本工资低于最低工资" in report


def test_the_annual_bonus_is_taxed_apart_from_the_wages(example: Path) -> None:
    assert run_cli(["compute", "--period", "2024-02"]).code == 0
    taxes = {e: lines_of(example, "2024-02", e)["annual_bonus_tax"] for e in ("E01", "E03", "E09")}
    assert taxes == {"E01": Decimal("1080.00"), "E03": Decimal("3390.01"),
                     "E09": Decimal("3390.10")}  # fmt: skip
    wang = lines_of(example, "2024-02", "E01")
    assert wang["wages"] == wang["base"] + wang["performance_bonus"]  # the bonus is not wages
    assert run_cli(["compute", "--period", "2024-03"]).code == 0  # no bonus.csv: optional
    assert lines_of(example, "2024-03", "E01")["annual_bonus"] == 0


def close(period: str) -> None:
    assert run_cli(["compute", "--period", period]).code == 0
    assert run_cli(["close", "--period", period, "--by", "韩梅 Han Mei"]).code == 0


def test_a_retroactive_raise_is_paid_and_taxed_in_april(example: Path) -> None:
    for period in ("2024-01", "2024-02", "2024-03"):
        close(period)
    paid = hashes(example / "out")
    tax_paid = {p: lines_of(example, p, "E02")["iit"] for p in ("2024-02", "2024-03")}
    # decided in April: Li Qiang's base salary is 10,000.00 from February
    for period in ("2024-02", "2024-03"):
        set_cell(example / "data" / period / "employees.csv", "E02", "base_salary", "10000.00")
    for period in ("2024-04", "2024-05"):
        set_cell(example / "data" / period / "employees.csv", "E02", "base_salary", "10000.00")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 0, ran.stderr
    assert "the data of closed period 2024-02 changed since it was closed" in ran.stderr
    april = results(example, "2024-04")["employees"]["E02"]
    arrears = {a["period"]: Decimal(a["amount"]) for a in april["arrears"]}
    factor = {  # base and performance bonus: 1,000.00 × (1 + 0.20 × factor) a month
        p: (lines_of(example, p, "E02")["performance_bonus"] / Decimal(1800)).quantize(
            Decimal("0.01")
        )
        for p in ("2024-02", "2024-03")
    }
    assert arrears == {p: Decimal(1000) * (1 + Decimal("0.20") * factor[p]) for p in arrears}
    april_lines = {k: Decimal(v) for k, v in april["lines"].items()}
    assert april_lines["wages"] == (
        april_lines["base"] + april_lines["performance_bonus"] + april_lines["overtime"]
        + april_lines["min_wage_topup"] - april_lines["leave"] + sum(arrears.values())
    )  # fmt: skip
    # the closed months are left as paid: not one byte of them changed
    assert {k: v for k, v in hashes(example / "out").items() if not k.startswith("2024-04")} == {
        k: v for k, v in paid.items()
    }
    assert {p: lines_of(example, p, "E02")["iit"] for p in tax_paid} == tax_paid
    # the tax on the arrears is withheld in April: more than April would withhold without them
    assert april_lines["iit"] > tax_paid["2024-03"]
    ran = run_cli(["explain", "--period", "2024-04", "--employee", "E02", "--line", "wages"])
    assert "arrears paid this period: 补发 Arrears 2024-02" in ran.stdout
    # May sees April's arrears in its year to date, and carries none again
    close("2024-04")
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    may = results(example, "2024-05")["employees"]["E02"]
    assert may["arrears"] == []
    ran = run_cli(["explain", "--period", "2024-05", "--employee", "E02", "--line", "ytd_taxable"])
    april_wages = f"{april_lines['wages']:,.2f}"
    assert f"2024-04 (closed) {april_wages}" in ran.stdout


RETRO = """\
innerpay: 1
version: "2024.02-retro"
effective_from: 2024-02
title: a larger performance bonus from February, decided in April
"""


def test_a_retroactive_policy_version_pays_arrears_without_revaluing_the_tax(
    example: Path,
) -> None:
    for period in ("2024-01", "2024-02", "2024-03"):
        close(period)
    first = (example / "policies" / "2024-01.yaml").read_text(encoding="utf-8")
    retro = first.replace('version: "2024.01"', 'version: "2024.02-retro"').replace(
        "effective_from: 2024-01", "effective_from: 2024-02"
    ).replace("performance_ratio: 0.20", "performance_ratio: 0.25")  # fmt: skip
    (example / "policies" / "2024-02-retro.yaml").write_text(retro, encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 0, ran.stderr
    april = results(example, "2024-04")["employees"]
    for employee in ("E01", "E05"):
        carried = {a["period"]: a for a in april[employee]["arrears"]}
        assert sorted(carried) == ["2024-02", "2024-03"]
        for period, arrear in carried.items():
            closed = lines_of(example, period, employee)
            # the difference of the bonus alone: base × 0.05 × factor; the tax is not revalued
            ratio = closed["performance_bonus"] / closed["base"] / Decimal("0.20")
            assert Decimal(arrear["amount"]) == (closed["base"] * Decimal("0.05") * ratio
                                                 ).quantize(Decimal("0.01"))  # fmt: skip


def test_verify_of_a_later_month_names_the_earlier_period_that_changed(example: Path) -> None:
    assert run_cli(["compute", "--period", "2024-03"]).code == 0
    assert run_cli(["verify", "out/2024-03"]).code == 0
    manifest = json.loads((example / "out" / "2024-03" / "manifest.json").read_text("utf-8"))
    assert list(manifest["year_to_date"]) == ["2024-01", "2024-02"]
    assert manifest["year_to_date"]["2024-02"]["source"] == "computed"
    set_cell(example / "data" / "2024-02" / "employees.csv", "E02", "base_salary", "9500.00")
    ran = run_cli(["verify", "out/2024-03"])
    assert ran.code == 1
    assert (
        "out/2024-03: input changed since the run: data/2024-02/employees.csv "
        "(year to date: earlier period 2024-02, computed from its data)"
    ) in ran.stdout


def test_a_closed_earlier_month_is_read_as_recorded(example: Path) -> None:
    close("2024-01")
    recorded = lines_of(example, "2024-01", "E02")
    # January's data changes after it was closed: February still reads January as paid
    set_cell(example / "data" / "2024-01" / "employees.csv", "E02", "base_salary", "1.00")
    ran = run_cli(["compute", "--period", "2024-02"])
    assert ran.code == 0, ran.stderr
    assert "year to date from: 2024-01 closed" in ran.stdout
    ran = run_cli(["explain", "--period", "2024-02", "--employee", "E02", "--line", "ytd_iit"])
    assert f"2024-01 (closed) {recorded['iit']:,.2f}" in ran.stdout
    manifest = json.loads((example / "out" / "2024-02" / "manifest.json").read_text("utf-8"))
    assert manifest["year_to_date"]["2024-01"]["inputs"] == {
        "out/2024-01/payroll.csv": hashlib.sha256(
            (example / "out" / "2024-01" / "payroll.csv").read_bytes()
        ).hexdigest()
    }


def test_a_closed_month_reads_alike_from_payroll_csv_and_results_json(example: Path) -> None:
    from innerpay.audit.ledger import summary_from_payroll_csv, summary_from_results_json

    close("2024-01")
    close("2024-02")
    set_cell(example / "data" / "2024-02" / "employees.csv", "E02", "base_salary", "9900.00")
    close("2024-03")  # carries arrears for February
    wanted = frozenset({"wages", "iit", "net", "arrears", "contributions", "no_such_line"})
    for period in ("2024-01", "2024-03"):
        folder = example / "out" / period
        fast = summary_from_payroll_csv(str(folder), wanted)
        plain = summary_from_results_json(str(folder / "results.json"), wanted)
        assert fast is not None
        assert (fast.policy_sha256, fast.version, fast.corrected, fast.names, fast.amounts) == (
            plain.policy_sha256, plain.version, plain.corrected, plain.names, plain.amounts)  # fmt: skip
    assert summary_from_payroll_csv(str(example / "out" / "2024-03"), wanted).amounts[  # type: ignore[union-attr]
        "arrears"] == {"E02": Decimal("1116.00")}  # 900.00 × (1 + 0.20 × 1.20)  # fmt: skip
    # a payroll.csv edited after the close is refused, not read
    csv_file = example / "out" / "2024-01" / "payroll.csv"
    csv_file.write_text(csv_file.read_text("utf-8").replace(",", ";", 1), encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 5
    assert "is not the payroll.csv its run recorded (edited since?)" in ran.stderr


def test_a_missing_earlier_month_is_an_error_naming_it(example: Path) -> None:
    shutil.rmtree(example / "data" / "2024-02")
    ran = run_cli(["compute", "--period", "2024-03"])
    assert ran.code == 4
    assert ran.stderr == (
        "data/2024-02: error: year to date of 2024-03 needs 2024-02: it is not closed (in "
        "data/ledger.json), it has no data folder (or no policy version in force), and no opening balances "
        "(data/opening-2024.csv) cover it\n"
    )
    assert not (example / "out").exists()


def test_opening_balances_cover_the_months_before_innerpay(example: Path) -> None:
    for period in ("2024-01", "2024-02", "2024-03"):
        assert run_cli(["compute", "--period", period, "--out", "before"]).code == 0
    before = {
        p: json.loads((example / "before" / p / "results.json").read_text("utf-8"))["employees"]
        for p in ("2024-01", "2024-02", "2024-03")
    }
    names = ("wages", "contributions", "special", "iit")
    with (example / "data" / "opening-2024.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["employee", "through", *names])
        for emp_id in sorted(before["2024-02"]):
            sums = [
                sum((Decimal(before[p][emp_id]["lines"][n]) for p in ("2024-01", "2024-02")
                     if emp_id in before[p]), Decimal(0))
                for n in names
            ]  # fmt: skip
            out.writerow([emp_id, "2024-02", *sums])
    shutil.rmtree(example / "data" / "2024-01")
    shutil.rmtree(example / "data" / "2024-02")
    ran = run_cli(["compute", "--period", "2024-03"])
    assert ran.code == 0, ran.stderr
    assert "year to date from: 2024-01..2024-02 opening balances" in ran.stdout
    for emp_id in before["2024-03"]:
        assert lines_of(example, "2024-03", emp_id)["iit"] == Decimal(
            before["2024-03"][emp_id]["lines"]["iit"]
        )


HEAD = "employee,through,wages,contributions,special,iit\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"{HEAD}E01,2024-02,x,0,0,0\n",
         "data/opening-2024.csv:2:3: error: wages: 'x' is not a number"),
        (f"{HEAD}E01,2024-02,1,0,0,0\nE02,2024-01,1,0,0,0\n",
         "data/opening-2024.csv:1: error: through: every row must name the same month "
         "(found 2024-01, 2024-02)"),
        (f"{HEAD}E01,2024-05,1,0,0,0\n",
         "data/opening-2024.csv:2: error: through 2024-05: the opening balances must end before "
         "2024-03, in 2024"),
        ("employee,through\nE01,2024-02\n",
         "data/opening-2024.csv:1: error: missing column 'contributions' (needed by "
         "ytd(contributions))"),
    ],
)  # fmt: skip
def test_bad_opening_balances(example: Path, content: str, message: str) -> None:
    (example / "data" / "opening-2024.csv").write_text(content, encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-03"])
    assert ran.code == 4
    assert message in ran.stderr.splitlines()


def test_a_record_of_someone_not_employed_is_an_error_at_its_row(example: Path) -> None:
    path = example / "data" / "2024-03" / "attendance.csv"
    path.write_text(path.read_text("utf-8") + "E08x,2024-03-05,weekday_ot,2\n", encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-03"])
    rows = len(path.read_text("utf-8").splitlines())
    assert ran.code == 4
    assert ran.stderr == (
        f"data/2024-03/attendance.csv:{rows}:1: error: record for 'E08x', who is not in "
        "employees.csv this period; did you mean 'E08'?\n"
    )


def test_a_required_record_table_that_is_absent_is_an_error_naming_it(example: Path) -> None:
    (example / "data" / "2024-03" / "attendance.csv").unlink()
    ran = run_cli(["compute", "--period", "2024-03"])
    assert ran.code == 4
    assert ran.stderr == (
        "data/2024-03/attendance.csv: error: no attendance.csv: record table 'attendance' is "
        "required by policies/2024-01.yaml (declare it optional: true if a month may have none)\n"
    )


def test_a_check_with_severity_error_stops_the_run_naming_the_employees(example: Path) -> None:
    adjustments = example / "data" / "2024-03" / "adjustments.csv"
    adjustments.write_text(
        "employee,label,amount,kind,category,reason,approved_by\n"
        "E06,扣回 Clawback,5000.00,deduction,taxable,overpaid bonus,周丽 Zhou Li\n",
        encoding="utf-8",
    )
    ran = run_cli(["compute", "--period", "2024-03"])
    assert ran.code == 4
    assert (
        "policies/2024-01.yaml:244:5: error: check 'negative_net' fails for employee E06: "
        "实发为负 net pay below zero"
    ) in ran.stderr.splitlines()
    assert not (example / "out").exists()


def test_an_adjustment_category_reaches_the_tax(example: Path) -> None:
    assert run_cli(["compute", "--period", "2024-07"]).code == 0
    yang = lines_of(example, "2024-07", "E06")  # a taxable 300.00 heat allowance
    liu = lines_of(example, "2024-07", "E04")  # a tax-exempt 450.00 travel allowance
    for person, taxable in ((yang, Decimal(300)), (liu, Decimal(0))):
        assert person["wages"] == (
            person["base"] + person["performance_bonus"] + person["overtime"]
            + person["min_wage_topup"] - person["leave"] + taxable
        )  # fmt: skip
    bad = example / "data" / "2024-07" / "adjustments.csv"
    bad.write_text(bad.read_text("utf-8").replace("tax_exempt", "tax_exmpt"), encoding="utf-8")
    message = (
        "data/2024-07/adjustments.csv:3:5: error: category 'tax_exmpt' is not one of the "
        "policy's adjustment categories (taxable, tax_exempt); did you mean 'tax_exempt'?\n"
    )
    ran = run_cli(["compute", "--period", "2024-07", "--out", "again"])
    assert (ran.code, ran.stderr) == (4, message)
    ran = run_cli(["compute", "--period", "2024-08", "--out", "again"])
    assert (ran.code, ran.stderr) == (4, message)  # July, not closed, is computed for August


def test_the_slip_with_values_and_a_warning(example: Path, snapshot: SnapshotAssertion) -> None:
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    out = example / "out" / "2024-04"
    assert (out / "payslips" / "E06.md").read_text(encoding="utf-8") == snapshot
    assert (out / "payslips" / "E06.html").read_text(encoding="utf-8") == snapshot
    ran = run_cli(["explain", "--period", "2024-04", "--employee", "E02"])
    assert ran.stdout == snapshot


def test_diff_of_two_versions_that_read_the_year_to_date(example: Path) -> None:
    first = (example / "policies" / "2024-01.yaml").read_text(encoding="utf-8")
    (example / "other.yaml").write_text(
        first.replace('version: "2024.01"', 'version: "2024.01b"').replace(
            "performance_ratio: 0.20 ", "performance_ratio: 0.25 "
        ),
        encoding="utf-8",
    )
    ran = run_cli(["diff", "--period", "2024-03", "--base", "2024.01", "--head", "other.yaml",
                   "--format", "json"])  # fmt: skip
    assert ran.code == 0, ran.stderr
    found = json.loads(ran.stdout)
    bonus = {
        row["employee"]: (Decimal(row["base"]), Decimal(row["head"]))
        for row in found["lines"]
        if row["line"] == "performance_bonus"
    }
    assert len(bonus) == 11  # everyone paid in March
    assert all(head == (base * 5 / 4).quantize(Decimal("0.01")) for base, head in bonus.values())
    changed = {row["line"] for row in found["lines"]}
    assert {"performance_bonus", "wages", "ytd_taxable", "iit"} <= changed


def test_a_large_payroll_of_record_gives_the_bytes_the_csv_module_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench/payroll.py's company, small: the command (pyarrow's readers, arrow columns) and
    the csv module's reading (Python values, the Decimal kernels) give the same February."""
    import importlib.util
    import sys

    from innerpay import evaluate, load_policies, render_files, version_in_force
    from innerpay.data import assemble
    from innerpay.data.tables import FAST_BYTES, read_plain, stream_plain
    from innerpay.data.tally import needed_columns
    from innerpay.errors import has_errors
    from innerpay.evaluate import YearToDate
    from innerpay.outputs import joined
    from innerpay.periods import Period
    from innerpay.ytd import month_of

    spec = importlib.util.spec_from_file_location("payroll_bench", ROOT / "bench" / "payroll.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["payroll_bench"] = bench
    spec.loader.exec_module(bench)
    bench.generate(3000, tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("employees.csv", "attendance.csv"):
        assert (tmp_path / "data" / "2024-02" / name).stat().st_size >= FAST_BYTES
    ran = run_cli(["compute", "--period", "2024-02", "--format", "csv,json"])
    assert ran.code == 0, ran.stderr

    policies, _ = load_policies("policies")
    months = []
    for period in (Period(2024, 1), Period(2024, 2)):
        policy, _ = version_in_force(policies, period, "policies")
        assert policy is not None
        folder = tmp_path / "data" / str(period)
        problems: list = []  # type: ignore[type-arg]
        tables = {}
        for name in ("employees", "attendance"):
            tables[name], found = read_plain(str(folder / f"{name}.csv"))
            problems += found
        streams = {}
        for table in sorted({m.table for m in policy.metrics.values()}):
            wanted = ["department", *needed_columns(policy, table)]
            streams[table], found = stream_plain(str(folder / f"{table}.csv"), wanted)
            problems += found
        data = assemble(period, str(folder), tables, streams, {}, policy, problems)
        results, found = evaluate(policy, data, earlier=YearToDate(period, tuple(months)))
        assert results is not None and not has_errors(problems + found)
        months.append(month_of(results, policies.earlier_names))
    rendered = render_files(results, ("csv", "json")).files
    out = tmp_path / "out" / "2024-02"
    assert (out / "payroll.csv").read_bytes() == joined(rendered["payroll.csv"])
    assert (out / "results.json").read_bytes() == joined(rendered["results.json"])
    assert (out / "results.json").read_bytes().count(b'"warnings": ["below_min_wage"]') > 100
