"""The formula compiler and evaluator: the whitelist, Decimal literals, bounded cost, semantics."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innerpay.errors import Source
from innerpay.formulas import (
    PAY_FUNCTIONS,
    Formula,
    FormulaError,
    MissingValue,
    StepTable,
    Unavailable,
    compile_formula,
)
from innerpay.formulas.evaluator import evaluate_one
from innerpay.numbers import Rounding


def locate(i: int) -> Source:
    return Source("p.yaml", 7, 12 + i)


def compiled(text: str) -> Formula:
    formula, problems = compile_formula(text, locate, PAY_FUNCTIONS)
    assert problems == [], problems
    assert formula is not None
    return formula


def problems_of(text: str) -> list[str]:
    formula, problems = compile_formula(text, locate, PAY_FUNCTIONS)
    assert formula is None
    return [str(p) for p in problems]


def run(text: str, rounding: str = "half_up", **env: Any) -> Any:
    return evaluate_one(compiled(text), env, Rounding(rounding))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.__class__", "p.yaml:7:12: error: attribute access ('.x') is not allowed in a formula"),
        (
            "().__class__.__bases__",
            "p.yaml:7:12: error: attribute access ('.x') is not allowed in a formula",
        ),
        (
            "__import__('os')",
            "p.yaml:7:12: error: unknown function '__import__'; functions: abs, adjustments, band, ceil, date, floor, max, min, prorate, round, step, truncate, ytd",
        ),
        (
            "_secret + 1",
            "p.yaml:7:12: error: name '_secret' is not allowed (names may not start with '_')",
        ),
        ("lambda: 1", "p.yaml:7:12: error: a lambda is not allowed in a formula"),
        ("[x for x in y]", "p.yaml:7:12: error: a comprehension is not allowed in a formula"),
        (
            "sum(x for x in y)",
            "p.yaml:7:12: error: unknown function 'sum'; write the terms added with +",
        ),
        ("f'{x}'", "p.yaml:7:12: error: an f-string is not allowed in a formula"),
        ("x[0]", "p.yaml:7:12: error: a subscript ('x[...]') is not allowed in a formula"),
        ("(x := 3)", "p.yaml:7:13: error: an assignment (':=') is not allowed in a formula"),
        ("x = 3", "p.yaml:7:14: error: formula cannot be parsed: invalid syntax in 'x = 3'"),
        (
            "import os",
            "p.yaml:7:12: error: formula cannot be parsed: invalid syntax in 'import os'",
        ),
        (
            "9**9**9",
            "p.yaml:7:12: error: the exponent of '**' must be a whole number written out, from 0 to 100",
        ),
        (
            "4000000**4000000",
            "p.yaml:7:12: error: the exponent of '**' must be a whole number written out, from 0 to 100",
        ),
        (
            "2 ** x",
            "p.yaml:7:12: error: the exponent of '**' must be a whole number written out, from 0 to 100",
        ),
        ("rand()", "p.yaml:7:12: error: unknown function 'rand'; did you mean 'band'?"),
        ("x // 2", "p.yaml:7:12: error: operator '//' is not allowed; use + - * / and round()"),
        ("x % 2", "p.yaml:7:12: error: '%' is not a percent sign in a formula: write 7% as 0.07"),
        ("x << 2", "p.yaml:7:12: error: bitwise operators are not allowed"),
        ("x in y", "p.yaml:7:12: error: only the comparisons == != < <= > >= are allowed"),
        (
            "1e3",
            "p.yaml:7:12: error: number '1e3' must be written as plain digits, like 1500 or 0.25",
        ),
        (
            "1_000",
            "p.yaml:7:12: error: number '1_000' must be written as plain digits, like 1500 or 0.25",
        ),
        (
            "0x10",
            "p.yaml:7:12: error: number '0x10' must be written as plain digits, like 1500 or 0.25",
        ),
        ("None", "p.yaml:7:12: error: None is not allowed; use 0"),
        ("round(x)", "p.yaml:7:12: error: round() takes 2 arguments, got 1"),
        ("round(x, y)", "p.yaml:7:12: error: round(x, n): n must be a whole number from 0 to 10"),
        ("min(x)", "p.yaml:7:12: error: min() takes 2 or more arguments, got 1"),
        ("max(x, y=1)", "p.yaml:7:12: error: max() takes no keyword arguments"),
        (
            "step(1, x)",
            "p.yaml:7:12: error: step(table, x): the first argument must be the name of a step table",
        ),
        ("(1, 2)", "p.yaml:7:12: error: a tuple is not allowed in a formula"),
        ("{'a': 1}", "p.yaml:7:12: error: a dictionary is not allowed in a formula"),
        ("", "p.yaml:7:12: error: the formula is empty"),
        ("a +", "p.yaml:7:12: error: formula cannot be parsed: invalid syntax in 'a +'"),
    ],
)
def test_the_whitelist_refuses_everything_else(text: str, message: str) -> None:
    assert problems_of(text) == [message]


def test_size_and_depth_are_bounded() -> None:
    assert problems_of("+".join(["1"] * 200_000)) == [
        "p.yaml:7:12: error: formula is 399999 characters long; at most 2000"
    ]
    assert problems_of("+".join(["x"] * 900)) == [
        "p.yaml:7:12: error: formula is too large: more than 400 parts"
    ]
    (deep,) = problems_of("(" * 300 + "1" + ")" * 300)
    assert "too many nested parentheses" in deep


def test_literals_are_decimals_from_their_text() -> None:
    assert run("0.1 + 0.2") == Decimal("0.3")
    assert str(run("0.30 * 1")) == "0.30"
    assert run("1 / 3") == Decimal("0.3333333333333333333333333333")
    assert run("2 ** 10") == Decimal(1024)


def test_names_are_reported_with_their_offsets() -> None:
    formula = compiled("base_salary * bonus_ratio + round(x, 2)")
    assert formula.names == (("base_salary", 0), ("bonus_ratio", 14), ("x", 34))


def test_arithmetic_comparisons_and_conditions() -> None:
    assert run("a * 0.105", a=Decimal("12000.00")) == Decimal("1260.00000")
    assert run("2000 if met else 0", met=True) == Decimal(2000)
    assert run("2000 if met else 0", met=False) == Decimal(0)
    assert run('role == "manager"', role="manager") is True
    assert run("not a", a=False) is True
    assert run("d1 <= d2", d1=dt.date(2024, 5, 1), d2=dt.date(2024, 5, 2)) is True
    assert run("min(a, b, 3)", a=Decimal(5), b=Decimal(4)) == Decimal(3)
    assert run("max(a, -b)", a=Decimal(-5), b=Decimal(4)) == Decimal(-4)
    assert run("abs(a)", a=Decimal("-2.5")) == Decimal("2.5")


def test_round_uses_the_policy_rounding() -> None:
    assert run("round(x, 2)", "half_up", x=Decimal("1.005")) == Decimal("1.01")
    assert run("round(x, 2)", "half_even", x=Decimal("1.005")) == Decimal("1.00")
    assert run("round(x, 0)", "half_even", x=Decimal("2.5")) == Decimal("2")


def test_step_tables_apply_the_greatest_threshold_at_or_below() -> None:
    table = StepTable(
        (
            (Decimal("0"), Decimal("0.5")),
            (Decimal("0.9"), Decimal("1")),
            (Decimal("0.95"), Decimal("1.2")),
        )
    )
    assert run("step(t, x)", t=table, x=Decimal("0.95")) == Decimal("1.2")  # inclusive
    assert run("step(t, x)", t=table, x=Decimal("0.9499999")) == Decimal("1")
    assert run("step(t, x)", t=table, x=Decimal("0")) == Decimal("0.5")
    with pytest.raises(FormulaError, match=r"step: -0.1 is below the table's lowest threshold 0"):
        run("step(t, x)", t=table, x=Decimal("-0.1"))


def test_prorate_uses_the_employed_days() -> None:
    env = {"employed_days": Decimal(20), "period_days": Decimal(31), "x": Decimal("9100.00")}
    assert run("prorate(x)", **env) == Decimal("9100.00") * 20 / 31


def test_short_circuit_guards_missing_values() -> None:
    assert run("a and a <= b", a=None, b=dt.date(2024, 1, 1)) is None
    assert run("x if has else score", has=True, x=Decimal(1), score=Unavailable("no customer")) == 1
    with pytest.raises(MissingValue, match="'<=' compares an empty value"):
        run("a <= b", a=None, b=dt.date(2024, 1, 1))
    with pytest.raises(FormulaError, match="'score' has no value here: no customer"):
        run("score * 2", score=Unavailable("no customer"))


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("a + b", {"a": Decimal(1), "b": "x"}, "'+' needs numbers, got the text 'x'"),
        ("a * 2", {"a": True}, "'*' needs numbers, got the condition True"),
        (
            "a < b",
            {"a": Decimal(1), "b": dt.date(2024, 1, 1)},
            "'<' cannot compare the number 1 with the date 2024-01-01",
        ),
        ("a < b", {"a": "x", "b": "y"}, "'<' cannot order the text 'x'; only == and != apply"),
        ("a / 0", {"a": Decimal(1)}, "division by zero"),
        ("nope + 1", {}, "name 'nope' is not defined here"),
    ],
)
def test_runtime_errors_say_what_went_wrong(text: str, env: dict[str, Any], message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        run(text, **env)
    assert caught.value.message == message


amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2)


@given(amounts, amounts)
def test_addition_is_exact(a: Decimal, b: Decimal) -> None:
    assert run("a + b", a=a, b=b) == a + b


@given(st.text(max_size=80))
def test_any_text_compiles_or_gives_positioned_diagnostics(text: str) -> None:
    formula, problems = compile_formula(text, locate, PAY_FUNCTIONS)
    assert (formula is None) == bool(problems)
    for problem in problems:
        assert problem.source.file == "p.yaml"
        assert problem.source.line == 7


@given(st.from_regex(r"[a-c0-9 +*/()<=>.-]{1,40}", fullmatch=True))
def test_expressions_of_the_whitelist_compile_or_explain(text: str) -> None:
    formula, problems = compile_formula(text, locate, PAY_FUNCTIONS)
    if formula is not None:
        env = {"a": Decimal(2), "b": Decimal(3), "c": Decimal(0)}
        # e.g. division by zero: a FormulaError with a message, never another exception
        with contextlib.suppress(FormulaError):
            evaluate_one(formula, env)
    else:
        assert problems
