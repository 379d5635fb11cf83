"""Formulas: parsed once when the policy loads, checked against a whitelist, evaluated in Decimal.

A formula is a single Python expression.  :func:`compile_formula` parses it, refuses everything
outside the whitelist of SPEC.md (Formulas) with a diagnostic at the offending character, turns
every number literal into a :class:`~decimal.Decimal` from its own text, and bounds size and cost
(``9**9**9`` is refused before anything runs).  :class:`Evaluator` is simpleeval's dispatch-table
evaluator narrowed to that whitelist, with Decimal-only operators and our own name lookup.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import decimal
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simpleeval import SimpleEval

from .errors import Diagnostic, Source, error, suggest
from .numbers import CONTEXT, ROUNDING_MODES

MAX_LENGTH = 2000  # characters in one formula
MAX_NODES = 400  # syntax nodes in one formula
MAX_EXPONENT = 100  # the largest literal exponent of `**`
MAX_ROUND_PLACES = 10

#: Functions a pay formula may call, with how many arguments each takes (min, max).
PAY_FUNCTIONS: dict[str, tuple[int, int]] = {
    "step": (2, 2),
    "prorate": (1, 1),
    "min": (2, 50),
    "max": (2, 50),
    "abs": (1, 1),
    "round": (2, 2),
}
#: Functions a metric's `success` or `weight` may call (no parameters, no employee).
ROW_FUNCTIONS: dict[str, tuple[int, int]] = {
    name: PAY_FUNCTIONS[name] for name in ("min", "max", "abs", "round")
}

_LITERAL = re.compile(r"[0-9]+(\.[0-9]+)?\Z")

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = (ast.USub, ast.UAdd, ast.Not)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)

_FORBIDDEN_WORDS = {
    ast.Attribute: "attribute access ('.x')",
    ast.Subscript: "a subscript ('x[...]')",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (':=')",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dictionary",
    ast.Set: "a set",
    ast.Starred: "a '*' argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "a slice",
}


class FormulaError(Exception):
    """A formula failed while evaluating; ``name`` is the name at fault, when one is."""

    def __init__(self, message: str, name: str | None = None):
        super().__init__(message)
        self.message = message
        self.name = name


class MissingValue(FormulaError):
    """A value was needed where the data has an empty cell."""


@dataclass(frozen=True)
class Unavailable:
    """A name that this employee does not have (e.g. `score` of a department without customers)."""

    reason: str


@dataclass(frozen=True)
class StepTable:
    """A step table: the row with the greatest threshold <= x applies."""

    rows: tuple[tuple[Decimal, Decimal], ...]  # sorted by threshold, ascending

    def lookup(self, x: Decimal) -> Decimal:
        """The value of the row with the greatest threshold <= x."""
        found = None
        for threshold, value in self.rows:
            if threshold <= x:
                found = value
            else:
                break
        if found is None:
            raise FormulaError(f"step: {x} is below the table's lowest threshold {self.rows[0][0]}")
        return found


@dataclass(frozen=True)
class Formula:
    """A checked, parsed formula: evaluate it many times with :class:`Evaluator`."""

    text: str
    tree: ast.expr
    source: Source
    names: tuple[tuple[str, int], ...]  # every name used, with the offset of its first use
    calls: tuple[tuple[str, int, tuple[ast.expr, ...]], ...]
    locate: Callable[[int], Source] = field(repr=False, compare=False)

    def at(self, offset: int) -> Source:
        """The source of the formula's ``offset``-th character (its start, where unknown)."""
        return self.locate(offset)

    def name_at(self, name: str) -> Source:
        """Where ``name`` is first used in the formula (the formula's start, if it is not)."""
        return self.at(dict(self.names).get(name, 0))

    @property
    def name_set(self) -> frozenset[str]:
        """The names the formula reads."""
        return frozenset(name for name, _ in self.names)


