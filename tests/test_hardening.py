"""Hardening, round two (issue 17): each defect an adversarial probe found, as a test that
failed before the fix."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from innerpay.data.tables import FAST_BYTES
from innerpay.periods import Period
from innerpay.run import RunOptions, run_compute

from .conftest import run_cli


def pad(path: Path, width: int) -> None:
    """Give every row of a CSV file an ignored column ``width`` characters wide."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows = [row + (["notes"] if k == 0 else ["x" * width]) for k, row in enumerate(rows)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def test_promotion_does_not_change_with_the_size_of_employees_csv(company: Path) -> None:
    # 1. employees.csv read by pyarrow (large), ballots.csv by the csv module (small)
    assert run_cli(["compute", "--period", "2024-05", "--format", "json", "--out", "a"]).code == 0
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    pad(employees, 4500)
    assert employees.stat().st_size > FAST_BYTES
    assert run_cli(["compute", "--period", "2024-05", "--format", "json", "--out", "b"]).code == 0
    a, b = (json.loads((company / o / "2024-05" / "results.json").read_text("utf-8"))
            for o in ("a", "b"))  # fmt: skip
    assert a["promotion"] == b["promotion"] and a["ballots"] == b["ballots"]
    assert a["employees"] == b["employees"]


@pytest.mark.parametrize("out", ["fixtures", ".", "policies"])
def test_an_output_folder_that_holds_an_input_folder_is_refused(company: Path, out: str) -> None:
    # 4. --out fixtures would write 2024-05/ over the period's data
    before = (company / "fixtures" / "2024-05" / "employees.csv").read_bytes()
    ran = run_cli(["compute", "--period", "2024-05", "--out", out])
    assert ran.code == 2
    assert "a run would write over its own inputs; choose another --out" in ran.stderr
    assert (company / "fixtures" / "2024-05" / "employees.csv").read_bytes() == before
    assert not (company / out / "2024-05" / "manifest.json").exists()


def test_a_period_closed_while_a_run_computes_it_is_not_overwritten(company: Path) -> None:
    # 5. the closed check is said again under the lock, just before writing: a run into a new
    # folder (which takes its lock only to write) while the period is closed from another
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    closed = []

    def close_meanwhile(_label: str, items: Iterable[Any]) -> Iterable[Any]:
        if not closed:  # another clerk closes the period while this run renders the slips
            closed.append(run_cli(["close", "--period", "2024-05"]).code)
        return items

    options = RunOptions(out="other")
    results, problems = run_compute(Period.parse("2024-05"), options, close_meanwhile)
    assert closed == [0] and results is None
    assert [d.message.split(" (")[0] for d in problems] == ["period 2024-05 is closed"]
    assert not (company / "other").exists()


def test_an_edited_closed_results_json_is_never_paid_from(company: Path) -> None:
    # 6. arrears read a closed period only as it was closed
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert run_cli(["close", "--period", "2024-05"]).code == 0
    results = company / "out" / "2024-05" / "results.json"
    results.write_text(results.read_text(encoding="utf-8").replace('"net": "', '"net": "1', 1),
                       encoding="utf-8")  # fmt: skip
    policy = company / "policies" / "2024-05.yaml"  # a retroactive change: 2024-05 is revalued
    policy.write_text(policy.read_text(encoding="utf-8").replace("bonus_ratio: 0.35",
                                                                 "bonus_ratio: 0.36"), "utf-8")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-06"])
    assert ran.code == 5
    assert ran.stderr.startswith("out/2024-05/results.json: error: the paid run of 2024-05 "
                                 "(out/2024-05) is not what was closed: results.json was changed "
                                 "after the period was closed")  # fmt: skip
    assert not (company / "out" / "2024-06").exists()


