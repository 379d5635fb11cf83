"""What the fuzzer checks: any text either loads or gives positioned diagnostics, never a crash.

Plain functions, so that the atheris harness (fuzz_innerpay.py) and the test suite share them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

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
