"""An optional columnar path for large metric tables (``pip install innerpay[fast]``: pyarrow).

When pyarrow is installed, a UTF-8 metric table is read in C, column by column, and its metrics
are counted over whole columns, for the common shapes of `success` and `weight`: columns and
literals compared, joined by ``and``, ``or`` and ``not``; a weight that is a column of amounts.
It gives exactly what the row path gives, or nothing: anything it is not sure of (a formula of
another shape, a cell the row path would reject or type differently, a comparison that would
meet an empty cell, an unknown department, a malformed line) sends the whole table to the row
path, which then says what is wrong with file, row and column.  The formulas are the ones the
policy checked; this path reads their tree and never runs any text of them.

The exactness argument, check by check:

- a date column holds only ``YYYY-MM-DD`` cells that are calendar dates, so comparing the
  texts compares the dates;
- a number column holds only plain decimals, read as decimal128 (exact), compared and summed
  exactly, and turned into Python Decimals;
- counts are integers; sums of amounts keep their scale as the row path's Decimal sums do.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import os
from decimal import Decimal
from typing import Any

from .metrics import Tallies, Tally
from .model import Metric, Policy

pa: Any = None
pc: Any = None
pacsv: Any = None

#: Smaller tables take the row path: there, importing pyarrow would cost more than it saves.
MIN_BYTES = 4 * 1024 * 1024

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_SUSPECT = r"[0-9０-９]|^\s*(nan|inf|-inf|\+inf|infinity|-infinity)\s*$"  # the row path's business


class Fallback(Exception):
    """This table takes the row path."""


def available() -> bool:
    """Whether pyarrow is installed (imported on first use)."""
    global pa, pc, pacsv
    if pa is None:
        try:
            import pyarrow
            import pyarrow.compute
            import pyarrow.csv
        except ImportError:
            return False
        pa, pc, pacsv = pyarrow, pyarrow.compute, pyarrow.csv
    return True


def _column_kind(column: Any) -> tuple[str, Any]:
    """("date" | "number" | "text" | "empty", the column as this path compares it)."""
    present = pc.drop_null(column)
    if len(present) == 0:
        return "empty", column
    if pc.all(pc.match_substring_regex(present, DATE)).as_py():
        for text in pc.unique(present).to_pylist():
            try:
                dt.date.fromisoformat(text)
            except ValueError:
                raise Fallback from None  # the row path says which cell is no calendar date
        return "date", column
    if pc.all(pc.match_substring_regex(present, NUMBER)).as_py():
        dot = pc.find_substring(present, ".")
        scales = pc.if_else(
            pc.less(dot, 0), 0, pc.subtract(pc.subtract(pc.utf8_length(present), dot), 1)
        )
        low, high = int(pc.min(scales).as_py()), int(pc.max(scales).as_py())
        digits = int(pc.max(pc.utf8_length(present)).as_py())
        if digits > 36 or high > 18:
            raise Fallback
        # mixed scales compare exactly at the largest; as a weight they would not sum alike
        kind = "number" if low == high else "number, mixed scales"
        return kind, pc.cast(column, pa.decimal128(38, high))
    if pc.any(pc.match_substring_regex(present, _SUSPECT, ignore_case=True)).as_py():
        raise Fallback  # numbers or dates written oddly: the row path's errors, or its typing
    return "text", column


class _Vector:
    """The checked formula tree evaluated over whole columns, or Fallback."""

    def __init__(self, columns: dict[str, tuple[str, Any]], length: int):
        self.columns = columns
        self.length = length

    def value(self, node: ast.expr) -> tuple[str, Any]:
        if isinstance(node, ast.Name):
            kind, column = self.columns[node.id]
            return kind.split(",")[0], column
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return "text", pa.scalar(node.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, Decimal):
            return "number", pa.scalar(node.value)
        raise Fallback

    def truth(self, node: ast.expr, where: Any) -> Any:
        """The rows where ``node`` is true, evaluated only in ``where`` (as the row path does)."""
        if isinstance(node, ast.BoolOp):
            result = self.truth(node.values[0], where)
            for other in node.values[1:]:
                if isinstance(node.op, ast.And):
                    result = pc.and_(result, self.truth(other, pc.and_(where, result)))
                else:
                    result = pc.or_(result, self.truth(other, pc.and_(where, pc.invert(result))))
            return result
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return pc.invert(self.truth(node.operand, where))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self.compare(node, where)
        kind, column = self.value(node)
        if isinstance(column, pa.Scalar):
            raise Fallback
        present = pc.is_valid(column)
        if kind == "number":
            return pc.and_(
                present, pc.fill_null(pc.not_equal(column, pa.scalar(0, column.type)), False)
            )
        return present

    def compare(self, node: ast.Compare, where: Any) -> Any:
        left_kind, left = self.value(node.left)
        right_kind, right = self.value(node.comparators[0])
        op = type(node.ops[0])
        if left_kind != right_kind and "empty" not in (left_kind, right_kind):
            raise Fallback  # the row path says which types cannot be compared
        if left_kind == "text" and op not in (ast.Eq, ast.NotEq):
            raise Fallback
        for side in (left, right):
            if not isinstance(side, pa.Scalar):
                missing = pc.and_(where, pc.is_null(side))
                if pc.any(missing).as_py():
                    raise Fallback  # a comparison meets an empty cell: the row path's error
        if left_kind == "empty" or right_kind == "empty":
            return pa.array([False] * self.length)
        function = {
            ast.Eq: pc.equal,
            ast.NotEq: pc.not_equal,
            ast.Lt: pc.less,
            ast.LtE: pc.less_equal,
            ast.Gt: pc.greater,
            ast.GtE: pc.greater_equal,
        }[op]
        if left_kind == "number":
            left, right = _same_scale(left, right)
        return pc.fill_null(function(left, right), False)


def _same_scale(left: Any, right: Any) -> tuple[Any, Any]:
    scale = max(_scale(left), _scale(right))
    return _rescale(left, scale), _rescale(right, scale)


def _scale(value: Any) -> int:
    if isinstance(value, pa.Scalar):
        exponent = value.as_py().as_tuple().exponent
        return max(-exponent, 0) if isinstance(exponent, int) else 0
    return int(value.type.scale)


def _rescale(value: Any, scale: int) -> Any:
    if isinstance(value, pa.Scalar):
        return pa.scalar(value.as_py(), pa.decimal128(38, scale))
    return pc.cast(value, pa.decimal128(38, scale))


def tally_file(
    path: str, table: str, policy: Policy, columns: list[str]
) -> tuple[Tallies, str] | None:
    """The tallies of one metric table, and the file's sha256; None: take the row path."""
    try:
        if os.path.getsize(path) < MIN_BYTES or not available():
            return None
    except OSError:
        return None
    try:
        return _tally(path, table, policy, columns)
    except (Fallback, pa.ArrowException, OSError, KeyError, UnicodeDecodeError):
        return None


