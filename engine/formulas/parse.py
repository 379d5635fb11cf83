"""Formulas, parsed: once, when the policy loads, checked against a whitelist.

A formula is a single Python expression.  :func:`compile_formula` parses it, refuses everything
outside the whitelist of SPEC.md (Formulas) with a diagnostic at the offending character, turns
every number literal into a :class:`~decimal.Decimal` from its own text, and bounds size and cost
(``9**9**9`` is refused before anything runs).  What the checked tree means is
:mod:`innerpay.formulas.values` (one value) and :mod:`innerpay.formulas.evaluator` (a column).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Diagnostic, Source, error, suggest

MAX_LENGTH = 2000  # characters in one formula
MAX_NODES = 400  # syntax nodes in one formula
MAX_EXPONENT = 100  # the largest literal exponent of `**`
MAX_ROUND_PLACES = 10

#: Functions a pay formula may call, with how many arguments each takes (min, max).
PAY_FUNCTIONS: dict[str, tuple[int, int]] = {
    "step": (2, 2),
    "band": (3, 3),
    "prorate": (1, 1),
    "min": (2, 50),
    "max": (2, 50),
    "abs": (1, 1),
    "round": (2, 2),
    "floor": (1, 2),
    "ceil": (1, 2),
    "truncate": (1, 2),
    "date": (1, 1),
    "ytd": (1, 1),
    "adjustments": (1, 1),
}
#: Functions a metric's `success` or `weight`, a record's `sum` or `when`, may call (no
#: parameters, no employee, no earlier period).
ROW_FUNCTIONS: dict[str, tuple[int, int]] = {
    name: PAY_FUNCTIONS[name]
    for name in ("min", "max", "abs", "round", "floor", "ceil", "truncate", "date")
}
#: The functions whose second argument, when given, is a literal number of decimal places.
PLACES = ("round", "floor", "ceil", "truncate")

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


@dataclass(frozen=True)
class BandTable:
    """A band table, written like a published tax table: each row has an inclusive upper bound
    (the last row none: everything above) and a value per column."""

    bounds: tuple[Decimal, ...]  # the upper bounds, ascending: one fewer than the rows
    columns: tuple[tuple[str, tuple[Decimal, ...]], ...]  # column → its value in each row

    def column(self, name: str) -> tuple[Decimal, ...] | None:
        """A column's values, row by row."""
        return dict(self.columns).get(name)


@dataclass(frozen=True)
class Formula:
    """A checked, parsed formula: evaluate it many times with :class:`Evaluator`."""

    text: str
    tree: ast.expr
    source: Source
    names: tuple[tuple[str, int], ...]  # every name used, with the offset of its first use
    calls: tuple[tuple[str, int, tuple[ast.expr, ...]], ...]
    locate: Callable[[int], Source] = field(repr=False, compare=False)
    earlier: tuple[tuple[str, int], ...] = ()  # names read in earlier periods: ytd(name)

    def at(self, offset: int) -> Source:
        """The source of the formula's ``offset``-th character (its start, where unknown)."""
        return self.locate(offset)

    def node_at(self, node: ast.AST) -> Source:
        """The source of a node of the formula's tree."""
        text = self.text.strip()
        return self.at(len(self.text) - len(self.text.lstrip()) + _offsets(text)(node))

    def text_of(self, node: ast.AST) -> str:
        """A node of the formula's tree as the author wrote it."""
        return ast.get_source_segment(self.text.strip(), node) or ast.unparse(node)

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
    # Function names are not data names; a name read year to date is of earlier periods.
    function_names = {name for name, _, _ in calls}
    for name in function_names:
        names.pop(name, None)
    earlier: dict[str, int] = {}
    for name, where, args in calls:
        if name == "ytd":
            read = args[0].id  # type: ignore[attr-defined]  # checked: a name
            earlier.setdefault(read, where + len("ytd("))
            if not any(isinstance(n, ast.Name) and n.id == read for n in _outside_ytd(tree)):
                names.pop(read, None)
    return Formula(
        text=text,
        tree=tree,
        source=locate(0),
        names=tuple(sorted(names.items(), key=lambda item: item[1])),
        calls=tuple(calls),
        locate=locate,
        earlier=tuple(sorted(earlier.items(), key=lambda item: item[1])),
    ), []


