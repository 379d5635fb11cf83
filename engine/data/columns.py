"""Column operations that reading and counting share: membership, order, repeats, counts.

Each is one function with one meaning, computed over an arrow array where the column is one and
over Python values otherwise (``tests/test_columns.py`` holds the two to the same answers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..formulas import arrow
from ..formulas.vectors import Arrow, Const, Rows, Values, Vector
from ..numbers import CONTEXT


def plain(vector: Vector) -> Any:
    """An arrow column as one plain array (not dictionary-encoded), or None for Python values."""
    if not isinstance(vector, Arrow):
        return None
    pa = arrow.pa
    data = vector.data
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if pa.types.is_dictionary(data.type):
        data = data.dictionary_decode()
    return data


def outside(column: Vector, allowed: Sequence[str]) -> list[int]:
    """The rows whose value is present and not one of ``allowed``."""
    data = plain(column)
    if data is not None:
        pa, pc = arrow.pa, arrow.pc
        known = pc.is_in(data, value_set=pa.array(list(allowed), pa.string()))
        return pc.indices_nonzero(pc.and_(pc.invert(known), pc.is_valid(data))).to_pylist()  # type: ignore[no-any-return]
    wanted = set(allowed)
    return [k for k, v in enumerate(column.values()) if v not in (None, "") and v not in wanted]


def within(column: Vector, allowed: Sequence[str]) -> Rows:
    """The rows whose value is one of ``allowed``."""
    data = plain(column)
    if data is not None:
        pa, pc = arrow.pa, arrow.pc
        mask = pc.fill_null(pc.is_in(data, value_set=pa.array(list(allowed), pa.string())), False)
        return Rows.of_mask(mask)
    wanted = set(allowed)
    items = column.values()
    return Rows.of_positions(len(items), [k for k, v in enumerate(items) if v in wanted])


def permuted(vector: Vector, order: Any) -> Vector:
    """The values in a new order (``order``: row positions, a list or an arrow array)."""
    if isinstance(vector, Const):
        return Const(vector.value, len(order))
    if isinstance(vector, Arrow):
        pc = arrow.pc
        at = order if isinstance(order, arrow.pa.Array) else arrow.pa.array(order, arrow.pa.int64())
        exps = None if vector.exps is None else pc.take(vector.exps, at)
        return Arrow(pc.take(vector.data, at), exps)
    at_list = order.to_pylist() if not isinstance(order, list) else order
    items = vector.values()
    return Values([items[k] for k in at_list])


def sorted_order(column: Vector) -> Any:
    """The rows in the order of their (text) values: positions, a list or an arrow array; None
    when they are in order already."""
    data = plain(column)
    if data is not None:
        pc = arrow.pc
        if len(data) < 2 or pc.all(pc.less(data[:-1], data[1:])).as_py():
            return None
        return pc.sort_indices(data)
    items = column.values()
    order = sorted(range(len(items)), key=items.__getitem__)
    return None if order == list(range(len(items))) else order


def distinct(column: Vector) -> bool:
    """Whether no two rows hold the same value (empty values left out)."""
    data = plain(column)
    if data is not None:
        pc = arrow.pc
        present = pc.drop_null(data)
        if len(present) < 2 or pc.all(pc.less(present[:-1], present[1:])).as_py():
            return True  # in order, each after the one before (a file sorted by id)
        return len(pc.unique(present)) == len(present)
    items = [v for v in column.values() if v is not None]
    return len(set(items)) == len(items)


def lookalikes_distinct(column: Vector) -> bool:
    """Whether no two rows' values look alike: the same when lower-cased with o, i and l read
    as 0, 1 and 1 (empty values left out)."""
    data = plain(column)
    if data is None:
        items = [lookalike(v) for v in column.values() if v is not None]
        return len(set(items)) == len(items)
    pc = arrow.pc
    folded = pc.utf8_lower(pc.drop_null(data))
    for letter, digit in (("o", "0"), ("i", "1"), ("l", "1")):
        folded = pc.replace_substring(folded, letter, digit)
    return len(pc.unique(folded)) == len(folded)


_LOOKALIKE = str.maketrans({"o": "0", "i": "1", "l": "1"})


def lookalike(text: str) -> str:
    """An id as the eye reads it: lower case, o as 0, i and l as 1."""
    return text.lower().translate(_LOOKALIKE)


def counts(column: Vector) -> Counter[Any]:
    """How many rows hold each value."""
    data = plain(column)
    if data is not None:
        found = arrow.pc.value_counts(data)
        return Counter(
            dict(
                zip(
                    found.field("values").to_pylist(),
                    found.field("counts").to_pylist(),
                    strict=True,
                )
            )
        )
    return Counter(column.values())


def like(column: Vector, items: Sequence[Any]) -> Vector:
    """Python values as a column of the same form as ``column`` (arrow for arrow)."""
    if isinstance(column, Arrow):
        from ..formulas.vectors import to_arrow

        made = to_arrow(list(items))
        if made is not None:
            return made
    return Values(list(items))


def positions_in(column: Vector, keys: Vector) -> Vector:
    """For each row, the position of its value among ``keys`` (None where it is not there)."""
    key_data = plain(keys)
    if isinstance(column, Arrow) and key_data is not None:
        pc = arrow.pc
        data = column.data
        if isinstance(data, arrow.pa.ChunkedArray):
            data = data.combine_chunks()
        if arrow.pa.types.is_dictionary(data.type):  # each distinct value looked up once
            return Arrow(pc.take(pc.index_in(data.dictionary, value_set=key_data), data.indices))
        return Arrow(pc.index_in(data, value_set=key_data))
    where = {k: i for i, k in reversed(list(enumerate(keys.values())))}
    return Values([where.get(v) for v in column.values()])


def empty(column: Vector) -> list[int]:
    """The rows whose cell is empty."""
    data = plain(column)
    if data is not None:
        pc = arrow.pc
        blank = pc.or_(pc.is_null(data), pc.equal(pc.fill_null(data, ""), ""))
        return pc.indices_nonzero(blank).to_pylist()  # type: ignore[no-any-return]
    return [k for k, v in enumerate(column.values()) if v is None or v == ""]


def has_edge_space(column: Vector) -> bool:
    """Whether a cell may begin or end with a character that Python's strip() removes."""
    data = plain(column)
    if data is None:
        return any(v is not None and v != v.strip() for v in column.values())
    found = arrow.pc.match_substring_regex(data, r"^[^!-~]|[^!-~]$")
    return bool(arrow.pc.any(found).as_py())


