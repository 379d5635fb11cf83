"""The evaluator over columns gives, row by row, what an independent row-by-row evaluator gives.

The oracle is simpleeval's own dispatch-table interpreter, given innerpay's operators and
functions (the meaning of each, :mod:`innerpay.formulas.values`) and nothing of innerpay's
evaluator: it walks one row's tree in Python's order, short-circuiting as Python does.  The
evaluator under test compiles the tree once and runs it over a batch of rows, evaluating each
side of ``and``, ``or``, ``x if c else y`` and chained comparisons only on the rows that need
it; its columns are Python values, or arrow arrays where they can be.  Both must give each row
the same value, or the same error.
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from simpleeval import SimpleEval

from innerpay.errors import Source
from innerpay.formulas import (
    PAY_FUNCTIONS,
    Batch,
    Fault,
    FormulaError,
    StepTable,
    Unavailable,
    Values,
    arrow,
    compile_formula,
    compile_node,
    values,
)
from innerpay.formulas.evaluator import lookup_of
from innerpay.formulas.vectors import to_arrow
from innerpay.numbers import CONTEXT, Rounding

TABLE = StepTable(((Decimal("0"), Decimal("0.5")), (Decimal("2"), Decimal("1.20"))))


def interpreter(env: dict[str, Any], rounding: Rounding, read: list[str] | None = None) -> Any:
    """simpleeval's interpreter for one row, with innerpay's operators and functions (``read``
    receives each name as it is read)."""

    def name(node: Any) -> Any:
        if node.id not in env:
            raise values.undefined(node.id)
        value = values.read(node.id, env[node.id])
        if read is not None:
            read.append(node.id)
        return value

    return SimpleEval(
        operators=dict(values.OPERATORS),
        functions={
            "step": values.step,
            "prorate": lambda x: values.prorate(x, env["employed_days"], env["period_days"]),
            "min": values.minimum,
            "max": values.maximum,
            "abs": values.absolute,
            "round": lambda x, n: values.rounded(x, n, rounding),
        },
        names=name,
    )


def oracle(formula: Any, env: dict[str, Any], rounding: Rounding) -> tuple[str, Any]:
    """One row, by simpleeval's interpreter."""
    evaluator = interpreter(env, rounding)
    try:
        with decimal.localcontext(CONTEXT):
            found = values.guarded(lambda: evaluator.eval("", previously_parsed=formula.tree))
    except FormulaError as exc:
        return ("error", exc.message)
    return ("value", repr(found))


def shown(value: Any) -> tuple[str, Any]:
    if type(value) is Fault:
        return ("error", value.error.message)
    return ("value", repr(value))


KINDS = st.sampled_from(
    [None, Decimal("0"), Decimal("3.5"), Decimal("-1.25"), Decimal("2.000"), "x", "text", True,
     False, dt.date(2024, 1, 1), dt.date(2024, 5, 1)]
)  # fmt: skip

FORMULAS = st.from_regex(
    r"(a|b|c|d|t|f|n|u|1|0\.5|2)( (\+|-|\*|/|<|<=|==|!=|>|>=|and|or) (a|b|c|d|t|f|n|u|1|0\.5|2)){0,4}"
    r"|(min|max)\((a|b|c), (a|b|c|2)\)|round\((a|b|c), [0-3]\)|(a|b) if (f|n|t|b) else (c|u)"
    r"|not (a|n|f|b)|-a \*\* 2|1 < a < 3|a <= b < c|prorate\((a|b)\)|step\(s, (a|b|c)\)"
    r"|abs\((b|c)\)|(a|b) and (b|c) or (c|n)",
    fullmatch=True,
)


def rows_of(draw: st.DrawFn, size: int) -> list[dict[str, Any]]:
    rows = []
    for _ in range(size):
        rows.append(
            {
                "a": draw(st.sampled_from([Decimal("2.25"), Decimal("0"), Decimal("-3"), None])),
                "b": draw(KINDS),
                "c": draw(st.sampled_from([Decimal("-1"), Decimal("1.50"), Decimal("7")])),
                "d": draw(st.sampled_from([dt.date(2024, 5, 1), None])),
                "t": draw(st.sampled_from(["text", "manager"])),
                "f": draw(st.booleans()),
                "n": None,
                "u": Unavailable("department 'x' has no internal customer"),
                "s": TABLE,
                "employed_days": draw(st.sampled_from([Decimal(31), Decimal(10), Decimal(0)])),
                "period_days": Decimal(31),
            }
        )
    return rows


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    return draw(FORMULAS), rows_of(draw, draw(st.integers(1, 8)))


def columns_of(rows: list[dict[str, Any]], as_arrow: bool) -> dict[str, Any]:
    """Each name's column: Python values, or an arrow array where one holds them exactly."""
    found: dict[str, Any] = {}
    for name in rows[0]:
        items = [row[name] for row in rows]
        if name in ("u", "s", "n", "period_days"):
            found[name] = items[0]  # the same on every row
            continue
        made = to_arrow(items) if as_arrow else None
        found[name] = made if made is not None else Values(items)
    return found


@settings(max_examples=500, deadline=None)
@given(cases(), st.sampled_from(list(Rounding)))
def test_columns_give_each_row_what_the_row_interpreter_gives(
    case: tuple[str, list[dict[str, Any]]], rounding: Rounding
) -> None:
    text, rows = case
    formula, _ = compile_formula(text, lambda i: Source("f.yaml", 1, i), PAY_FUNCTIONS)
    if formula is None:
        return
    expected = [oracle(formula, row, rounding) for row in rows]
    node = compile_node(formula, rounding)
    for as_arrow in (False, True):
        if as_arrow:
            assert arrow.available()
        batch = Batch(len(rows), lookup_of(columns_of(rows, as_arrow), len(rows)))
        with decimal.localcontext(CONTEXT):
            got = node(batch)
        assert [shown(v) for v in got.values()] == expected, (text, as_arrow)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_a_trace_records_only_what_the_row_reads(case: tuple[str, list[dict[str, Any]]]) -> None:
    """`explain`'s trace: on one row, the names read, in order, and none of a branch not taken."""
    text, rows = case
    formula, _ = compile_formula(text, lambda i: Source("f.yaml", 1, i), PAY_FUNCTIONS)
    if formula is None:
        return
    row = rows[0]
    read: list[str] = []
    rows_interpreter = interpreter(row, Rounding.HALF_UP, read)
    try:
        with decimal.localcontext(CONTEXT):
            values.guarded(lambda: rows_interpreter.eval("", previously_parsed=formula.tree))
    except FormulaError:
        return  # a row that fails is never explained: its run stops
    trace: list[tuple[str, Any]] = []
    batch = Batch(1, lookup_of(columns_of([row], False), 1), trace)
    with decimal.localcontext(CONTEXT):
        compile_node(formula, Rounding.HALF_UP)(batch)
    assert [n for n, _ in trace] == read