def test_verify_holds_a_closed_run_to_the_ledger(company: Path) -> None:
    # 6. a closed folder replaced by a consistent recompute from edited data is not the paid run
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    assert run_cli(["close", "--period", "2024-05"]).code == 0
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.write_text(employees.read_text(encoding="utf-8").replace(",22000.00,", ",32000.00,"),
                         encoding="utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05", "--out", "fake"]).code == 5
    assert run_cli(["compute", "--period", "2024-05", "--out", "fake", "--draft"]).code == 0
    (company / "out" / "2024-05").rename(company / "paid")
    (company / "fake" / "2024-05-draft").rename(company / "out" / "2024-05")
    manifest = json.loads((company / "out" / "2024-05" / "manifest.json").read_text("utf-8"))
    manifest.pop("draft")
    (company / "out" / "2024-05" / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 1
    assert ("out/2024-05: the closed period's manifest is not the one fixtures/ledger.json "
            "recorded") in ran.stdout  # fmt: skip


def test_a_ref_is_never_taken_for_a_git_option(company: Path, tmp_path: Path) -> None:
    # 9. diff '--head=--output=/path:x' made git write a file
    subprocess.run(["git", "init", "-q"], cwd=company, check=True)
    target = tmp_path / "written"
    ran = run_cli(["diff", "--period", "2024-05", "--base", "2024.01",
                   f"--head=--output={target}:x"])  # fmt: skip
    assert ran.code == 2
    assert "not a GIT-REF:path (a ref does not start with '-')" in ran.stderr
    assert not target.exists() and not Path(f"{target}:x").exists()


def test_a_transform_is_not_an_encoding(company: Path) -> None:
    # 11. --encoding rot13 passed option checking
    ran = run_cli(["compute", "--period", "2024-05", "--encoding", "rot13"])
    assert ran.code == 2
    assert "'rot13' is a transform, not a text encoding" in ran.stderr


def test_control_characters_from_a_file_never_reach_the_terminal(company: Path) -> None:
    # 11. raw OSC/BEL bytes of a bad id were printed as they are
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    text = employees.read_text(encoding="utf-8").replace("E001,", "E\x1b]0;pwned\x07001,", 1)
    employees.write_text(text, encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 4
    assert "\x1b" not in ran.stderr and "\x07" not in ran.stderr
    assert "E\\x1b]0;pwned\\x07001" in ran.stderr


def test_no_output_shows_a_negative_zero(company: Path) -> None:
    # 3. -0.00 appeared in payroll.csv, results.json and slips
    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(adjustments.read_text(encoding="utf-8") + "E005,更正 Correction,-0.00,"
                           "earning,Nothing owed after all,E024 韩梅 Han Mei\n", "utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    out = company / "out" / "2024-05"
    for name in ("payroll.csv", "results.json", "payslips/E005.md", "payslips/E005.html",
                 "payroll-summary.md"):  # fmt: skip
        assert "-0.00" not in (out / name).read_text(encoding="utf-8-sig"), name
    slip = (out / "payslips" / "E005.md").read_text(encoding="utf-8")
    assert "更正 Correction" in slip


def test_a_link_where_the_run_goes_is_refused_and_followed_never(company: Path) -> None:
    # 10. a symlink at <out>/<period>: every later run failed on rmtree (exit 70)
    (company / "elsewhere").mkdir()
    (company / "elsewhere" / "keep.txt").write_text("mine", encoding="utf-8")
    (company / "out").mkdir()
    (company / "out" / "2024-05").symlink_to(company / "elsewhere")
    for _ in range(2):
        ran = run_cli(["compute", "--period", "2024-05"])
        assert ran.code == 7
        assert ran.stderr.splitlines()[-1] == (
            "out/2024-05: error: a symbolic link where the run's folder goes; innerpay writes "
            "runs only as real folders: remove the link"
        )
    assert sorted(p.name for p in (company / "elsewhere").iterdir()) == ["keep.txt"]


def test_a_planted_lock_link_creates_nothing_elsewhere(company: Path, tmp_path: Path) -> None:
    # 11. the lock file was opened through a link, creating its target
    target = tmp_path / "planted"
    (company / "out").mkdir()
    (company / "out" / ".innerpay.lock").symlink_to(target)
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 7
    assert "the lock file is a symbolic link" in ran.stderr
    assert not target.exists()


@pytest.mark.parametrize("bad", ['"x"', "[]", '{"a": 1}'])
def test_a_manifest_of_the_wrong_shape_is_said_so(company: Path, bad: str) -> None:
    # 10. a manifest whose sections have the wrong types: exit 70 before
    assert run_cli(["compute", "--period", "2024-05", "--format", "json"]).code == 0
    path = company / "out" / "2024-05" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["inputs"] = json.loads(bad)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    ran = run_cli(["verify", "out/2024-05"])
    assert (ran.code, ran.stderr) == (2, "out/2024-05/manifest.json: error: not a run's "
                                         "manifest: its inputs are not file → sha256\n")  # fmt: skip


def test_close_on_a_full_disk_leaves_the_ledger_as_it_was(company: Path) -> None:
    # 10. close on a full disk left ledger.json.tmp and exited 70
    import resource
    import signal
    import sys

    assert run_cli(["compute", "--period", "2024-05"]).code == 0

    def full() -> None:  # in the child: a write past 100 bytes fails as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))

    done = subprocess.run([sys.executable, "-m", "innerpay.cli", "close", "--period", "2024-05"],
                          cwd=company, capture_output=True, text=True, preexec_fn=full,
                          check=False)  # fmt: skip
    assert done.returncode == 7, done.stderr
    assert done.stderr == ("fixtures/ledger.json: error: cannot write the output: a file is larger "
                           "than this system allows (is the disk full?); nothing was changed\n")  # fmt: skip
    assert not [p.name for p in (company / "fixtures").iterdir() if p.name.startswith("ledger")]


def test_a_file_that_is_not_a_file_is_refused_at_once(company: Path) -> None:
    # 7. a policy that is a FIFO hung the run; data linked to /dev/zero ate gigabytes
    import os

    os.mkfifo(company / "policies" / "2030-01.yaml")
    ran = run_cli(["validate"])
    assert ran.code == 3
    assert (
        "policies/2030-01.yaml: error: not a regular file (a FIFO, a device or a folder); "
        "innerpay reads only files as a policy file"
    ) in ran.stderr.splitlines()
    (company / "policies" / "2030-01.yaml").unlink()
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.unlink()
    employees.symlink_to("/dev/zero")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 4
    assert ran.stderr.splitlines() == [  # the one cause, the rest counted
        "fixtures/2024-05/employees.csv: error: not a regular file (a FIFO, a device or a "
        "folder); innerpay reads only files as a data file (and 65 errors that follow from "
        "this, not shown)"
    ]


def test_no_read_takes_more_than_its_limit(tmp_path: Path) -> None:
    from innerpay.limits import bounded_read

    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 5000)
    assert bounded_read(str(path), 5000, "data file") == (b"x" * 5000, "")
    assert bounded_read(str(path), 4999, "data file") == (
        None, "the file is larger than innerpay reads as a data file (5,000 bytes; at most 0 MiB)")  # fmt: skip


def test_a_workbook_that_unpacks_past_the_limit_is_refused(company: Path) -> None:
    # 7. a 12.5 MB xlsx that inflates to 3 GB ran past 8 GB
    import zipfile

    from innerpay.limits import MAX_XLSX_UNPACKED

    book = company / "fixtures" / "2024-05" / "employees.xlsx"
    (company / "fixtures" / "2024-05" / "employees.csv").unlink()
    with (
        zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb,
        bomb.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        chunk = b"\0" * (1 << 24)
        for _ in range(MAX_XLSX_UNPACKED // len(chunk) + 1):
            part.write(chunk)
    assert book.stat().st_size < 5 * 1024 * 1024
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 4
    assert ran.stderr.splitlines()[0].startswith(
        "fixtures/2024-05/employees.xlsx: error: the workbook unpacks to "
    )
    assert "(MAX_XLSX_UNPACKED) (and 65 errors that follow from this" in ran.stderr


def custom(company: Path, body: str) -> Path:
    """A templates folder whose slip is ``body``."""
    folder = company / "mine"
    folder.mkdir(exist_ok=True)
    (folder / "payslip.md.j2").write_text(body, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("{{ lipsum(10**6) }}", "'lipsum' is undefined"),
        ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
         "not allowed in a template: more than 100,000 loop steps of range() in one file"),
        ("{{ 'a' * 10**9 }}",
         "not allowed in a template: text or a list of more than 1,000,000 made by *"),
        ("{{ 2 ** 10000000 }}", "not allowed in a template: a power above 100 (** 10000000)"),
        ("{{ 'a' * 1000000000 }}",
         "not allowed in a template: text or a list of more than 1,000,000 made by *"),
    ],
)  # fmt: skip
def test_a_template_cannot_run_without_end(company: Path, body: str, said: str) -> None:
    # 8. lipsum(10**6), nested range() loops, 'a'*10**9 ran until killed
    custom(company, body)
    ran = run_cli(["compute", "--period", "2024-05", "--templates", "mine", "--format", "md"])
    assert ran.code == 3
    assert said in ran.stderr
    assert not (company / "out").exists()


def test_a_link_in_the_templates_folder_is_never_followed(company: Path, tmp_path: Path) -> None:
    # 8. {% include 'leak.j2' %} of a link put a secret file's text in every slip
    secret = tmp_path / "secret.txt"
    secret.write_text("the boss's password", encoding="utf-8")
    folder = custom(company, "{% include 'leak.j2' %}\n")
    (folder / "leak.j2").symlink_to(secret)
    ran = run_cli(["compute", "--period", "2024-05", "--templates", "mine", "--format", "md"])
    assert ran.code == 3
    assert "'leak.j2' is a symbolic link; innerpay follows none in a templates folder" in ran.stderr
    assert not (company / "out").exists()


def test_every_template_a_run_reads_is_in_its_manifest(company: Path) -> None:
    # 8. an included template was not in the manifest
    folder = custom(company, "{% include '_mine.j2' %}\n")
    (folder / "_mine.j2").write_text("{{ slip.name }}\n", encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-05", "--templates", "mine", "--format", "md"])
    assert ran.code == 0, ran.stderr
    inputs = json.loads((company / "out" / "2024-05" / "manifest.json").read_text("utf-8"))[
        "inputs"
    ]
    assert {"mine/_mine.j2", "mine/payslip.md.j2"} <= set(inputs)
    (folder / "_mine.j2").write_text("{{ slip.id }}\n", encoding="utf-8")
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 1 and "input changed since the run: mine/_mine.j2" in ran.stdout


def test_utf8_files_forced_through_another_encoding_are_an_error(company: Path) -> None:
    # 3. --encoding latin-1 on UTF-8 files gave mojibake names with exit 0
    ran = run_cli(["compute", "--period", "2024-05", "--encoding", "latin-1"])
    assert ran.code == 4
    assert (
        "fixtures/2024-05/employees.csv:2: error: the file is UTF-8, but --encoding latin-1 would "
        "read 'E001,王强 Wang Qiang,sales,manager,22000.00,5,2016-03-01,' as "
        "'E001,ç\\x8e\\x8bå¼º Wang Qiang,sales,manager,22000.00,5,2016-03-01,'; read it with "
        "--encoding auto or utf-8"
    ) in ran.stderr
    assert not (company / "out").exists()


def test_no_value_is_rounded_to_28_digits_before_the_cent(company: Path) -> None:
    # 3. 1000000000000000000000001.18 × 0.35 was rounded to 28 digits, then to the cent
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.write_text(employees.read_text(encoding="utf-8").replace(
        ",22000.00,", ",1000000000000000000000001.18,", 1), encoding="utf-8")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code != 0
    assert (
        "needs more than 28 significant digits: it would be rounded before the cent" in ran.stderr
    )
    assert not (company / "out").exists()


def test_a_policy_may_say_to_compare_roles_without_edge_spaces(company: Path) -> None:
    # 3. the trailing space is an error unless the policy says to trim (files: trim)
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.write_text(employees.read_text(encoding="utf-8").replace(",manager,", ",manager ,", 1),
                         encoding="utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05", "--out", "no"]).code == 4
    for policy in (company / "policies").glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("\nmetrics:\n", "\nfiles:\n  employees: {trim: true}\n"
                                       "metrics:\n", 1), encoding="utf-8")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-05", "--format", "json"])
    assert ran.code == 0, ran.stderr
    paid = json.loads((company / "out" / "2024-05" / "results.json").read_text("utf-8"))
    e001 = paid["employees"]["E001"]
    assert (e001["role"], e001["lines"]["manager_allowance"]) == ("manager", "2000.00")


def test_a_table_read_whole_is_bounded_in_rows(tmp_path: Path) -> None:
    # 7. a ballots.csv of ten million rows took 6.7 GB (the limit, lowered here)
    from innerpay.data.reading import read_table

    path = tmp_path / "ballots.csv"
    path.write_text("candidate,voter,vote\n" + "E1,E2,yes\n" * 11, encoding="utf-8")
    table, problems = read_table(str(path), max_rows=11)
    assert table is not None and not problems and table.rows.size == 11
    table, problems = read_table(str(path), max_rows=10)
    assert table is None
    assert [p.message for p in problems] == [
        "the file has more than 10 rows (12 lines at least); innerpay reads at most 10 of a "
        "table read whole (MAX_TABLE_ROWS)"
    ]


def test_a_header_of_too_many_columns_is_refused_by_every_reader(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 7. columns bounded (the limit, lowered here), by the csv module and by pyarrow alike
    import innerpay.data.arrowcsv as arrowcsv
    import innerpay.data.tables as tables

    monkeypatch.setattr(tables, "MAX_COLUMNS", 8)
    monkeypatch.setattr(arrowcsv, "MAX_COLUMNS", 8)
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    for width in (10, FAST_BYTES):  # small: the csv module; large: pyarrow declines to it
        rows = employees.read_text(encoding="utf-8").splitlines()
        wide = [rows[0] + ",a,b,c,d"] + [r + ",,,," for r in rows[1:]]
        wide += [wide[-1].replace("E0", "X0", 1)] * (width // len(wide[-1]))
        employees.write_text("\n".join(wide) + "\n", encoding="utf-8")
        ran = run_cli(["compute", "--period", "2024-05"])
        assert ran.code == 4, ran.stderr
        assert ran.stderr.splitlines()[0].startswith(
            "fixtures/2024-05/employees.csv:1: error: the header has "
        )
        assert "columns; innerpay reads at most 8 (MAX_COLUMNS)" in ran.stderr.splitlines()[0]
        employees.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_a_cell_longer_than_the_limit_is_an_error_naming_it(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 7. cell length bounded: the same message from the csv module, pyarrow and a workbook
    import openpyxl

    import innerpay.data.arrowcsv as arrowcsv

    monkeypatch.setattr(arrowcsv, "MAX_CELL_CHARS", 100_000)  # pyarrow declines below the limit
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    text = employees.read_text(encoding="utf-8")
    head, first, *rest = text.splitlines()
    long = "x" * 131_073
    said = ("fixtures/2024-05/employees.{}:{}: error: not valid CSV: a cell of more than 131,072 "
            "characters (MAX_CELL_CHARS)")  # fmt: skip
    for padding in (0, FAST_BYTES):
        lines = [head + ",notes", first + ",ok", *[r + "," for r in rest]]
        lines[2] += long
        lines += [lines[-1].replace("E0", "X0", 1)] * (padding // len(lines[-1]))
        employees.write_text("\n".join(lines) + "\n", encoding="utf-8")
        ran = run_cli(["compute", "--period", "2024-05"])
        assert ran.code == 4, ran.stderr
        assert said.format("csv", 3) in ran.stderr
    employees.unlink()
    import innerpay.data.tables as tables

    monkeypatch.setattr(tables, "MAX_CELL_CHARS", 30_000)  # a workbook's cell holds 32,767
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader([head + ",notes", first + ",ok", *[r + "," for r in rest]]):
        sheet.append(row)
    sheet.cell(row=3, column=len(head.split(",")) + 1, value="y" * 30_001)
    book.save(company / "fixtures" / "2024-05" / "employees.xlsx")
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 4
    assert ("fixtures/2024-05/employees.xlsx:3:" in ran.stderr
            and "error: a cell of 30,001 characters; innerpay reads at most 30,000 in a cell "
                "(MAX_CELL_CHARS)" in ran.stderr)  # fmt: skip


def test_a_policy_value_longer_than_the_limit_is_an_error_at_its_place(company: Path) -> None:
    # 7. a 200 MB policy scalar took 5 GB (the file's limit is 16 MiB; a scalar's is 64 Ki)
    policy = company / "policies" / "2024-01.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text + "x_note: " + "n" * 65_537 + "\n", encoding="utf-8")
    ran = run_cli(["validate"])
    assert ran.code == 3  # a policy error
    line = text.count("\n") + 1
    assert (f"policies/2024-01.yaml:{line}:9: error: a value of 65,537 characters; a policy's "
            "values are at most 65,536 (MAX_SCALAR_CHARS)") in ran.stderr  # fmt: skip


def test_a_template_is_bounded_in_time(company: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 8. what the loop and * budgets miss (nested loops over a run's own lists) ends in time
    import innerpay.render.templates as templates

    monkeypatch.setattr(templates, "MAX_RENDER_SECONDS", 0.2)
    custom(company, "{% for a in range(300) %}{% for b in range(300) %}{% for c in slip.earnings"
           " %}{{ c.label | length }}{% endfor %}{% endfor %}{% endfor %}")  # fmt: skip
    ran = run_cli(["compute", "--period", "2024-05", "--templates", "mine", "--format", "md"])
    assert ran.code == 3
    assert ("not allowed in a template: the file took more than 0.2 seconds to render "
            "(MAX_RENDER_SECONDS)") in ran.stderr  # fmt: skip
    assert not (company / "out").exists()
