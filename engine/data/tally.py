"""Metric tables reduced as they are read: per department and metric, Σ weight of the
successful rows, Σ weight of all rows, and the row count.

A metric table can hold millions of records; none of them is kept.  Each block of rows is typed
(:func:`~innerpay.data.cells.infer_column`) and every metric on the table is evaluated over it
by the evaluator, on the rows of the departments it is appraised for: a row whose `weight` or
`success` fails is a data error naming its file and row.  The sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import Diagnostic, Source
from ..formulas import FormulaError, MissingValue, arrow, values
from ..formulas.evaluator import Batch
from ..formulas.kernels import apply, split
from ..formulas.vectors import Arrow, Kind, Rows, Values, Vector
from ..numbers import CONTEXT, ZERO
from ..policy.model import Metric, Policy
from ..progress import Progress, quietly
from . import columns
from .cells import infer_column
from .tables import Block, Decline, Stream, data_error


@dataclass
class Tally:
    """The sums one metric needs for one department."""

    numerator: Decimal = ZERO
    denominator: Decimal = ZERO
    rows: int = 0


#: metric table → department → metric → tally
Tallies = dict[str, dict[str, Tally]]


def needed_columns(policy: Policy, table: str) -> list[str]:
    """The columns of a metric table that the policy's formulas read, sorted."""
    names: set[str] = set()
    for metric in policy.metrics.values():
        if metric.table != table:
            continue
        names |= metric.success.name_set
        if metric.weight is not None:
            names |= metric.weight.name_set
    return sorted(names)


def row_error(
    metric: Metric, part: str, cells: dict[str, Any], where: Source, exc: FormulaError
) -> Diagnostic:
    """A problem evaluating ``success`` or ``weight`` on one row, at its file and line."""
    message = f"metric '{metric.id}' {part}: {exc.message}"
    if isinstance(exc, MissingValue):
        formula = metric.success if part == "success" else metric.weight
        empty = sorted(
            name
            for name, value in cells.items()
            if value is None and formula is not None and name in formula.name_set
        )
        if empty:
            message += f" ({', '.join(empty)} is empty)"
            if part == "success":
                message += f"; guard it, like '{empty[0]} and ...'"
    return data_error(where, message)


#: Rows over arrow columns are counted a batch of blocks at a time (grouping costs most per
#: call, where a large policy has thousands of departments).
BATCH_ROWS = 1 << 22