def _offsets(text: str) -> Callable[[ast.AST], int]:
    """Map an AST node's (line, UTF-8 byte column) to a character offset in ``text``."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(node: ast.AST) -> int:
        lineno = getattr(node, "lineno", 1) - 1
        col = getattr(node, "col_offset", 0)
        line = lines[lineno] if lineno < len(lines) else ""
        return starts[min(lineno, len(starts) - 1)] + len(
            line.encode()[:col].decode(errors="ignore")
        )

    return offset


def compile_formula(
    text: str,
    locate: Callable[[int], Source],
    functions: Mapping[str, tuple[int, int]],
) -> tuple[Formula | None, list[Diagnostic]]:
    """Parse and check one formula; ``locate(i)`` is the source of its i-th character."""
    if not isinstance(text, str) or not text.strip():
        return None, [error(locate(0), "the formula is empty")]
    if len(text) > MAX_LENGTH:
        return None, [
            error(locate(0), f"formula is {len(text)} characters long; at most {MAX_LENGTH}")
        ]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings would print to stderr
            tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        return None, [_syntax_error(text, exc, locate)]
    except (ValueError, RecursionError, MemoryError):
        return None, [error(locate(0), "formula cannot be parsed (too deeply nested)")]
    lead = len(text) - len(text.lstrip())
    offset_of = _offsets(text.strip())
    problems: list[Diagnostic] = []
    names: dict[str, int] = {}
    calls: list[tuple[str, int, tuple[ast.expr, ...]]] = []
    count = 0
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        count += 1
        if count > MAX_NODES:
            return None, [error(locate(0), f"formula is too large: more than {MAX_NODES} parts")]
        where = lead + offset_of(node)
        problem = _check_node(node, text.strip(), offset_of, functions)
        if problem:
            problems.append(error(locate(where), problem))
            continue  # one message per construct: do not look inside it
        pending.extend(reversed(list(ast.iter_child_nodes(node))))
        if isinstance(node, ast.Name):
            names.setdefault(node.id, where)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.append((node.func.id, where, tuple(node.args)))
    if problems:
        return None, problems
    _decimal_literals(tree, text.strip(), offset_of)
    # Function names are not data names.
    function_names = {name for name, _, _ in calls}
    for name in function_names:
        names.pop(name, None)
    return Formula(
        text=text,
        tree=tree,
        source=locate(0),
        names=tuple(sorted(names.items(), key=lambda item: item[1])),
        calls=tuple(calls),
        locate=locate,
    ), []


def _syntax_error(text: str, exc: SyntaxError, locate: Callable[[int], Source]) -> Diagnostic:
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    lines = stripped.split("\n")
    lineno = max((exc.lineno or 1) - 1, 0)
    col = max((exc.offset or 1) - 1, 0)
    offset = sum(len(line) + 1 for line in lines[:lineno]) + col
    msg = exc.msg or "invalid syntax"
    if msg.startswith("invalid syntax"):
        msg = "invalid syntax"
    shown = f" in {stripped!r}" if len(stripped) <= 80 else ""
    return error(locate(lead + offset), f"formula cannot be parsed: {msg}{shown}")


def _check_node(
    node: ast.AST,
    text: str,
    offset_of: Callable[[ast.AST], int],
    functions: Mapping[str, tuple[int, int]],
) -> str | None:
    """Why ``node`` is not allowed in a formula, or None."""
    if isinstance(node, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
        return None  # judged with the expression that holds them
    if isinstance(node, (ast.BoolOp, ast.IfExp)):
        return None
    if isinstance(node, ast.UnaryOp):
        return None if isinstance(node.op, _UNARY) else "this operator is not allowed"
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, _COMPARE):
                return "only the comparisons == != < <= > >= are allowed"
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@"}.get(type(node.op))
            return (
                f"operator '{symbol}' is not allowed; use + - * / and round()"
                if symbol
                else "bitwise operators are not allowed"
            )
        if isinstance(node.op, ast.Pow):
            exponent = node.right
            if not (
                isinstance(exponent, ast.Constant)
                and isinstance(exponent.value, int)
                and not isinstance(exponent.value, bool)
                and 0 <= exponent.value <= MAX_EXPONENT
            ):
                return (
                    "the exponent of '**' must be a whole number written out, "
                    f"from 0 to {MAX_EXPONENT}"
                )
        return None
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            return f"name '{node.id}' is not allowed (names may not start with '_')"
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or value is None:
            return None if isinstance(value, bool) else "None is not allowed; use 0"
        if isinstance(value, str):
            return None
        if isinstance(value, (int, float)):
            literal = _literal_text(node, text, offset_of)
            if not _LITERAL.match(literal):
                return f"number '{literal}' must be written as plain digits, like 1500 or 0.25"
            return None
        return f"literal {value!r} is not allowed"
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            if type(node.func) in _FORBIDDEN_WORDS:  # a method call, a lambda called at once
                return f"{_FORBIDDEN_WORDS[type(node.func)]} is not allowed in a formula"
            return "only the listed functions may be called: " + ", ".join(sorted(functions))
        name = node.func.id
        if name not in functions:
            return f"unknown function '{name}'{suggest(name, functions)}" + (
                "" if suggest(name, functions) else "; functions: " + ", ".join(sorted(functions))
            )
        if node.keywords:
            return f"{name}() takes no keyword arguments"
        low, high = functions[name]
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} or more"
            return f"{name}() takes {wanted} arguments, got {len(node.args)}"
        if name == "round":
            places = node.args[1]
            if not (
                isinstance(places, ast.Constant)
                and isinstance(places.value, int)
                and not isinstance(places.value, bool)
                and 0 <= places.value <= MAX_ROUND_PLACES
            ):
                return f"round(x, n): n must be a whole number from 0 to {MAX_ROUND_PLACES}"
        if name == "step" and not isinstance(node.args[0], ast.Name):
            return "step(table, x): the first argument must be the name of a step table"
        return None
    if type(node) in _FORBIDDEN_WORDS:
        return f"{_FORBIDDEN_WORDS[type(node)]} is not allowed in a formula"
    return f"'{type(node).__name__}' is not allowed in a formula"


def _literal_text(node: ast.AST, text: str, offset_of: Callable[[ast.AST], int]) -> str:
    start = offset_of(node)
    end_col = getattr(node, "end_col_offset", None)
    end_line = getattr(node, "end_lineno", None)
    if end_col is None or end_line is None:  # pragma: no cover - CPython always sets them
        return str(getattr(node, "value", ""))
    end_node = ast.Constant(value=None, lineno=end_line, col_offset=end_col)
    return text[start : offset_of(end_node)]


def _decimal_literals(tree: ast.expr, text: str, offset_of: Callable[[ast.AST], int]) -> None:
    """Replace every number literal by the Decimal of its own text (0.1 stays exactly 0.1).

    Two literals stay small ints: the exponent of ``**`` and the places of ``round(x, n)``.
    """
    keep: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            keep.add(id(node.right))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "round"
        ):
            keep.add(id(node.args[1]))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
            and id(node) not in keep
        ):
            node.value = Decimal(_literal_text(node, text, offset_of))  # type: ignore[assignment]


# --- evaluation ----------------------------------------------------------------------------------


def describe(value: Any) -> str:
    """A value's kind, for messages."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"the condition {value}"
    if isinstance(value, Decimal):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, StepTable):
        return "a step table"
    return type(value).__name__  # pragma: no cover - no other values exist