def stripped(column: Vector) -> Vector:
    """Every cell without surrounding spaces (Python's strip())."""
    if not has_edge_space(column):
        return column
    return Values([None if v is None else v.strip() for v in column.values()])


# --- the primitives the election rules are written in --------------------------------------------
# Each answers per row with a boolean column (an arrow mask, or a list of bools).


def _mask(flags: Any) -> Vector:
    return Arrow(flags) if isinstance(flags, arrow.pa.Array) else Values(flags)


def not_in(column: Vector, allowed: Sequence[str]) -> Vector:
    """Whether each value is absent or not one of ``allowed``."""
    data = plain(column)
    if data is not None:
        pa, pc = arrow.pa, arrow.pc
        known = pc.fill_null(pc.is_in(data, value_set=pa.array(list(allowed), pa.string())), False)
        return Arrow(pc.invert(known))
    wanted = set(allowed)
    return Values([v not in wanted for v in column.values()])


def missing(column: Vector) -> Vector:
    """Whether each value is absent."""
    if isinstance(column, Arrow):
        return Arrow(arrow.pc.is_null(column.data))
    return Values([v is None for v in column.values()])


def same(left: Vector, right: Vector) -> Vector:
    """Whether the two values of each row are present and equal."""
    a, b = plain(left), plain(right)
    if a is not None and b is not None:
        return Arrow(arrow.pc.fill_null(arrow.pc.equal(a, b), False))
    return Values(
        [x is not None and x == y for x, y in zip(left.values(), right.values(), strict=True)]
    )


def pair_in(left: Vector, right: Vector, pairs: set[tuple[int, int]], size: int) -> Vector:
    """Whether each row's pair of positions (below ``size``; an empty one: not) is one of
    ``pairs``."""
    if isinstance(left, Arrow) and isinstance(right, Arrow):
        pa, pc = arrow.pa, arrow.pc
        key = pc.add(pc.multiply(left.data.cast(pa.int64()), size), right.data.cast(pa.int64()))
        wanted = pa.array(sorted(a * size + b for a, b in pairs), pa.int64())
        return Arrow(pc.fill_null(pc.is_in(key, value_set=wanted), False))
    return Values([(a, b) in pairs for a, b in zip(left.values(), right.values(), strict=True)])