def _header(raw: bytes) -> list[str]:
    first = raw.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    return first.split(",")


def _tally(path: str, table: str, policy: Policy, columns: list[str]) -> tuple[Tallies, str]:
    with open(path, "rb") as handle:
        raw = handle.read()
    header = _header(raw)
    wanted = ["department", *columns]
    if len(set(header)) != len(header) or any(h != h.strip() or '"' in h for h in header):
        raise Fallback  # duplicate or quoted names: the row path's messages
    if any(name not in header for name in wanted):
        raise Fallback
    read = pacsv.read_csv(
        pa.BufferReader(raw),
        parse_options=pacsv.ParseOptions(newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types={name: pa.string() for name in wanted},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    departments = read["department"]
    if pc.any(pc.is_null(departments)).as_py() or not set(
        pc.unique(departments).to_pylist()
    ) <= set(policy.departments):
        raise Fallback
    kinds = {name: _column_kind(read[name]) for name in columns}
    vector = _Vector(kinds, read.num_rows)
    tallies: Tallies = {}
    for metric in policy.metrics.values():
        if metric.table != table:
            continue
        appraised = sorted(
            d.id for d in policy.departments.values() if metric.id in d.appraised_metrics
        )
        if not appraised:
            continue
        where = pc.is_in(departments, pa.array(appraised))
        success = vector.truth(metric.success.tree, where)
        weight = _weight(metric, kinds, where)
        _count(tallies, metric, departments, where, success, weight)
    return tallies, hashlib.sha256(raw).hexdigest()


def _weight(metric: Metric, kinds: dict[str, tuple[str, Any]], where: Any) -> Any:
    if metric.weight is None:
        return None
    tree = metric.weight.tree
    if not isinstance(tree, ast.Name) or kinds[tree.id][0] != "number":
        raise Fallback
    column = kinds[tree.id][1]
    if pc.any(pc.and_(where, pc.is_null(column))).as_py():
        raise Fallback  # an empty weight: the row path's error
    return column


def _count(
    tallies: Tallies, metric: Metric, departments: Any, where: Any, success: Any, weight: Any
) -> None:
    data = {"department": departments, "hit": pc.cast(success, pa.int64())}
    if weight is not None:
        data["weight"] = weight
        data["hit_weight"] = pc.if_else(success, weight, pa.scalar(Decimal(0), weight.type))
    frame = pa.table(data).filter(where)
    aggregates = [("hit", "sum"), ("department", "count")]
    if weight is not None:
        aggregates += [("weight", "sum"), ("hit_weight", "sum")]
    grouped = frame.group_by("department").aggregate(aggregates).to_pylist()
    for row in grouped:
        count = int(row["department_count"])
        if weight is None:
            numerator, denominator = Decimal(row["hit_sum"]), Decimal(count)
        else:
            numerator, denominator = row["hit_weight_sum"], row["weight_sum"]
        tallies.setdefault(row["department"], {})[metric.id] = Tally(numerator, denominator, count)


__all__ = ["available", "tally_file"]
