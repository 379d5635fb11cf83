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
import collections
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from .metrics import Tallies, Tally
from .model import Metric, Policy
from .progress import Progress, quietly

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


#: The allocators pyarrow should use, the first it has (the `innerpay` command sets these; a
#: library caller's process is left as it is, and so is ARROW_DEFAULT_MEMORY_POOL when set).
MEMORY_POOLS: tuple[str, ...] = ()


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
        _choose_memory_pool()
    return True


def _choose_memory_pool() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    for name in MEMORY_POOLS:
        try:
            pool = getattr(pa, f"{name}_memory_pool")()
        except (AttributeError, NotImplementedError, pa.ArrowException):
            continue  # not built into this pyarrow
        pa.set_memory_pool(pool)
        return


def _column_kind(column: Any, checked: dict[str, int]) -> tuple[str, Any]:
    """("date" | "number" | "text" | "empty", the column as this path compares it).

    The column comes dictionary-encoded: each distinct cell is typed once (a date column holds
    a few hundred distinct texts), then spread over the rows.  Dates become day numbers, so
    that comparing them compares the dates.
    """
    present = column.dictionary
    if column.null_count == len(column):
        return "empty", pc.take(present, column.indices)
    if pc.all(pc.match_substring_regex(present, DATE)).as_py():
        days = []
        for text in present.to_pylist():
            day = checked.get(text)
            if day is None:
                try:
                    day = checked[text] = dt.date.fromisoformat(text).toordinal()
                except ValueError:
                    raise Fallback from None  # the row path says which cell is no calendar date
            days.append(day)
        return "date", pc.take(pa.array(days, pa.int32()), column.indices)
    column = pc.take(present, column.indices)
    present = pc.unique(present)
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
    path: str, table: str, policy: Policy, columns: list[str], progress: Progress = quietly
) -> tuple[Tallies, str] | None:
    """The tallies of one metric table, and the file's sha256; None: take the row path."""
    try:
        if os.path.getsize(path) < MIN_BYTES or not available():
            return None
    except OSError:
        return None
    try:
        return _tally(path, table, policy, columns, progress)
    except (Fallback, pa.ArrowException, OSError, KeyError, UnicodeDecodeError):
        return None


#: Bytes of the file read at a time, each block cut at its last line end and parsed by pyarrow
#: in a thread of its own, PARSERS at a time: the table streams through, whatever its size, on
#: every core (2 MiB measured fastest on 2 cores, from 1 to 8 MiB).
BLOCK_BYTES = 2 * 1024 * 1024
PARSERS = max(2, min(4, os.cpu_count() or 1))


