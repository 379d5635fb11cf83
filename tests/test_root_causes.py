"""Root causes first: the problems that only follow from a bad employees.csv are counted on the
problem they follow from, not printed as if they were causes of their own."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .conftest import run_cli

EMPLOYEES = Path("fixtures") / "2024-05" / "employees.csv"


def test_an_undecodable_employees_file_is_the_one_problem_said(company: Path) -> None:
    text = (company / EMPLOYEES).read_text(encoding="utf-8")
    (company / EMPLOYEES).write_bytes(text.encode("gb18030"))
    ran = run_cli(["compute", "--period", "2024-05"])
    assert (ran.code, ran.stderr.splitlines()) == (4, [
        "fixtures/2024-05/employees.csv:2: error: byte 0xcd at offset 64 is not valid utf-8; if "
        "it comes from Chinese Excel, try --encoding auto (each file UTF-8, else GB18030) or "
        "--encoding gb18030 (and 65 errors that follow from this, not shown)"
    ])  # fmt: skip
    # each file in its own encoding: the GB18030 one beside the UTF-8 ones, and the manifest
    # says which was read how
    ran = run_cli(["compute", "--period", "2024-05", "--encoding", "auto"])
    assert ran.code == 0, ran.stderr
    manifest = json.loads((company / "out" / "2024-05" / "manifest.json").read_text("utf-8"))
    assert manifest["encodings"] == {"fixtures/2024-05/employees.csv": "gb18030"}
    slip = (company / "out" / "2024-05" / "payslips" / "E001.md").read_text("utf-8")
    assert "王" in slip or "李" in slip or "张" in slip  # the names read right, not mojibake
    assert run_cli(["verify", "out/2024-05"]).code == 0
    (company / EMPLOYEES).write_bytes(b"\xff\xfe\x80" + text.encode("utf-8"))
    ran = run_cli(["compute", "--period", "2024-05", "--encoding", "auto", "--out", "again"])
    assert ran.code == 4
    assert "is neither UTF-8 nor GB18030; name the file's encoding with --encoding" in ran.stderr


def test_a_row_left_out_hides_what_follows_from_it_only(company: Path) -> None:
    with (company / EMPLOYEES).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["id"] == "E002":  # a candidate, voted for and voting
            row["base_salary"] = ""
    with (company / EMPLOYEES).open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(
        adjustments.read_text(encoding="utf-8") + "E999,Bonus,10.00,earning,typo,韩梅 Han Mei\n",
        encoding="utf-8",
    )
    ran = run_cli(["compute", "--period", "2024-05"])
    lines = len(adjustments.read_text(encoding="utf-8").splitlines())
    assert (ran.code, ran.stderr.splitlines()) == (4, [
        f"fixtures/2024-05/adjustments.csv:{lines}:1: error: adjustment for 'E999', who is not "
        "an employee this period",  # a cause of its own: still said
        "fixtures/2024-05/employees.csv:3:5: error: base_salary is empty (and 8 errors that "
        "follow from this, not shown)",
    ])  # fmt: skip


def test_verify_of_a_folder_that_is_not_a_run_says_so(company: Path) -> None:
    ran = run_cli(["verify", "out/1999-01"])
    assert (ran.code, ran.stderr) == (
        2,
        "out/1999-01: error: no such run: the folder does not exist\n",
    )
    (company / "empty").mkdir()
    ran = run_cli(["verify", "empty"])
    assert (ran.code, ran.stderr) == (
        2,
        "empty: error: not a run's folder: it has no manifest.json\n",
    )