def repeated(left: Vector, right: Vector, right_size: int) -> Vector:
    """Whether each row's pair of positions (``left``, ``right``; ``right`` below
    ``right_size``, or empty) occurs on more than one row."""
    if isinstance(left, Arrow) and isinstance(right, Arrow):
        pa, pc = arrow.pa, arrow.pc
        key = pc.add(
            pc.multiply(pc.fill_null(left.data, -1).cast(pa.int64()), right_size + 1),
            pc.fill_null(right.data, right_size).cast(pa.int64()),
        )
        if len(key) < 2:
            return Arrow(pa.array([False] * len(key), pa.bool_()))
        ordered = pc.take(key, pc.sort_indices(key))  # a hash of many keys is slower (bench)
        twice = pc.unique(pc.filter(ordered[1:], pc.equal(ordered[1:], ordered[:-1])))
        return Arrow(pc.is_in(key, value_set=twice))
    pairs = list(zip(left.values(), right.values(), strict=True))
    seen = Counter(pairs)
    return Values([seen[p] > 1 for p in pairs])


def either(left: Vector, right: Vector) -> Vector:
    """Whether either value of each row is true."""
    if isinstance(left, Arrow) and isinstance(right, Arrow):
        return Arrow(arrow.pc.or_(left.data, right.data))
    return Values([bool(a or b) for a, b in zip(left.values(), right.values(), strict=True)])


def negated(flags: Vector) -> Vector:
    """Whether each value is false."""
    if isinstance(flags, Arrow):
        return Arrow(arrow.pc.invert(flags.data))
    return Values([not v for v in flags.values()])


def first_true(flags: Sequence[Vector]) -> Vector:
    """For each row, the position of the first of ``flags`` that is true there (None: none)."""
    if all(isinstance(f, Arrow) for f in flags):
        pa, pc = arrow.pa, arrow.pc
        size = len(flags[0])
        found = pa.nulls(size, pa.int32())
        for k in reversed(range(len(flags))):
            found = pc.if_else(flags[k].data, pa.scalar(k, pa.int32()), found)  # type: ignore[attr-defined]
        return Arrow(found)
    columns = [f.values() for f in flags]
    return Values(
        [
            next((k for k, flag in enumerate(row) if flag), None)
            for row in zip(*columns, strict=True)
        ]
    )


def count_where(keys: Vector, flags: Vector) -> Counter[Any]:
    """How many rows hold each value among the rows where ``flags`` is true."""
    data = plain(keys)
    if data is not None and isinstance(flags, Arrow):
        return counts(Arrow(arrow.pc.filter(data, flags.data)))
    return Counter(k for k, flag in zip(keys.values(), flags.values(), strict=True) if flag)


def sums_by(keys: Vector, amounts: Vector) -> dict[Any, Decimal]:
    """Σ amount per key: the Decimal sums of each key's rows added one by one from 0."""
    data = plain(keys)
    if (
        data is not None
        and isinstance(amounts, Arrow)
        and amounts.data.null_count == 0
        and arrow.pa.types.is_decimal(amounts.data.type)
    ):
        pa = arrow.pa
        exps = amounts.exps
        if exps is None:
            exps = pa.repeat(pa.scalar(-int(amounts.data.type.scale), pa.int32()), len(data))
        table = pa.table({"k": data, "v": amounts.data, "e": exps})
        grouped = table.group_by("k").aggregate([("v", "sum"), ("e", "min")])
        return {
            r["k"]: r["v_sum"].quantize(Decimal(1).scaleb(min(r["e_min"], 0)), context=CONTEXT)
            for r in grouped.to_pylist()
        }
    found: dict[Any, Decimal] = {}
    for key, amount in zip(keys.values(), amounts.values(), strict=True):
        found[key] = found.get(key, Decimal(0)) + amount
    return found


def true_rows(flags: Vector) -> list[int]:
    """The rows where ``flags`` is true."""
    if isinstance(flags, Arrow):
        return arrow.pc.indices_nonzero(flags.data).to_pylist()  # type: ignore[no-any-return]
    return [k for k, flag in enumerate(flags.values()) if flag]


def rows_where(flags: Vector) -> Rows:
    """The rows where ``flags`` is true (an empty value: not)."""
    if isinstance(flags, Arrow):
        return Rows.of_mask(arrow.pc.fill_null(flags.data, False))
    items = flags.values()
    return Rows.of_positions(len(items), [k for k, flag in enumerate(items) if flag])


def looked_up(positions: Vector, table: Vector) -> Vector:
    """For each row, the value of ``table`` at the row's position (None where there is none)."""
    if isinstance(positions, Arrow) and isinstance(table, Arrow):
        return Arrow(arrow.pc.take(plain(table), positions.data))
    items = table.values()
    return Values([None if k is None else items[k] for k in positions.values()])