def _number(value: Any, symbol: str) -> Decimal:
    if type(value) is Decimal:
        return value
    if value is None:
        raise MissingValue(f"'{symbol}' needs a value but got an empty one")
    raise FormulaError(f"'{symbol}' needs numbers, got {describe(value)}")


def _arith(symbol: str, fn: Callable[[Decimal, Decimal], Decimal]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Decimal:
        return fn(_number(left, symbol), _number(right, symbol))

    return apply


def _power(left: Any, right: Any) -> Decimal:
    result: Decimal = _number(left, "**") ** right  # right is a checked literal int
    return result


def _comparable(left: Any, right: Any, symbol: str) -> None:
    if left is None or right is None:
        raise MissingValue(f"'{symbol}' compares an empty value")
    kinds = (type(left), type(right))
    if kinds[0] is not kinds[1]:
        raise FormulaError(f"'{symbol}' cannot compare {describe(left)} with {describe(right)}")
    if kinds[0] in (str, bool) and symbol not in ("==", "!="):
        raise FormulaError(f"'{symbol}' cannot order {describe(left)}; only == and != apply")
    if kinds[0] is StepTable:
        raise FormulaError("a step table cannot be compared; use step(table, x)")


def _compare(symbol: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(left: Any, right: Any) -> bool:
        _comparable(left, right, symbol)
        return fn(left, right)

    return apply


def _negate(value: Any) -> Decimal:
    return -_number(value, "-")


def _plus(value: Any) -> Decimal:
    return _number(value, "+")


OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: _arith("+", operator.add),
    ast.Sub: _arith("-", operator.sub),
    ast.Mult: _arith("*", operator.mul),
    ast.Div: _arith("/", operator.truediv),
    ast.Pow: _power,
    ast.USub: _negate,
    ast.UAdd: _plus,
    ast.Not: operator.not_,
    ast.Eq: _compare("==", operator.eq),
    ast.NotEq: _compare("!=", operator.ne),
    ast.Lt: _compare("<", operator.lt),
    ast.LtE: _compare("<=", operator.le),
    ast.Gt: _compare(">", operator.gt),
    ast.GtE: _compare(">=", operator.ge),
}

_RUNTIME_NODES = (
    ast.Name,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.Constant,
)


class Evaluator(SimpleEval):  # type: ignore[misc]  # simpleeval has no type hints
    """simpleeval narrowed to innerpay's whitelist: Decimal operators, no attributes, our names.

    One evaluator serves many evaluations: set :attr:`env` (the names in scope) and call
    :meth:`run`.  The decimal context must be :data:`~innerpay.numbers.CONTEXT` (see
    :func:`decimal_context`).
    """

    def __init__(self, rounding: str = "half_up"):
        super().__init__(operators=dict(OPERATORS), functions={}, names={})
        every: dict[type, Callable[[Any], Any]] = getattr(self, "nodes")  # noqa: B009 - untyped base
        self.nodes = {kind: handler for kind, handler in every.items() if kind in _RUNTIME_NODES}
        self.rounding = rounding
        self.env: Mapping[str, Any] = {}
        self.trace: list[tuple[str, Any]] | None = None  # names read, for `explain`
        self._closures: dict[tuple[int, Any], Callable[[Any], Any]] = {}
        self._keep: list[Formula] = []
        self.functions: dict[str, Callable[..., Decimal]] = {
            "step": self._step,
            "prorate": self._prorate,
            "min": self._min,
            "max": self._max,
            "abs": self._abs,
            "round": self._round,
        }

    def run(self, formula: Formula, env: Mapping[str, Any]) -> Any:
        """Evaluate ``formula`` with the names of ``env``; raises :class:`FormulaError`.

        The formula runs as a closure compiled once (see :func:`to_closure`); with a trace (for
        `explain`) it runs through simpleeval's dispatch table, which records each name read.
        Both implement the same semantics, and a property test holds them to it.
        """
        self.env = env
        if self.trace is None:
            return self.guarded(self.closure(formula), env)
        return self.guarded(lambda _: self._eval(formula.tree), env)

    def closure(self, formula: Formula, positions: Mapping[str, int] | None = None) -> Closure:
        """The formula compiled to a function, once per evaluator.

        With ``positions`` (a metric table's row), every name is a typed cell of the row.
        """
        key = (id(formula), tuple(sorted(positions.items())) if positions is not None else None)
        closure = self._closures.get(key)
        if closure is None:
            closure = self._closures[key] = to_closure(formula.tree, self, positions)
            self._keep.append(formula)  # ids stay unique while the function is cached
        return closure

    def with_env(self, env: Mapping[str, Any], function: Callable[..., Any], *args: Any) -> Any:
        """Call a function that reads the environment (prorate)."""
        self.env = env
        return function(*args)

    def guarded(self, closure: Closure, env: Any) -> Any:
        """Run a closure; an arithmetic fault becomes a FormulaError that says what it was."""
        try:
            return closure(env)
        except FormulaError:
            raise
        except decimal.DivisionByZero:
            raise FormulaError("division by zero") from None
        except (decimal.InvalidOperation, decimal.Overflow):
            raise FormulaError("the result is not a finite number") from None

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            value = self.env[node.id]
        except KeyError:
            raise FormulaError(f"name '{node.id}' is not defined here", node.id) from None
        if type(value) is Unavailable:
            raise FormulaError(f"'{node.id}' has no value here: {value.reason}", node.id)
        if self.trace is not None:
            self.trace.append((node.id, value))
        return value

    def _eval_call(self, node: ast.Call) -> Any:
        assert isinstance(node.func, ast.Name)
        function = self.functions[node.func.id]
        if node.func.id == "round":
            places = node.args[1]
            assert isinstance(places, ast.Constant)  # checked when the formula was compiled
            return function(self._eval(node.args[0]), places.value)
        return function(*(self._eval(arg) for arg in node.args))

    # The functions of SPEC.md, each checking its arguments.
    @staticmethod
    def _step(table: Any, x: Any) -> Decimal:
        if not isinstance(table, StepTable):
            raise FormulaError(f"step(table, x): the table is {describe(table)}, not a step table")
        return table.lookup(_number(x, "step"))

    def _prorate(self, x: Any) -> Decimal:
        days = self.env.get("employed_days")
        period_days = self.env.get("period_days")
        if not isinstance(days, Decimal) or not isinstance(period_days, Decimal):
            raise FormulaError("prorate() applies to employees only")
        return _number(x, "prorate") * days / period_days

    @staticmethod
    def _min(*values: Any) -> Decimal:
        numbers: list[Decimal] = [_number(v, "min") for v in values]
        return min(numbers)

    @staticmethod
    def _max(*values: Any) -> Decimal:
        numbers: list[Decimal] = [_number(v, "max") for v in values]
        return max(numbers)

    @staticmethod
    def _abs(value: Any) -> Decimal:
        return abs(_number(value, "abs"))

    def _round(self, value: Any, places: int) -> Decimal:
        exponent = Decimal(1).scaleb(-places)
        return _number(value, "round").quantize(exponent, rounding=ROUNDING_MODES[self.rounding])


Closure = Callable[[Mapping[str, Any]], Any]


def _read(name: str, env: Mapping[str, Any]) -> Any:
    """A name's value, or a FormulaError saying why it has none."""
    try:
        value = env[name]
    except KeyError:
        raise FormulaError(f"name '{name}' is not defined here", name) from None
    if type(value) is Unavailable:
        raise FormulaError(f"'{name}' has no value here: {value.reason}", name)
    return value


def _chain(
    first: Any, steps: tuple[tuple[Callable[[Any, Any], bool], Callable[[Any], Any]], ...]
) -> bool:
    """A chained comparison (a < b < c): each operand read only while the chain holds."""
    right = first
    result = True
    for compare, operand in steps:
        if not result:
            break
        left, right = right, operand(None)
        result = compare(left, right)
    return result


class _Compiler:
    """Turns a checked formula tree into the source of one Python function, and compiles it.

    Only the whitelisted nodes exist here, and each becomes what the dispatch table would do:
    names are read from the environment by name (never Python variables), operators and
    functions are innerpay's own (kept in tuples the code indexes), literals are the Decimals of
    the tree.  No text of the formula becomes code: names and literals are passed by reference.
    """

    def __init__(self, evaluator: Evaluator, positions: Mapping[str, int] | None):
        self.evaluator = evaluator
        self.positions = positions  # a metric row: each name is a typed cell at this position
        self.objects: list[Any] = []

    def ref(self, value: Any) -> str:
        self.objects.append(value)
        return f"K[{len(self.objects) - 1}]"

    def name(self, name: str) -> str:
        if self.positions is not None:
            return f"v[{self.positions[name]}]"
        return f"R({self.ref(name)}, v)"

    def source(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return self.ref(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            return f"{self.ref(OPERATORS[type(node.op)])}({self.source(node.operand)})"
        if isinstance(node, ast.BinOp):
            op = self.ref(OPERATORS[type(node.op)])
            right = (
                self.ref(node.right.value)  # type: ignore[attr-defined]  # a checked literal
                if isinstance(node.op, ast.Pow)
                else self.source(node.right)
            )
            return f"{op}({self.source(node.left)}, {right})"
        if isinstance(node, ast.BoolOp):
            joiner = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + joiner.join(self.source(v) for v in node.values) + ")"
        if isinstance(node, ast.Compare):
            if len(node.ops) == 1:
                op = self.ref(OPERATORS[type(node.ops[0])])
                return f"{op}({self.source(node.left)}, {self.source(node.comparators[0])})"
            steps = ", ".join(
                f"({self.ref(OPERATORS[type(op)])}, lambda _: {self.source(c)})"
                for op, c in zip(node.ops, node.comparators, strict=True)
            )
            return f"{self.ref(_chain)}({self.source(node.left)}, ({steps},))"
        if isinstance(node, ast.IfExp):
            return (
                f"({self.source(node.body)} if {self.source(node.test)} "
                f"else {self.source(node.orelse)})"
            )
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            name = node.func.id
            function = self.ref(self.evaluator.functions[name])
            if name == "round":
                places = self.ref(node.args[1].value)  # type: ignore[attr-defined]  # literal
                return f"{function}({self.source(node.args[0])}, {places})"
            if name == "prorate":  # reads employed_days and period_days of the environment
                call = self.ref(self.evaluator.with_env)
                return f"{call}(v, {function}, {self.source(node.args[0])})"
            return f"{function}(" + ", ".join(self.source(a) for a in node.args) + ")"
        raise FormulaError(f"'{type(node).__name__}' cannot run")  # pragma: no cover - checked

    def compile(self, tree: ast.expr) -> Closure:
        body = self.source(tree)
        code = compile(f"lambda v: {body}", "<formula>", "eval")
        scope = {"__builtins__": {}, "K": tuple(self.objects), "R": _read}
        function: Closure = eval(code, scope)
        return function


def to_closure(
    tree: ast.expr, evaluator: Evaluator, positions: Mapping[str, int] | None = None
) -> Closure:
    """A checked formula tree compiled once into a Python function of its environment (a
    mapping of names, or with ``positions`` a list of a metric row's typed cells)."""
    return _Compiler(evaluator, positions).compile(tree)


def decimal_context() -> contextlib.AbstractContextManager[decimal.Context]:
    """The decimal context every evaluation runs in (same on every machine)."""
    return decimal.localcontext(CONTEXT)
