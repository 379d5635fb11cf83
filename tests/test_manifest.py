"""The manifest names what produced the run: every policy version read, each input by a path
relative to one root (however the folders were spelled), the git commit of the policies and
whether their tree was clean; verify finds the inputs from wherever it is run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import run_cli


def manifest(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_run_does_not_depend_on_how_its_folders_are_spelled(company: Path) -> None:
    spellings = {
        "plain": ["--data", "fixtures", "--policies", "policies"],
        "dotted": ["--data", "./fixtures/", "--policies", "./policies//"],
        "absolute": ["--data", str(company / "fixtures"), "--policies", str(company / "policies")],
    }
    for out, options in spellings.items():
        ran = run_cli(["compute", "--period", "2024-05", "--out", out, *options])
        assert ran.code == 0, ran.stderr
    plain = files(company / "plain" / "2024-05")
    for out in ("dotted", "absolute"):
        assert files(company / out / "2024-05") == plain, out
    recorded = manifest(company / "plain" / "2024-05")
    assert recorded["root"] == os.path.join("..", "..")
    assert (recorded["options"]["data"], recorded["options"]["policies"]) == (
        "fixtures",
        "policies",
    )
    assert "fixtures/2024-05/employees.csv" in recorded["inputs"]


def test_verify_works_from_anywhere_the_inputs_are(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    (company / "elsewhere" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(company / "elsewhere" / "deeper")
    ran = run_cli(["verify", "../../out/2024-05"])
    assert (ran.code, ran.stdout) == (
        0,
        "ok: ../../out/2024-05 matches its inputs byte for byte (71 files)\n",
    )
    # an input changed is still named, relative to the run's root
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    employees.write_bytes(employees.read_bytes() + b"\n")
    ran = run_cli(["verify", str(company / "out" / "2024-05")])
    assert ran.code == 1
    assert "input changed since the run: fixtures/2024-05/employees.csv" in ran.stdout


def git(company: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(company), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "hr", "GIT_AUTHOR_EMAIL": "hr@example.com",
                        "GIT_COMMITTER_NAME": "hr", "GIT_COMMITTER_EMAIL": "hr@example.com"})  # fmt: skip


def test_the_manifest_says_whether_the_policies_were_as_committed(company: Path) -> None:
    git(company, "init", "-q")
    git(company, "add", "policies")
    git(company, "commit", "-q", "-m", "policy")
    assert run_cli(["compute", "--period", "2024-05", "--out", "clean"]).code == 0
    clean = manifest(company / "clean" / "2024-05")
    assert clean["git_clean"] is True and len(clean["git_commit"]) == 40
    policy = company / "policies" / "2024-05.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("bonus_ratio: 0.35",
                                                                 "bonus_ratio: 0.40"), "utf-8")  # fmt: skip
    assert run_cli(["compute", "--period", "2024-05", "--out", "dirty"]).code == 0
    dirty = manifest(company / "dirty" / "2024-05")
    assert dirty["git_clean"] is False  # the commit named did not produce this run
    assert dirty["git_commit"] == clean["git_commit"]
    # every policy version read, with its hash (not only the one in force)
    assert sorted(dirty["policies"]) == ["policies/2024-01.yaml", "policies/2024-05.yaml"]
    assert dirty["policies"]["policies/2024-05.yaml"] != clean["policies"]["policies/2024-05.yaml"]
    assert dirty["policies"]["policies/2024-01.yaml"] == clean["policies"]["policies/2024-01.yaml"]
