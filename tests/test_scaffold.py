"""`innerpay init` and the pre-commit hooks: HR's repository works out of the box."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from innerpay.cli import cli
from innerpay.version import __version__

from .conftest import ROOT, run_cli


def test_init_then_validate_test_and_compute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = run_cli(["init", "hr"])
    assert ran.code == 0
    assert ran.stdout == (
        "created hr: cd hr && innerpay validate && innerpay test && innerpay compute --period 2024-05\n"
    )
    monkeypatch.chdir(tmp_path / "hr")
    assert sorted(p.name for p in (tmp_path / "hr").iterdir()) == [
        ".gitignore",
        ".pre-commit-config.yaml",
        "README.md",
        "data",
        "docs",
        "policies",
        "schema",
    ]
    assert run_cli(["validate"]).code == 0
    assert run_cli(["test"]).stdout == "innerpay test: 6 passed, 0 failed\n"
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 0, ran.stderr
    assert (tmp_path / "hr" / "out" / "2024-05" / "results.json").is_file()
    # the modelines name schema files that are there
    assert (tmp_path / "hr" / "schema" / "policy.schema.json").is_file()
    assert (tmp_path / "hr" / "schema" / "cases.schema.json").is_file()
    # the policy language reference, as the repository has it
    written = (tmp_path / "hr" / "docs" / "policy-language.md").read_text(encoding="utf-8")
    assert written == (ROOT / "docs" / "policy-language.md").read_text(encoding="utf-8")


def test_init_refuses_a_folder_with_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    ran = run_cli(["init", "busy"])
    assert (ran.code, ran.stderr) == (
        2,
        "busy: error: the folder is not empty; init writes only into a new or empty folder\n",
    )
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]


def test_the_pre_commit_hooks_run_innerpay_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["innerpay-validate", "innerpay-test"]
    for hook in hooks:
        program, command = hook["entry"].split()
        assert program == "innerpay" and command in cli.commands
        assert hook["language"] == "python"
    validate, test = hooks
    assert (validate["pass_filenames"], test["pass_filenames"]) == (True, False)
    changed = ["policies/2024-05.yaml", "data/2024-05/employees.csv", "fixtures/2024-04/x.xlsx",
               "README.md", "data/notes.txt", "policies/tests/case.yaml"]  # fmt: skip
    assert [f for f in changed if re.search(validate["files"], f)] == changed[:3] + changed[-1:]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "id: innerpay-validate" in readme and "id: innerpay-test" in readme
    # the example's rev is this version's tag (each release is tagged v<version>)
    assert f"rev: v{__version__}" in readme


def test_the_validate_hook_checks_the_months_a_commit_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["init", str(tmp_path / "hr")]).code == 0
    monkeypatch.chdir(tmp_path / "hr")
    config = yaml.safe_load(Path(".pre-commit-config.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in config["repos"][0]["hooks"] if h["id"] == "innerpay-validate"]
    assert hook["pass_filenames"] is True and hook["entry"] == "innerpay validate"
    employees = Path("data/2024-04/employees.csv")
    employees.write_text(employees.read_text(encoding="utf-8").replace(",22000.00,", ",,", 1),
                         encoding="utf-8")  # fmt: skip
    changed = [f for f in ("policies/2024-05.yaml", str(employees)) if re.search(hook["files"], f)]
    assert changed == ["policies/2024-05.yaml", "data/2024-04/employees.csv"]
    ran = run_cli(["validate", *changed])
    assert ran.code == 4
    assert ran.stderr.splitlines()[0].startswith("data/2024-04/employees.csv:2:")
    ran = run_cli(["validate", "policies/2024-05.yaml", "data/2024-05/employees.csv"])
    assert ran.code == 0, ran.stderr
    assert ran.stdout.endswith("; data of 2024-05 checked\n")


def _keys(schema: dict, path: str = "") -> set[str]:  # type: ignore[type-arg]
    """Every key a policy may hold, by name."""
    found: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        found.add(name)
        found |= _keys(sub)
    for part in ("items", "additionalProperties"):
        if isinstance(schema.get(part), dict):
            found |= _keys(schema[part])
    for choice in schema.get("anyOf", []):
        found |= _keys(choice)
    return found


def test_the_policy_language_reference_names_everything_a_policy_may_use() -> None:
    from innerpay.formulas import PAY_FUNCTIONS
    from innerpay.policy.document import POLICY_SCHEMA
    from innerpay.policy.names import RESERVED

    text = (ROOT / "docs" / "policy-language.md").read_text(encoding="utf-8")
    missing = [f"{name}()" for name in PAY_FUNCTIONS if f"`{name}(" not in text]
    missing += [name for name in sorted(RESERVED) if f"`{name}`" not in text and
                f"`{name}," not in text and f", `{name}`" not in text]  # fmt: skip
    missing += [key for key in sorted(_keys(POLICY_SCHEMA)) if f"{key}:" not in text]
    assert missing == []