class _Sums:
    """Per metric and department (by its place among the policy's departments): Σ hit weight,
    Σ weight and rows, exact.  Rows over arrow columns are grouped in C a batch of blocks at a
    time and the groups added up once at the end; rows of Python values are added as they
    come."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: dict[str, list[list[Any]]] = {}  # metric → by department: [hit, total, rows]
        self.waiting: dict[str, list[Any]] = {}  # metric → arrow tables of rows not grouped yet
        self.grouped: dict[str, list[Any]] = {}  # metric → arrow tables of groups

    def add(self, metric: str, places: Vector, weights: Vector | None, yes: Rows) -> None:
        """Count rows (each given by its department's place; ``yes`` the successful ones),
        weighed by ``weights``."""
        if isinstance(places, Arrow) and (weights is None or isinstance(weights, Arrow)):
            waiting = self.waiting.setdefault(metric, [])
            waiting.append(_keyed(places.data, yes, weights))
            if sum(t.num_rows for t in waiting) >= BATCH_ROWS:
                self._group(metric)
            return
        hits = set(yes.positions())
        weight_values = weights.values() if weights is not None else None
        for k, place in enumerate(places.values()):
            amount = 1 if weight_values is None else weight_values[k]
            self._add(metric, place, 1, amount, False)
            if k in hits:
                self._add(metric, place, 1, amount, True)

    def _group(self, metric: str) -> None:
        waiting = self.waiting.pop(metric, [])
        if waiting:
            table = arrow.pa.concat_tables(waiting)
            self.grouped.setdefault(metric, []).append(_groups(table))

    def _add(self, metric: str, place: int, rows: int, amount: Any, hit: bool) -> None:
        by_department = self.found.get(metric)
        if by_department is None:
            by_department = self.found[metric] = [[0, 0, 0] for _ in range(self.size)]
        sums = by_department[place]
        if hit:
            sums[0] += amount
        else:
            sums[1] += amount
            sums[2] += rows

    def tallies(self, order: list[str]) -> dict[str, dict[str, Tally]]:
        for metric in list(self.waiting):
            self._group(metric)
        for metric, groups in self.grouped.items():
            for key, rows, amount in _summed(groups):
                place, hit = divmod(key, 2)
                self._add(metric, place, rows, amount, False)
                if hit:
                    self._add(metric, place, rows, amount, True)
        self.grouped = {}
        result: dict[str, dict[str, Tally]] = {}
        for place, department in enumerate(order):
            for metric, by_department in self.found.items():
                hit, total, rows = by_department[place]
                if rows:
                    result.setdefault(department, {})[metric] = Tally(
                        Decimal(hit), Decimal(total), rows
                    )
        return result


def _keyed(places: Any, yes: Rows, weights: Arrow | None) -> Any:
    """A block's counted rows as an arrow table: each row's key (its department's place × 2,
    + 1 where it succeeded), and its weight and the weight's exponent where it is weighed."""
    pa, pc = arrow.pa, arrow.pc
    key = pc.multiply(places.cast(pa.int32()), 2)
    if yes.count:
        key = pc.add(key, yes.mask().cast(pa.int32()))
    if weights is None:
        return pa.table({"k": key})
    exps = weights.exps
    if exps is None:
        exps = pa.repeat(pa.scalar(-weights.scale, pa.int32()), len(places))
    return pa.table({"k": key, "w": weights.data, "e": exps})


def _groups(table: Any) -> Any:
    """Rows grouped by key: how many, and for weighed rows Σ weight and the smallest exponent
    of the rows summed (the arrow kernel of the sums; ``tests/test_reading.py`` and
    ``tests/test_properties.py`` hold runs over arrow columns to runs over Python values)."""
    pa = arrow.pa
    if "w" not in table.column_names:
        found = arrow.pc.value_counts(table["k"])
        return pa.table({"k": found.field("values"), "n": found.field("counts")})
    grouped = table.group_by("k").aggregate([("w", "sum"), ("w", "count"), ("e", "min")])
    return pa.table(
        {"k": grouped["k"], "n": grouped["w_count"], "w": grouped["w_sum"], "e": grouped["e_min"]}
    )


def _summed(groups: list[Any]) -> list[tuple[int, int, Any]]:
    """The batches' groups added up per key: (key, rows, Σ weight or rows)."""
    table = arrow.pa.concat_tables(groups, promote_options="permissive")
    if "w" not in table.column_names:
        total = table.group_by("k").aggregate([("n", "sum")])
        return [(r["k"], r["n_sum"], r["n_sum"]) for r in total.to_pylist()]
    total = table.group_by("k").aggregate([("n", "sum"), ("w", "sum"), ("e", "min")])
    found = []
    for r in total.to_pylist():
        exponent = min(r["e_min"], 0)  # added one by one from 0, as the rows would be
        amount = r["w_sum"].quantize(Decimal(1).scaleb(exponent), context=CONTEXT)
        found.append((r["k"], r["n_sum"], amount))
    return found


class _Table:
    """What counting one metric table needs, worked out once: its metrics, the columns they
    read, the policy's departments in order and, per metric, which of them it appraises."""

    def __init__(self, policy: Policy, table: str, aside: frozenset[str] = frozenset()):
        self.policy = policy
        self.aside = aside  # departments another version has: their rows are not this one's
        self.metrics = [m for m in policy.metrics.values() if m.table == table]
        self.names = needed_columns(policy, table)
        self.order = sorted(policy.departments)
        self.appraised = {
            m.id: Values([m.id in policy.departments[d].appraised_metrics for d in self.order])
            for m in self.metrics
        }
        self.keys = Values(list(self.order))
        self.sums = _Sums(len(self.order))
        self._arrow: dict[int, Vector] = {}

    def like(self, column: Vector, values: Values) -> Vector:
        """Values as a column of ``column``'s form, made once."""
        if not isinstance(column, Arrow):
            return values
        made = self._arrow.get(id(values))
        if made is None:
            made = self._arrow[id(values)] = columns.like(column, values.items)
        return made


def tally_block(block: Block, stream: Stream, table: _Table, problems: list[Diagnostic]) -> None:
    """Count one block of a metric table's rows into the table's sums."""
    policy = table.policy
    departments = block.columns["department"]
    places = columns.positions_in(departments, table.like(departments, table.keys))
    bad: set[int] = set()
    for row in columns.true_rows(columns.missing(places)):
        department = departments.at(row) or ""
        bad.add(row)
        if department in table.aside:
            continue
        problems.append(
            data_error(
                stream.at(block.lines[row], "department"),
                policy.unknown_department(department),
            )
        )
    typed: dict[str, Vector] = {}
    cells: dict[int, list[tuple[str, str]]] = {}
    for name in table.names:
        found = infer_column(block.columns[name], name)
        typed[name] = found.column
        for row, message in found.problems.items():
            cells.setdefault(row, []).append((name, message))
    for row, messages in sorted(cells.items()):
        if row in bad:
            continue  # the cells of a row of an unknown department are not looked at
        bad.add(row)
        problems += [data_error(stream.at(block.lines[row], n), m) for n, m in messages]
    good = Rows.every(block.size) if not bad else Rows.of_positions(
        block.size, [k for k in range(block.size) if k not in bad])  # fmt: skip
    kept = {name: column.take(good) for name, column in typed.items()}
    places = places.take(good)
    where = _Where(block, stream, table.names, typed).within(good)
    for metric in table.metrics:
        appraised = columns.looked_up(places, table.like(places, table.appraised[metric.id]))
        rows = columns.rows_where(appraised)
        if rows.count:
            _tally_metric(metric, policy, kept, places, rows, where, table.sums, problems)


class _Where:
    """Maps a row of a selection (of a selection ...) of a block back to its line and cells,
    for a problem: the selections are followed back only then."""

    def __init__(
        self,
        block: Block,
        stream: Stream,
        names: list[str],
        typed: dict[str, Vector],
        trail: tuple[Rows, ...] = (),
    ):
        self.block, self.stream, self.names, self.typed = block, stream, names, typed
        self.trail = trail

    def within(self, rows: Rows) -> _Where:
        """The same, for rows selected within these."""
        return _Where(self.block, self.stream, self.names, self.typed, (*self.trail, rows))

    def problem(self, metric: Metric, part: str, k: int, exc: FormulaError) -> Diagnostic:
        """The problem of row ``k`` of the innermost selection."""
        row = k
        for rows in reversed(self.trail):
            if not rows.everything:
                row = rows.positions()[row]
        cells = {name: self.typed[name].at(row) for name in self.names}
        return row_error(metric, part, cells, Source(self.stream.path, self.block.lines[row]), exc)


def _tally_metric(
    metric: Metric,
    policy: Policy,
    kept: dict[str, Vector],
    places: Vector,
    rows: Rows,
    where: _Where,
    sums: _Sums,
    problems: list[Diagnostic],
) -> None:
    """One metric over the rows of the departments it is appraised for."""
    batch = Batch(rows.count, lambda name: kept[name].take(rows))
    where = where.within(rows)
    places = places.take(rows)
    weights: Vector | None = None
    if metric.weight is not None:
        found = policy.compiled(metric.weight)(batch)
        weights = apply(values.weight, _fast_weight, [found], batch.size)
        ok = _without_faults(weights, metric, "weight", where, problems)
        batch, weights, places = batch.subset(ok), weights.take(ok), places.take(ok)
        where = where.within(ok)
    success = policy.compiled(metric.success)(batch)
    counted = _without_faults(success, metric, "success", where, problems)
    success, places = success.take(counted), places.take(counted)
    amounts = None if weights is None else weights.take(counted)
    yes, _, _ = split(success)
    sums.add(metric.id, places, amounts, yes)


def _without_faults(
    vector: Vector, metric: Metric, part: str, where: _Where, problems: list[Diagnostic]
) -> Rows:
    """The rows whose value is no fault; each fault said."""
    faulty = list(vector.faults())
    if not faulty:
        return Rows.every(len(vector))
    for k, exc in faulty:
        problems.append(where.problem(metric, part, k, exc))
    bad = {k for k, _ in faulty}
    return Rows.of_positions(len(vector), [k for k in range(len(vector)) if k not in bad])


def _fast_weight(weight: Any) -> Arrow | None:
    """Weights that are all numbers are as they are."""
    if weight.array and weight.kind is Kind.NUMBER and weight.complete:
        return Arrow(weight.data, weight.exps)
    return None


def tally_stream(
    stream: Stream,
    table: str,
    policy: Policy,
    problems: list[Diagnostic],
    progress: Progress = quietly,
    aside: frozenset[str] = frozenset(),
) -> Tallies:
    """One metric table reduced to per-department tallies, block by block; a stream read by
    the arrow reader may raise :class:`~innerpay.data.tables.Decline` (read it again).  Rows of
    the departments ``aside`` (another version's, for `diff`) are passed over."""
    users = sorted(m.id for m in policy.metrics.values() if m.table == table)
    names = needed_columns(policy, table)
    why = f"used by metric {', '.join(users)} in {policy.file}"
    missing = [c for c in ["department", *names] if c not in stream.header]
    found: list[Diagnostic] = [
        data_error(Source(stream.path, 1), f"missing column '{c}' ({why})") for c in missing
    ]
    counting = _Table(policy, table, aside)
    label = f"reading {stream.path.rsplit('/', 1)[-1]}"
    for block in progress(label, stream):
        if not missing:
            tally_block(block, stream, counting, found)
    problems += found + stream.problems
    return {} if missing else counting.sums.tallies(counting.order)


__all__ = ["Decline", "Tallies", "Tally", "needed_columns", "row_error", "tally_stream"]