def _outside_ytd(tree: ast.AST) -> list[ast.AST]:
    """The nodes of a tree that are not the argument of a ytd() call."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ytd":
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


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
    if isinstance(exc, IndentationError) and 0 < lineno < len(lines):
        line = lines[lineno]
        offset = sum(len(x) + 1 for x in lines[:lineno]) + len(line) - len(line.lstrip())
        return error(locate(lead + offset), f"formula cannot be parsed: its line {lineno + 1} is "
                     "indented more than its first, so YAML keeps the line break (a folded >- "
                     "formula joins only lines indented alike): indent every line of the "
                     "formula alike, or write it on one line")  # fmt: skip
    shown = f" in {stripped!r}" if len(stripped) <= 80 else ""
    hint = f"; {PERCENT}" if "%" in stripped else ""
    if "%" in stripped:
        offset = stripped.index("%")
    return error(locate(lead + offset), f"formula cannot be parsed: {msg}{shown}{hint}")


#: What a percent sign in a formula should be.
PERCENT = "'%' is not a percent sign in a formula: write 7% as 0.07"
#: What to call instead of a function a spreadsheet or Python author reaches for.
INSTEAD = {
    "int": "floor(x) (or round(x, 0))",
    "trunc": "truncate(x)",
    "ceiling": "ceil(x)",
    "sum": "the terms added with +",
    "if": "x if condition else y",
    "iif": "x if condition else y",
    "roundup": "ceil(x, n)",
    "rounddown": "truncate(x, n)",
    "float": "the number itself (every number is an exact decimal)",
    "decimal": "the number itself (every number is an exact decimal)",
}


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
            if symbol == "%":
                return PERCENT
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
            lower = name.lower()
            if lower in functions:
                return f"unknown function '{name}'; functions are written in lower case: {lower}()"
            if lower in INSTEAD:
                return f"unknown function '{name}'; write {INSTEAD[lower]}"
            return f"unknown function '{name}'{suggest(name, functions)}" + (
                "" if suggest(name, functions) else "; functions: " + ", ".join(sorted(functions))
            )
        if node.keywords:
            return f"{name}() takes no keyword arguments"
        low, high = functions[name]
        if not low <= len(node.args) <= high:
            wanted = str(low) if low == high else f"{low} or more"
            return f"{name}() takes {wanted} arguments, got {len(node.args)}"
        return _check_call(name, node.args)
    if type(node) in _FORBIDDEN_WORDS:
        return f"{_FORBIDDEN_WORDS[type(node)]} is not allowed in a formula"
    return f"'{type(node).__name__}' is not allowed in a formula"


def _text_literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _check_call(name: str, args: list[ast.expr]) -> str | None:
    """Why a call of a listed function is not allowed, or None (its literal arguments)."""
    if name in PLACES and len(args) == 2:
        places = args[1]
        if not (
            isinstance(places, ast.Constant)
            and isinstance(places.value, int)
            and not isinstance(places.value, bool)
            and 0 <= places.value <= MAX_ROUND_PLACES
        ):
            return f"{name}(x, n): n must be a whole number from 0 to {MAX_ROUND_PLACES}"
    if name == "step" and not isinstance(args[0], ast.Name):
        return "step(table, x): the first argument must be the name of a step table"
    if name == "band":
        if not isinstance(args[0], ast.Name):
            return 'band(table, x, "column"): the first argument must be the name of a band table'
        column = _text_literal(args[2])
        if column is None or not re.fullmatch(r"[a-z][a-z0-9_]*", column):
            return 'band(table, x, "column"): the column must be written in quotes, like "rate"'
    if name == "date":
        text = _text_literal(args[0])
        if text is None or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return 'date("YYYY-MM-DD"): write the date in quotes, like date("2024-01-01")'
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return f'date("{text}"): not a calendar date'
    if name == "ytd" and not isinstance(args[0], ast.Name):
        return "ytd(x): x must be the name of a pay line, a value, gross, deductions or net"
    if name == "adjustments" and _text_literal(args[0]) is None:
        return 'adjustments("category"): write the category in quotes, like "taxable"'
    return None


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
            and node.func.id in PLACES
            and len(node.args) == 2
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
