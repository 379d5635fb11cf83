"""Shared fixtures: the repository's paths, a CLI runner, and a copy of the reference company."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from innerpay.cli import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "cases"


@dataclass(frozen=True)
class Ran:
    """What a CLI call printed and returned."""

    code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str]) -> Ran:
    """Run `innerpay ARGS` in-process, in the current directory."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


def compute_data(home: Path, monkeypatch: pytest.MonkeyPatch, period: str, *more: str) -> Ran:
    """`innerpay compute --period PERIOD --data data MORE...`, run in ``home``."""
    monkeypatch.chdir(home)
    return run_cli(["compute", "--period", period, "--data", "data", *more])


def working_copy(
    source: Path, folders: Sequence[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A working directory holding copies of ``source``'s folders."""
    for folder in folders:
        shutil.copytree(source / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding a copy of the reference company (policies/ and fixtures/)."""
    return working_copy(ROOT, ("policies", "fixtures"), tmp_path, monkeypatch)


def expected_lines(path: Path) -> list[str]:
    """The `# expect: ...` lines at the end of a case file."""
    marker = "# expect: "
    text = path.read_text(encoding="utf-8", errors="replace")
    return [line[len(marker) :] for line in text.splitlines() if line.startswith(marker)]


def finance_appraised_by_sales(company: Path) -> None:
    """May's version makes Sales Finance's customer (it was Purchasing): Sales and Finance then
    appraise each other, and the five-department loop is broken."""
    policy = company / "policies" / "2024-05.yaml"
    text = policy.read_text(encoding="utf-8")
    finance = text.index("  finance:")
    text = text[:finance] + text[finance:].replace("department: purchasing", "department: sales", 1)
    policy.write_text(text, encoding="utf-8")
