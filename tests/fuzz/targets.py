"""What the fuzzer checks: any text either loads or gives positioned diagnostics, never a crash.

Plain functions, so that the atheris harness (fuzz_innerpay.py) and the test suite share them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from decimal import Decimal

from innerpay.audit.verify import verify_run
from innerpay.data.reading import read_table
from innerpay.errors import Source
from innerpay.formulas import PAY_FUNCTIONS, FormulaError, compile_formula
from innerpay.formulas.evaluator import evaluate_one
from innerpay.policy.versions import load_policy_text

ENV = {
    "a": Decimal("2"),
    "b": Decimal("0"),
    "c": Decimal("-1.5"),
    "d": dt.date(2024, 5, 1),
    "t": "manager",
    "f": True,
    "n": None,
    "employed_days": Decimal(20),
    "period_days": Decimal(31),
}


def check_policy_text(text: str) -> None:
    """A policy text loads, or every diagnostic names the file and a line."""
    policy, problems = load_policy_text(text, "fuzz.yaml", "0" * 64)
    for problem in problems:
        assert problem.source.file == "fuzz.yaml", problem
        assert problem.source.line >= 0, problem
    assert policy is not None or any(p.is_error for p in problems)


def check_formula_text(text: str) -> None:
    """A formula compiles (and then evaluates or fails with a FormulaError) or is refused."""
    formula, problems = compile_formula(
        text, lambda i: Source("fuzz.yaml", 1, 1 + i), PAY_FUNCTIONS
    )
    if formula is None:
        assert problems and all(p.source.file == "fuzz.yaml" for p in problems)
        return
    with contextlib.suppress(FormulaError):
        evaluate_one(formula, ENV)


def check_xlsx_bytes(raw: bytes) -> None:
    """Any bytes as employees.xlsx: a table, or diagnostics naming the file, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "employees.xlsx")
        with open(path, "wb") as handle:
            handle.write(raw)
        table, problems = read_table(path)
        assert all(p.source.file == path for p in problems), problems
        assert table is not None or any(p.is_error for p in problems)


def check_manifest_text(text: str) -> None:
    """Any text as a run's manifest.json: verify finds differences or says what is wrong with
    it, never a crash (the run's folder holds nothing else)."""
    with tempfile.TemporaryDirectory() as folder:
        run = os.path.join(folder, "out", "2024-05")
        os.makedirs(run)
        with open(os.path.join(run, "manifest.json"), "w", encoding="utf-8") as handle:
            handle.write(text)
        found = verify_run(run)
        assert found.differences or found.diagnostics
