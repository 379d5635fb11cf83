"""The command line: help for every command, exit codes, schema and chain output, templates."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from innerpay.cli import cli
from innerpay.policy import load_policies
from innerpay.policy.yamlread import read_yaml
from innerpay.progress import Counted

from .conftest import ROOT, run_cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    ran = run_cli([command, "--help"])
    assert ran.code == 0
    assert ran.stdout.startswith(f"Usage: innerpay {command}")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"innerpay {command}" in readme


def test_schema_is_printed(snapshot: SnapshotAssertion) -> None:
    ran = run_cli(["schema"])
    assert ran.code == 0
    assert ran.stdout == snapshot
    jsonschema.Draft202012Validator.check_schema(json.loads(ran.stdout))


def test_the_schema_file_in_the_repository_is_the_printed_one() -> None:
    published = (ROOT / "schema" / "policy.schema.json").read_text(encoding="utf-8")
    assert published == run_cli(["schema"]).stdout


def test_reference_policies_satisfy_the_printed_schema() -> None:
    schema = json.loads(run_cli(["schema"]).stdout)
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        doc, problems = read_yaml(path.read_text(encoding="utf-8"), str(path))
        assert problems == []
        # JSON has no Decimal: compare through JSON numbers, as an editor would
        as_json = json.loads(json.dumps(doc.data, default=float))
        jsonschema.validate(as_json, schema)


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_chain(company: Path, fmt: str, snapshot: SnapshotAssertion) -> None:
    ran = run_cli(["chain", "--format", fmt])
    assert ran.code == 0, ran.stderr
    assert ran.stdout == snapshot


def test_chain_uses_the_version_in_force(company: Path) -> None:
    ran = run_cli(["chain", "--period", "2024-02"])
    assert ran.stdout.startswith(
        "Internal customer chain of policy 2024.01 (policies/2024-01.yaml)"
    )


def test_the_loop_of_the_reference_company() -> None:
    policies, _ = load_policies(str(ROOT / "policies"))
    from innerpay.chain import loops, without_customer

    assert loops(policies.policies[-1]) == [
        ["finance", "sales", "material_control", "production", "purchasing"]
    ]
    assert without_customer(policies.policies[-1]) == ["administration"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["compute", "--period", "2024-5"],
            "period '2024-5' is not of the form YYYY-MM (for example 2024-05)",
        ),
        (["compute", "--period", "2024-13"], "period '2024-13' is not of the form YYYY-MM"),
        (["compute"], "Missing option '--period'"),
        (
            ["compute", "--period", "2024-05", "--format", "docx"],
            "unknown format 'docx'; choose from md,html,csv,json,xlsx,pdf",
        ),
        (["validate", "--data", "fixtures"], "--data needs --period"),
        (["chain", "--format", "svg"], "'svg' is not one of 'text', 'mermaid', 'dot'"),
        (
            ["compute", "--period", "2024-05", "--templates", "nowhere"],
            "Directory 'nowhere' does not exist",
        ),
    ],
)
def test_wrong_usage_exits_2(company: Path, args: list[str], message: str) -> None:
    ran = run_cli(args)
    assert ran.code == 2
    assert message in ran.stderr
    assert not (company / "out").exists()


def test_period_before_every_version_exits_3(company: Path) -> None:
    ran = run_cli(["compute", "--period", "2023-12"])
    assert (ran.code, ran.stderr) == (
        3,
        "policies/2024-01.yaml:1:1: error: no policy version is in force for 2023-12: the "
        "earliest, '2024.01', takes effect 2024-01\n",
    )


def test_compute_prints_a_summary(company: Path) -> None:
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 0
    assert ran.stdout == "2024-04: policy 2024.01, 30 employees, net 361,924.70 CNY → out/2024-04\n"


def test_formats_choose_the_outputs(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-04", "--format", "csv,json"]).code == 0
    written = sorted(p.name for p in (company / "out" / "2024-04").iterdir())
    assert written == ["manifest.json", "payroll.csv", "results.json"]


def test_validate_with_data_reports_data_problems(company: Path) -> None:
    employees = company / "fixtures" / "2024-04" / "employees.csv"
    employees.write_text(
        employees.read_text(encoding="utf-8").replace("22000.00", '"22,000.00"'), encoding="utf-8"
    )
    ran = run_cli(["validate", "--period", "2024-04"])
    assert ran.code == 4
    assert (
        "fixtures/2024-04/employees.csv:2:5: error: base_salary: '22,000.00' is not an amount"
        in ran.stderr
    )


def test_strict_makes_void_ballots_errors(company: Path) -> None:
    ran = run_cli(["compute", "--period", "2024-05", "--strict"])
    assert ran.code == 4
    errors = [line for line in ran.stderr.splitlines() if ": error: void ballot" in line]
    assert len(errors) == 6
    assert not (company / "out").exists()


def test_a_second_run_on_a_locked_folder_exits_6_and_writes_nothing(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    before = {p: p.read_bytes() for p in (company / "out").rglob("*") if p.is_file()}
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open('out/.innerpay.lock', 'a+b'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)",
        ],
        cwd=company,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        ran = run_cli(["compute", "--period", "2024-04"])
        assert ran.code == 6
        assert ran.stderr == (
            "out: error: busy: another innerpay run holds the lock on this output folder; "
            "wait for it to finish\n"
        )
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    after = {p: p.read_bytes() for p in (company / "out").rglob("*") if p.is_file()}
    assert after == before


def test_unwritable_output_gives_a_clear_error(company: Path) -> None:
    if os.geteuid() == 0:
        # root ignores permissions; a file where the folder should be fails for everyone
        (company / "out").write_text("not a folder", encoding="utf-8")
        ran = run_cli(["compute", "--period", "2024-04"])
        assert ran.code == 7
        assert ran.stderr.startswith("out: error: cannot write the output: ")
    else:
        (company / "out").mkdir()
        (company / "out").chmod(0o500)
        ran = run_cli(["compute", "--period", "2024-04"])
        (company / "out").chmod(0o700)
        assert (ran.code, ran.stderr) == (
            7,
            "out: error: cannot write the output: permission denied; nothing was changed\n",
        )


def test_internal_faults_say_so_in_one_line(company: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import innerpay.cli

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(innerpay.cli, "run_compute", broken)
    ran = run_cli(["compute", "--period", "2024-04"])
    assert ran.code == 70
    assert ran.stderr == (
        "innerpay: internal error: RuntimeError: boom (this is a bug in innerpay; "
        "run with --debug for the traceback)\n"
    )
    ran = run_cli(["--debug", "compute", "--period", "2024-04"])
    assert "Traceback (most recent call last)" in ran.stderr


def test_module_entry_point_runs(company: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "innerpay.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert re.fullmatch(r"innerpay, version \d+\.\d+\.\d+\n", done.stdout)


def _keys(schema: object, path: str = "") -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """Every key a policy can have, with its schema."""
    found = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            found.append((f"{path}.{name}", sub))
            found += _keys(sub, f"{path}.{name}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and ("properties" in extra or "description" in extra):
            found.append((f"{path}.*", extra))
            found += _keys(extra, f"{path}.*")
        items = schema.get("items")
        if isinstance(items, dict):
            found += _keys(items, f"{path}[]")
    return found


def test_every_key_of_the_schema_has_a_description_and_examples() -> None:
    from innerpay.policy.schema import POLICY_SCHEMA

    keys = _keys(POLICY_SCHEMA)
    assert len(keys) > 40
    missing = [path for path, sub in keys if not sub.get("description") or not sub.get("examples")]
    assert missing == []


def test_the_reference_policies_name_the_schema_for_editors() -> None:
    for path in sorted((ROOT / "policies").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/policy.schema.json"


def test_the_cases_schema_file_is_the_printed_one() -> None:
    published = (ROOT / "schema" / "cases.schema.json").read_text(encoding="utf-8")
    assert published == run_cli(["schema", "--cases"]).stdout
    reference = (ROOT / "policies" / "tests" / "reference.yaml").read_text(encoding="utf-8")
    assert reference.startswith("# yaml-language-server: $schema=../../schema/cases.schema.json\n")


def test_security_md_names_tests_that_exist() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"test_[a-z_]+\.py", text))
    assert len(named) >= 8
    for name in named:
        assert (ROOT / "tests" / name).is_file(), name
    for case in re.findall(r"tests/cases/policy/([a-z_*]+\.yaml)", text):
        assert list((ROOT / "tests" / "cases" / "policy").glob(case)), case


def test_long_phases_report_their_progress(company: Path) -> None:
    from innerpay.periods import Period
    from innerpay.run import RunOptions, run_compute

    seen: list[tuple[str, int]] = []

    def progress(label: str, items: Counted) -> object:
        seen.append((label, len(items)))  # counted ahead, for the bar
        return items

    results, _ = run_compute(Period.parse("2024-05"), RunOptions(), progress)
    assert results is not None
    tables = ["production_orders", "purchase_requests", "receivables", "shipments",
              "supplier_payments"]  # fmt: skip
    assert seen == [(f"reading {t}.csv", 1) for t in tables] + [("rendering pay slips", 31)]


HIDDEN = (
    "from innerpay import process; process.prepare_command()\n"
    "for name in ('pandas', 'pandas.core.frame', 'numpy', 'numpy.linalg'):\n"
    "    try:\n"
    "        __import__(name)\n"
    "    except ModuleNotFoundError:\n"
    "        print('hidden', name)\n"
    "import json, innerpay\n"
    "print('json and innerpay import')\n"
)


def test_the_command_keeps_pyarrow_from_importing_pandas() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HIDDEN], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [
        "hidden pandas",
        "hidden pandas.core.frame",
        "hidden numpy",
        "hidden numpy.linalg",
        "json and innerpay import",
    ]


PICK = (
    "from innerpay import process\n"
    "from innerpay.formulas import arrow\n"
    "import sys\n"
    "if sys.argv[1:] == ['command']:\n"
    "    process.prepare_command()\n"
    "arrow.available()\n"
    "print(arrow.pa.default_memory_pool().backend_name)\n"
)


@pytest.mark.parametrize(
    ("how", "pools", "environment", "expected"),
    [
        ([], "system", None, "system"),
        ([], "no_such_pool,system", None, "system"),
        ([], "system", "mimalloc", "mimalloc"),  # the user's choice stays
        (["command"], None, "mimalloc", "mimalloc"),
        (["command"], None, None, "jemalloc|system"),  # whichever this pyarrow has, in order
    ],
)
def test_the_command_picks_pyarrows_allocator(
    how: list[str], pools: str | None, environment: str | None, expected: str
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ARROW_DEFAULT_MEMORY_POOL", "INNERPAY_ARROW_POOLS")
    }
    if environment:
        env["ARROW_DEFAULT_MEMORY_POOL"] = environment
    if pools:
        env["INNERPAY_ARROW_POOLS"] = pools
    done = subprocess.run(
        [sys.executable, "-c", PICK, *how], capture_output=True, text=True, env=env, check=True
    )
    assert re.fullmatch(expected, done.stdout.strip())
