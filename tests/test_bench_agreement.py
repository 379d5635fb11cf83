"""The benchmark's workload, small: innerpay's pay equals the careful hand-written Decimal script's.

An independent implementation of the same policy (bench/careful.py: csv and Decimal, no innerpay
code) must agree with innerpay to the cent for every employee.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT, compute_data


def module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def nets(path: Path) -> dict[str, Decimal]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["id"]: Decimal(row["net"]) for row in csv.DictReader(handle)}


def test_innerpay_agrees_with_the_careful_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module("generate").generate(600, tmp_path)
    module("careful").main(tmp_path, tmp_path / "careful.csv")
    ran = compute_data(tmp_path, monkeypatch, "2024-05", "--format", "csv")
    assert ran.code == 0, ran.stderr
    ours = nets(tmp_path / "out" / "2024-05" / "payroll.csv")
    theirs = nets(tmp_path / "careful.csv")
    assert len(ours) == 600
    assert ours == theirs
