"""Computing the reference company: every output of every period, pinned; byte-identical reruns."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from innerpay.render import pdf

from .conftest import ROOT, run_cli

PERIODS = sorted(p.name for p in (ROOT / "fixtures").iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The reference company computed for every period, once for this module."""
    home = tmp_path_factory.mktemp("company")
    shutil.copytree(ROOT / "policies", home / "policies")
    shutil.copytree(ROOT / "fixtures", home / "fixtures")
    before = os.getcwd()
    os.chdir(home)
    try:
        for period in PERIODS:
            ran = run_cli(["compute", "--period", period])
            assert ran.code == 0, ran.stderr
        yield home / "out"
    finally:
        os.chdir(before)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_every_period_of_the_fixtures_computes(computed: Path) -> None:
    assert sorted(p.name for p in computed.iterdir() if not p.name.startswith(".")) == PERIODS


def test_a_run_writes_every_output(computed: Path) -> None:
    names = set(files_of(computed / "2024-05"))
    employees = (ROOT / "fixtures" / "2024-05" / "employees.csv").read_text(encoding="utf-8")
    ids = [line.split(",")[0] for line in employees.splitlines()[1:]]
    expected = {
        "payroll.csv",
        "results.json",
        "manifest.json",
        "departments.md",
        "departments.html",
        "promotion.md",
        "promotion.html",
        "payroll-summary.md",
        "payroll-summary.html",
    } | {f"payslips/{i}.{kind}" for i in ids for kind in ("md", "html")}
    assert names == expected


#: What a person reads of 2024-05: the reports, payroll.csv, and one slip per kind of case (a
#: hire mid-month, a leaver, an adjustment each way, a manager, a department without customer).
#: Every slip is made by the same template and view; results.json holds every value of every
#: employee (snapshotted per period below); the manifest's hashes are recomputed, not pinned.
READ = [
    "departments.md",
    "departments.html",
    "promotion.md",
    "promotion.html",
    "payroll-summary.md",
    "payroll-summary.html",
    "payroll.csv",
    *[f"payslips/{e}.{kind}" for e in ("E031", "E006") for kind in ("md", "html")],
    "payslips/E013.md",  # an earning adjustment
    "payslips/E003.md",  # a deduction adjustment
    "payslips/E001.md",  # a manager whose department met its target
    "payslips/E028.md",  # administration: no customer
]


def test_rendered_files_of_2024_05(computed: Path, snapshot: SnapshotAssertion) -> None:
    files = files_of(computed / "2024-05")
    for name in READ:
        assert files[name].decode("utf-8") == snapshot(name=name)


@pytest.mark.parametrize("period", PERIODS)
def test_results_of_every_period(computed: Path, period: str, snapshot: SnapshotAssertion) -> None:
    assert (computed / period / "results.json").read_text(encoding="utf-8") == snapshot


def test_manifest_names_every_input_and_output(computed: Path) -> None:
    folder = computed / "2024-05"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, sha in manifest["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha
    assert set(manifest["outputs"]) == set(files_of(folder)) - {"manifest.json"}
    inputs = manifest["inputs"]
    assert "policies/2024-05.yaml" in inputs
    # history for the below_target streak: 2024-03 and 2024-04, judged by 2024.01
    assert "policies/2024-01.yaml" in inputs
    assert "fixtures/2024-03/purchase_requests.csv" in inputs
    assert "innerpay:templates/payslip.md.j2" in inputs


def test_the_reference_company_shows_the_rules(computed: Path) -> None:
    may = json.loads((computed / "2024-05" / "results.json").read_text(encoding="utf-8"))
    depts = may["departments"]
    assert depts["administration"]["flags"] == ["no_customer"]
    assert depts["administration"]["score"] is None
    assert depts["purchasing"]["flags"] == ["below_target"]  # 03, 04, 05 missed
    assert depts["production"]["metrics"]["delivery_rate"] == "0.9"  # exactly at target: met
    assert depts["production"]["target_met"] is True
    assert depts["material_control"]["metrics"]["shipping_rate"] == "0.95"
    leaver = may["employees"]["E006"]
    assert leaver["employed_days"] == 20
    assert leaver["lines"]["base"] == "5870.97"  # 9100.00 × 20 / 31, half up
    assert may["employees"]["E031"]["employed_days"] == 17
    assert may["employees"]["E028"]["lines"]["manager_allowance"] == "0.00"  # when is false
    february = json.loads((computed / "2024-02" / "results.json").read_text(encoding="utf-8"))
    assert february["departments"]["production"]["metrics"]["delivery_rate"] == "1.0"  # when_empty
    assert february["employees"]["E030"]["employed_days"] == 11  # 19 to 29 February 2024


#: Every format this machine can write (PDF where it can print: CI's always can).
EVERY_FORMAT = "md,html,csv,json,xlsx" + (
    ",pdf" if os.environ.get("INNERPAY_REQUIRE_PDF") == "1" or not pdf.unavailable() else ""
)


def run_subprocess(home: Path, env_overrides: dict[str, str], out: str) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("TZ", "LANG", "LC_ALL", "PYTHONHASHSEED")
    }
    env.update(env_overrides)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "innerpay.cli",
            "compute",
            "--period",
            "2024-05",
            "--out",
            out,
            "--format",
            EVERY_FORMAT,
        ],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_identical_inputs_give_identical_bytes_anywhere(company: Path) -> None:
    run_subprocess(company, {"TZ": "UTC", "LANG": "C", "PYTHONHASHSEED": "1"}, "a")
    run_subprocess(
        company,
        {
            "TZ": "Asia/Shanghai",
            "LANG": "zh_CN.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONHASHSEED": "4242",
        },
        "b",
    )
    first, second = files_of(company / "a" / "2024-05"), files_of(company / "b" / "2024-05")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
