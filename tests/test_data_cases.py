"""One small bad data file per mistake, each with the exit code and exact messages it must give.

Each folder in tests/cases/data/ holds the bad file(s), dropped into a copy of the reference
company's 2024-04, and `expected.txt`: the exit code, then every line innerpay prints.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import CASES, ROOT, compute_data, run_cli

DATA_CASES = sorted(p for p in (CASES / "data").iterdir() if p.is_dir())


def period_with(tmp_path: Path, files: list[Path]) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    folder = tmp_path / "data" / "2024-04"
    shutil.copytree(ROOT / "fixtures" / "2024-04", folder)
    for file in files:
        shutil.copy(file, folder / file.name)
    return folder


@pytest.mark.parametrize("case", DATA_CASES, ids=lambda p: p.name)
def test_each_bad_file_gives_its_message_and_writes_nothing(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    period_with(tmp_path, sorted(case.glob("*.csv")))
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    code, *lines = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert f"exit {ran.code}" == code
    assert ran.stderr.splitlines() == lines
    assert not (tmp_path / "out").exists()


def test_gb18030_export_reads_with_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = period_with(tmp_path, [])
    for table in folder.glob("*.csv"):  # an export from Chinese Excel: every file in GB18030
        table.write_bytes(table.read_text(encoding="utf-8").encode("gb18030"))
    ran = compute_data(tmp_path, monkeypatch, "2024-04", "--encoding", "gb18030")
    assert ran.code == 0, ran.stderr
    slip = (tmp_path / "out" / "2024-04" / "payslips" / "E001.md").read_text(encoding="utf-8")
    assert "王强 Wang Qiang" in slip


def test_bom_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = period_with(tmp_path, [])
    employees = folder / "employees.csv"
    employees.write_bytes(b"\xef\xbb\xbf" + employees.read_bytes())
    monkeypatch.chdir(tmp_path)
    assert run_cli(["compute", "--period", "2024-04", "--data", "data"]).code == 0


def test_missing_metric_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = period_with(tmp_path, [])
    (folder / "shipments.csv").unlink()
    ran = compute_data(tmp_path, monkeypatch, "2024-04")
    assert (ran.code, ran.stderr) == (
        4,
        "data/2024-04/shipments.csv: error: cannot read the file: No such file or directory\n",
    )


def test_missing_period_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    period_with(tmp_path, [])
    ran = compute_data(tmp_path, monkeypatch, "2024-03")
    assert (ran.code, ran.stderr) == (4, "data/2024-03: error: no data folder for period 2024-03\n")


def test_unknown_encoding_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    period_with(tmp_path, [])
    ran = compute_data(tmp_path, monkeypatch, "2024-04", "--encoding", "klingon")
    assert ran.code == 2
    assert "unknown encoding 'klingon'; for example utf-8 or gb18030" in ran.stderr
    assert not (tmp_path / "out").exists()


def test_a_month_in_gb18030_beside_utf8_months(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The months before are UTF-8 (a cell that GB18030 cannot read: '€' before a comma); the
    # new month's export is GB18030.  --encoding names the period's files; each earlier month is
    # read as its own run read it, or each file in its own encoding.
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    for month in ("2024-03", "2024-04", "2024-05"):
        shutil.copytree(ROOT / "fixtures" / month, tmp_path / "data" / month)
    shipments = tmp_path / "data" / "2024-04" / "shipments.csv"
    lines = shipments.read_text(encoding="utf-8").splitlines()
    shipments.write_text("\n".join(f"{line},{'note' if k == 0 else '€'}" for k, line in
                                   enumerate(lines)) + "\n", encoding="utf-8")  # fmt: skip
    for table in (tmp_path / "data" / "2024-05").glob("*.csv"):
        table.write_bytes(table.read_text(encoding="utf-8").encode("gb18030"))
    ran = compute_data(tmp_path, monkeypatch, "2024-05", "--encoding", "gb18030")
    assert ran.code == 0, ran.stderr
    slip = (tmp_path / "out" / "2024-05" / "payslips" / "E001.md").read_text(encoding="utf-8")
    assert "王强 Wang Qiang" in slip
    assert run_cli(["verify", "out/2024-05"]).code == 0