class _Reader:
    """The record batches of a CSV file, in the file's order, parsed in parallel; its sha256
    computed from the same bytes as they are read."""

    def __init__(self, path: str, wanted: list[str]):
        self.path = path
        self.sha256 = hashlib.sha256()
        with open(path, "rb") as handle:
            first = handle.readline()
        self.header = first.decode("utf-8-sig").rstrip("\r\n").split(",")
        self.options = (
            pacsv.ReadOptions(column_names=self.header, block_size=2 * BLOCK_BYTES + len(first)),
            pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={
                    name: pa.dictionary(pa.int32(), pa.string())  # typed once per distinct cell
                    for name in wanted
                },
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )

    def __len__(self) -> int:
        return max(1, -(-os.path.getsize(self.path) // BLOCK_BYTES))

    def _parse(self, block: Any) -> Any:
        read, parse, convert = self.options
        return pacsv.read_csv(
            pa.BufferReader(block),
            read_options=read,
            parse_options=parse,
            convert_options=convert,
        )

    def _blocks(self) -> Iterator[Any]:
        """Whole lines, a block at a time (the header left out)."""
        with open(self.path, "rb") as handle:
            first = handle.readline()
            self.sha256.update(first)
            rest = b""
            while True:
                buffer = bytearray(len(rest) + BLOCK_BYTES)
                buffer[: len(rest)] = rest
                read = handle.readinto(memoryview(buffer)[len(rest) :])
                self.sha256.update(memoryview(buffer)[len(rest) : len(rest) + read])
                end = len(rest) + read
                if read == 0:
                    break
                cut = buffer.rfind(b"\n", 0, end) + 1
                rest = bytes(buffer[cut:end])
                if len(rest) > 4 * BLOCK_BYTES:
                    raise Fallback  # a "line" of 8 MiB: no line ends that pyarrow and we share
                if cut:
                    yield pa.py_buffer(buffer).slice(0, cut)
            if rest:
                yield pa.py_buffer(rest)

    def __iter__(self) -> Iterator[Any]:
        pool = ThreadPoolExecutor(PARSERS, thread_name_prefix="innerpay-csv")
        try:
            parsing: collections.deque[Any] = collections.deque()
            for block in self._blocks():
                parsing.append(pool.submit(self._parse, block))
                if len(parsing) > PARSERS:
                    yield from parsing.popleft().result().to_batches()
            while parsing:
                yield from parsing.popleft().result().to_batches()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class _Sums:
    """What the blocks add up to, per metric and department (by its place among the policy's
    departments): rows and successful rows; for a weighed metric, Σ weight and Σ successful
    weight too."""

    def __init__(self, policy: Policy, metrics: list[Metric]):
        self.names = sorted(policy.departments)
        self.known = pa.array(self.names, pa.string())
        self.appraised = {  # metric → for each department, whether a customer appraises it
            m.id: pa.array([m.id in policy.departments[d].appraised_metrics for d in self.names])
            for m in metrics
        }
        self.rows = {m.id: [0] * len(self.names) for m in metrics}
        self.hits = {m.id: [0] * len(self.names) for m in metrics}
        self.weights: dict[tuple[str, int], list[Any]] = {}  # (metric, place) → [Σ w, Σ hit w]
        self.scales: dict[str, set[int]] = {}  # weight column → the scales its batches had


def _tally(
    path: str, table: str, policy: Policy, columns: list[str], progress: Progress = quietly
) -> tuple[Tallies, str]:
    wanted = ["department", *columns]
    reader = _Reader(path, wanted)
    header = reader.header
    if len(set(header)) != len(header) or any(h != h.strip() or '"' in h for h in header):
        raise Fallback  # duplicate or quoted names: the row path's messages
    if any(name not in header for name in wanted):
        raise Fallback
    metrics = [m for m in policy.metrics.values() if m.table == table]
    sums = _Sums(policy, metrics)
    checked: dict[str, int] = {}  # date cells already typed: their day numbers
    for batch in progress(f"reading {os.path.basename(path)}", reader):
        _tally_batch(batch, metrics, columns, sums, checked)
    tallies: Tallies = {}
    for metric in metrics:
        if metric.weight is not None and len(sums.scales.get(metric.weight.text, ())) > 1:
            raise Fallback  # amounts of different scales: the row path's sums keep each
    for place, department in enumerate(sums.names):
        for metric in metrics:
            rows = sums.rows[metric.id][place]
            if not rows:
                continue
            if metric.weight is None:
                numerator, denominator = Decimal(sums.hits[metric.id][place]), Decimal(rows)
            else:
                denominator, numerator = sums.weights[(metric.id, place)]
            tallies.setdefault(department, {})[metric.id] = Tally(numerator, denominator, rows)
    return tallies, reader.sha256.hexdigest()


def _tally_batch(
    batch: Any, metrics: list[Metric], columns: list[str], sums: _Sums, checked: dict[str, int]
) -> None:
    departments = batch.column(0)
    places = pc.index_in(departments.dictionary, value_set=sums.known)
    if departments.null_count or places.null_count:
        raise Fallback  # an empty or unknown department: the row path's error
    place = pc.take(places, departments.indices)  # each row's department, by its place
    kinds = {name: _column_kind(batch.column(k + 1), checked) for k, name in enumerate(columns)}
    vector = _Vector(kinds, batch.num_rows)
    for metric in metrics:
        where = pc.take(sums.appraised[metric.id], place)
        success = vector.truth(metric.success.tree, where)
        weight = _weight(metric, kinds, where, sums)
        _count(sums, metric, place, where, success, weight)


def _weight(metric: Metric, kinds: dict[str, tuple[str, Any]], where: Any, sums: _Sums) -> Any:
    if metric.weight is None:
        return None
    tree = metric.weight.tree
    if not isinstance(tree, ast.Name) or kinds[tree.id][0] not in ("number", "empty"):
        raise Fallback
    column = kinds[tree.id][1]
    if pc.any(pc.and_(where, pc.is_null(column))).as_py():
        raise Fallback  # an empty weight: the row path's error
    if kinds[tree.id][0] == "empty":
        return None  # no row of this batch is appraised: nothing is counted
    sums.scales.setdefault(metric.weight.text, set()).add(int(column.type.scale))
    return column


def _count(sums: _Sums, metric: Metric, place: Any, where: Any, success: Any, weight: Any) -> None:
    """Add one block's rows (and weights) per department to ``sums``."""
    hit = pc.and_(where, success)
    for total, mask in ((sums.rows[metric.id], where), (sums.hits[metric.id], hit)):
        for k, n in _counts(pc.filter(place, mask)).items():
            total[k] += n
    if weight is None:
        return
    hit_weight = pc.if_else(success, weight, pa.scalar(Decimal(0), weight.type))
    frame = pa.table({"k": place, "weight": weight, "hit_weight": hit_weight}).filter(where)
    if frame.num_rows == 0:
        return
    # only weighed metrics need a grouping engine (importing pyarrow's imports pandas too)
    grouped = frame.group_by("k").aggregate([("weight", "sum"), ("hit_weight", "sum")])
    for row in grouped.to_pylist():
        found = sums.weights.get((metric.id, row["k"]))
        if found is None:
            sums.weights[(metric.id, row["k"])] = [row["weight_sum"], row["hit_weight_sum"]]
        else:
            found[0] += row["weight_sum"]
            found[1] += row["hit_weight_sum"]


def _counts(indices: Any) -> dict[int, int]:
    """How many times each department index occurs."""
    counts = pc.value_counts(indices)
    return dict(
        zip(
            counts.field("values").to_pylist(),
            counts.field("counts").to_pylist(),
            strict=True,
        )
    )


__all__ = ["available", "tally_file"]
