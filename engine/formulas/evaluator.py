"""The evaluator: a checked formula compiled once, then run over whole columns.

:func:`compile_node` turns a formula's checked tree into a tree of small functions, each taking a
:class:`Batch` (the rows being evaluated: every employee of a period, a block of metric records,
or one employee for `explain`) and giving a :class:`~innerpay.formulas.vectors.Vector`.  Every
operator runs through :mod:`innerpay.formulas.kernels`; ``and``, ``or``, ``x if c else y`` and
chained comparisons evaluate each side only on the rows that need it, so a guarded name is never
read where the guard is false (SPEC.md: they short-circuit).  With a trace (``explain``), a batch
records every name it reads on a row, in the order the formula reads it.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any

from ..numbers import CONTEXT, Rounding
from . import kernels, values
from .kernels import split
from .parse import BandTable, Formula, FormulaError, StepTable, Unavailable
from .vectors import Const, Fault, Rows, Values, Vector, assemble

Node = Callable[["Batch"], Vector]
Lookup = Callable[[str], Vector]


class Batch:
    """The rows a formula is evaluated on, and the names it may read.

    ``lookup`` gives a name's column for every row; a subset (:meth:`subset`) reads its parent's
    columns at the rows it selects.  Columns are made once per batch.
    """

    def __init__(self, size: int, lookup: Lookup, trace: list[tuple[str, Any]] | None = None):
        self.size = size
        self._lookup = lookup
        self._columns: dict[str, Vector] = {}
        self.root: Batch = self
        self.trace = trace  # names read (on the first row), for `explain`: set on the root
        # names read, each with the rows of the root it was read on (a bit per row), for
        # `diff`: set on the root; a subset knows its rows' places in the root
        self.reads: dict[str, int] | None = None
        self._places: list[int] | None = None
        self._mask: int | None = None

    def get(self, name: str, traced: bool = True) -> Vector:
        """The column of ``name``."""
        column = self._columns.get(name)
        if column is None:
            column = self._columns[name] = self._lookup(name)
        root = self.root
        trace = root.trace
        if traced and trace is not None and self.size:
            value = column.at(0)
            if type(value) is not Fault:
                trace.append((name, value))
        if traced and root.reads is not None and self.size:
            root.reads[name] = root.reads.get(name, 0) | self.mask()
        return column

    def mask(self) -> int:
        """The rows of the root this batch holds, a bit per row."""
        if self._mask is None:
            if self._places is None:
                self._mask = (1 << self.size) - 1
            else:
                bits = bytearray((self.root.size + 7) // 8)
                for place in self._places:
                    bits[place >> 3] |= 1 << (place & 7)
                self._mask = int.from_bytes(bits, "little")
        return self._mask

    def set(self, name: str, column: Vector) -> None:
        """Give ``name`` a column (a pay line, once computed)."""
        self._columns[name] = column

    def subset(self, rows: Rows) -> Batch:
        """The batch of the rows selected."""
        if rows.everything:
            return self
        sub = Batch(rows.count, lambda name: self.get(name, traced=False).take(rows))
        sub.root = self.root
        if self.root.reads is not None:
            places = self._places
            sub._places = [places[k] for k in rows.positions()] if places is not None \
                else rows.positions()  # fmt: skip
        return sub


class _Compiler:
    """The checked tree of one formula, node by node (only the whitelisted nodes exist)."""

    def __init__(self, rounding: Rounding):
        self.rounding = rounding

    def node(self, tree: ast.expr) -> Node:
        if isinstance(tree, ast.Constant):
            value = tree.value
            return lambda batch: Const(value, batch.size)
        if isinstance(tree, ast.Name):
            name = tree.id
            return lambda batch: batch.get(name)
        if isinstance(tree, ast.UnaryOp):
            return self._unary(type(tree.op), self.node(tree.operand))
        if isinstance(tree, ast.BinOp):
            if isinstance(tree.op, ast.Pow):
                exponent = tree.right.value  # type: ignore[attr-defined]  # a checked literal
                return self._call(lambda x: values.power(x, exponent), None, [tree.left])
            return self._binary(type(tree.op), self.node(tree.left), self.node(tree.right))
        if isinstance(tree, ast.BoolOp):
            return self._boolean(isinstance(tree.op, ast.And), [self.node(v) for v in tree.values])
        if isinstance(tree, ast.Compare):
            return self._compare(
                self.node(tree.left),
                [
                    (type(op), self.node(c))
                    for op, c in zip(tree.ops, tree.comparators, strict=True)
                ],
            )
        if isinstance(tree, ast.IfExp):
            return self._if(self.node(tree.test), self.node(tree.body), self.node(tree.orelse))
        if isinstance(tree, ast.Call):
            assert isinstance(tree.func, ast.Name)
            return self._function(tree.func.id, tree.args)
        raise AssertionError(f"not a checked formula node: {type(tree).__name__}")

    @staticmethod
    def _unary(op: type, operand: Node) -> Node:
        return lambda batch: kernels.operator(op, [operand(batch)], batch.size)

    @staticmethod
    def _binary(op: type, left: Node, right: Node) -> Node:
        def run(batch: Batch) -> Vector:
            a = left(batch)
            return kernels.operator(op, [a, right(batch)], batch.size)

        return run

    def _call(self, function: kernels.Scalar, fast: kernels.Fast | None, args: list[Any]) -> Node:
        nodes = [self.node(a) for a in args]

        def run(batch: Batch) -> Vector:
            return kernels.apply(function, fast, [n(batch) for n in nodes], batch.size)

        return run

    def _function(self, name: str, args: list[ast.expr]) -> Node:
        if name == "round":
            places = int(args[1].value)  # type: ignore[attr-defined]  # a checked literal
            operand = self.node(args[0])
            rounding = self.rounding
            return lambda batch: kernels.round_to(operand(batch), places, rounding, batch.size)
        if name in values.ROUNDING_FUNCTIONS:
            mode = values.ROUNDING_FUNCTIONS[name]
            digits = int(args[1].value) if len(args) == 2 else 0  # type: ignore[attr-defined]
            inner = self.node(args[0])
            return lambda batch: kernels.round_to(inner(batch), digits, mode, batch.size, name)
        if name == "step":
            return self._step(self.node(args[0]), self.node(args[1]))
        if name == "band":
            column = args[2].value  # type: ignore[attr-defined]  # a checked literal
            return self._band(self.node(args[0]), self.node(args[1]), column)
        if name == "date":
            day = dt.date.fromisoformat(args[0].value)  # type: ignore[attr-defined]  # checked
            return lambda batch: Const(day, batch.size)
        if name == "ytd":
            read = f"ytd({args[0].id})"  # type: ignore[attr-defined]  # a checked name
            return lambda batch: batch.get(read)
        if name == "adjustments":
            category = f'adjustments("{args[0].value}")'  # type: ignore[attr-defined]
            return lambda batch: batch.get(category)
        if name == "prorate":
            amount = self.node(args[0])

            def prorated(batch: Batch) -> Vector:
                # the employee's days, not names the formula reads: `explain` shows the formula's
                vectors = [amount(batch), batch.get("employed_days", traced=False),
                           batch.get("period_days", traced=False)]  # fmt: skip
                return kernels.apply(values.prorate, kernels.fast_prorate, vectors, batch.size)

            return prorated
        return self._call(values.FUNCTIONS[name], kernels.FAST_FUNCTIONS.get(name), args)

    @staticmethod
    def _step(table: Node, x: Node) -> Node:
        made: dict[int, tuple[StepTable, kernels.Fast | None]] = {}  # per table: its kernel

        def run(batch: Batch) -> Vector:
            tables, at = table(batch), x(batch)
            if isinstance(tables, Const) and isinstance(tables.value, StepTable):
                key = id(tables.value)
                if key not in made:
                    made[key] = (tables.value, kernels.fast_step(tables.value))
                fast = made[key][1]
                if fast is not None:
                    chosen = tables.value
                    return kernels.apply(lambda v: values.step(chosen, v), fast, [at], batch.size)
            return kernels.apply(values.step, None, [tables, at], batch.size)

        return run

    @staticmethod
    def _band(table: Node, x: Node, column: str) -> Node:
        made: dict[int, tuple[BandTable, kernels.Fast | None]] = {}  # per table: its kernel

        def run(batch: Batch) -> Vector:
            tables, at = table(batch), x(batch)
            if isinstance(tables, Const) and isinstance(tables.value, BandTable):
                chosen = tables.value
                key = id(chosen)
                if key not in made:
                    made[key] = (chosen, kernels.fast_band(chosen, column))
                return kernels.apply(
                    lambda v: values.band(chosen, v, column), made[key][1], [at], batch.size
                )
            return kernels.apply(
                lambda t, v: values.band(t, v, column), None, [tables, at], batch.size
            )

        return run

    @staticmethod
    def _if(test: Node, body: Node, orelse: Node) -> Node:
        def run(batch: Batch) -> Vector:
            condition = test(batch)
            yes, no, bad = split(condition)
            pieces = [(bad, condition.take(bad))]
            if yes.count:
                pieces.append((yes, body(batch.subset(yes))))
            if no.count:
                pieces.append((no, orelse(batch.subset(no))))
            return assemble(batch.size, pieces)

        return run

    @staticmethod
    def _boolean(conjunction: bool, operands: list[Node]) -> Node:
        def run(batch: Batch, start: int = 0) -> Vector:
            first = operands[start](batch)
            if start == len(operands) - 1:
                return first
            yes, no, bad = split(first)
            stop, go = (no, yes) if conjunction else (yes, no)
            pieces = [(bad, first.take(bad)), (stop, first.take(stop))]
            if go.count:
                pieces.append((go, run(batch.subset(go), start + 1)))
            return assemble(batch.size, pieces)

        return run

    @staticmethod
    def _compare(left: Node, steps: list[tuple[type, Node]]) -> Node:
        def run(batch: Batch, first: Vector | None = None, start: int = 0) -> Vector:
            a = left(batch) if first is None else first
            op, right = steps[start]
            b = right(batch)
            result = kernels.operator(op, [a, b], batch.size)
            if start == len(steps) - 1:
                return result
            yes, no, bad = split(result)  # a < b < c: c only where a < b holds
            pieces = [(bad, result.take(bad)), (no, result.take(no))]
            if yes.count:
                pieces.append((yes, run(batch.subset(yes), b.take(yes), start + 1)))
            return assemble(batch.size, pieces)

        return run


def compile_node(formula: Formula, rounding: Rounding) -> Node:
    """A formula compiled once into the function of a batch that gives its column."""
    return compile_part(formula.tree, rounding)


def compile_part(tree: ast.expr, rounding: Rounding) -> Node:
    """A part of a formula (an argument of a call, say) compiled as :func:`compile_node` does."""
    return _Compiler(rounding).node(tree)


def lookup_of(columns: Mapping[str, Vector | Any], size: int) -> Lookup:
    """The names of a batch from plain values: a column (a Vector) or one value for every row;
    a name that is not there, or a value that is :class:`~innerpay.formulas.parse.Unavailable`,
    is a fault where it is read."""

    def lookup(name: str) -> Vector:
        if name not in columns:
            return Const(Fault(values.undefined(name)), size)
        found = columns[name]
        if isinstance(found, Vector):
            return found
        if type(found) is Unavailable:
            try:
                values.read(name, found)
            except FormulaError as exc:
                return Const(Fault(exc), size)
        return Const(found, size)

    return lookup


def evaluate_one(
    formula: Formula,
    names: Mapping[str, Any],
    rounding: Rounding = Rounding.HALF_UP,
    trace: list[tuple[str, Any]] | None = None,
) -> Any:
    """A formula's value for one row of named values; raises its FormulaError."""
    batch = Batch(1, lookup_of({k: Values([v]) for k, v in names.items()
                                if type(v) is not Unavailable} | {
        k: v for k, v in names.items() if type(v) is Unavailable}, 1), trace)  # fmt: skip
    with decimal.localcontext(CONTEXT):
        value = compile_node(formula, rounding)(batch).at(0)
    if type(value) is Fault:
        raise value.error
    return value
