"""Rows made from the payroll's columns: what payroll.csv, results.json and payroll.xlsx share.

Each money column is made text once (:class:`Made`), and a slice of rows is joined from the
columns' texts in C where pyarrow holds them (:func:`rows_text`), the rows that need escaping
written by their file's plain writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from ..data.period import Adjustment
from ..evaluate.results import Arrear, Payroll
from ..formulas import arrow
from ..formulas.vectors import Arrow, Const, Values, Vector
from ..numbers import money_str, no_negative_zero
from ..policy.model import LineKind

#: Employees written at a time: payroll.csv and results.json are made a slice at a time.
SLICE_ROWS = 1 << 17
#: What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = r"^[=+\-@\t\r]"

_compact = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def summed(items: tuple[Adjustment, ...] | tuple[Arrear, ...], kind: LineKind) -> Decimal:
    """Σ the amounts of the adjustments or arrears of one kind (payroll.csv's and
    payroll.xlsx's columns of them)."""
    return sum((x.amount for x in items if x.kind is kind), Decimal(0))


def amount_str(amount: Decimal, places: int) -> str:
    """A line's amount as results.json holds it: money in cents, a value to its own places."""
    return money_str(amount) if places <= 2 else f"{no_negative_zero(amount):f}"


# --- rows made from columns ----------------------------------------------------------------------

#: Text that JSON escapes, that CSV quotes or that XML escapes (payroll.xlsx): such a row is
#: written by its plain writer.
_ESCAPED = r'[,"\\&<>\x00-\x1f\x7f]'


def _cut(start: int, end: int) -> Callable[[Vector], Vector]:
    """The rows from ``start`` to ``end`` of a column."""

    def cut(column: Vector) -> Vector:
        if isinstance(column, Const):
            return Const(column.value, end - start)
        if isinstance(column, Arrow):
            exps = None if column.exps is None else column.exps.slice(start, end - start)
            return Arrow(column.data.slice(start, end - start), exps)
        return Values(column.values()[start:end])

    return cut


class Made:
    """What payroll.csv and results.json both make of the payroll's columns, made once for
    both: each money column as text, and the rows their plain writers write."""

    def __init__(self, payroll: Payroll):
        self.payroll = payroll
        self._texts: dict[str, Vector] = {}
        self._special: list[int] | None = None

    def text(self, name: str, start: int, end: int) -> Vector:
        """A column as text (money, or whole days), rows ``start`` to ``end``."""
        found = self._texts.get(name)
        if found is None:
            payroll = self.payroll
            if name == "days":
                found = integer_texts(payroll.employed_days)
            elif name == "warnings":  # results.json's list of the checks that warn of each
                found = _texts(
                    [_compact([c for c, _ in payroll.warnings.get(e, ())]) for e in payroll]
                )
            elif name.startswith("line "):
                line = payroll.policy.lines_by_id[name[len("line ") :]]
                amounts = payroll.lines[line.id].amounts
                if line.places <= 2:
                    found = money_texts(amounts)
                else:
                    found = Values([amount_str(v, line.places) for v in amounts.values()])
            else:
                found = money_texts(getattr(payroll, name))
            self._texts[name] = found
        return _cut(start, end)(found)

    def special(self, start: int, end: int) -> list[int]:
        """The rows from ``start`` to ``end`` (of the whole payroll) that their plain writers
        write: adjustments, arrears, text that JSON escapes or CSV quotes, a name that would
        start a formula (ids and departments never hold any: they are checked)."""
        if self._special is None:
            payroll = self.payroll
            roster = payroll.roster
            indices = (roster.index(e) for e in [*payroll.adjustments, *payroll.arrears])
            found = {k for k in indices if k is not None}
            for name in ("name", "role"):
                column = roster.columns[name]
                if isinstance(column, Arrow):
                    hits = arrow.pc.match_substring_regex(column.data, _ESCAPED)
                    found.update(arrow.pc.indices_nonzero(hits).to_pylist())
            names = roster.columns["name"]
            if isinstance(names, Arrow):  # a name payroll.csv neutralises
                hits = arrow.pc.match_substring_regex(names.data, _FORMULA_START)
                found.update(arrow.pc.indices_nonzero(hits).to_pylist())
            self._special = sorted(found)
        return [k for k in self._special if start <= k < end]


def _texts(items: list[str]) -> Vector:
    """Text as a column the arrow kernel of :func:`rows_text` joins, where pyarrow is there."""
    if arrow.available():
        return Arrow(arrow.pa.array(items, arrow.pa.string()))
    return Values(items)


def money_texts(column: Vector) -> Vector:
    """Money as payroll.csv and results.json hold it (see :func:`~innerpay.numbers.money_str`)."""
    if isinstance(column, Const):
        return Const(money_str(column.value), len(column))
    if isinstance(column, Arrow) and column.data.null_count == 0 and column.scale <= 2:
        pa = arrow.pa
        data = column.data
        if column.scale < 2:
            whole = data.type.precision - data.type.scale
            data = data.cast(pa.decimal128(whole + 2, 2))
        return Arrow(data.cast(pa.string()))
    return Values([money_str(v) for v in column.values()])


def integer_texts(column: Vector) -> Vector:
    """Whole numbers as text."""
    if isinstance(column, Const):
        return Const(str(int(column.value)), len(column))
    if isinstance(column, Arrow) and column.data.null_count == 0 and column.scale == 0:
        return Arrow(column.data.cast(arrow.pa.string()))
    return Values([str(int(v)) for v in column.values()])


def rows_text(
    parts: list[str | Vector], special: list[int], plain: Callable[[int], str], start: int, end: int
) -> bytes | memoryview:
    """Rows ``start`` to ``end``, encoded: each row as its writer writes it (``plain(row)``).

    Over arrow columns, the rows that need no escaping are made faster: the texts of ``parts``
    one after the other, which is what the writer would write for them; the ``special`` rows
    (text to escape or quote, adjustments, arrears) are still the writer's.

    Over arrow columns the parts are joined in C; ``tests/test_render.py`` holds the rows so
    made to the plain writer's.
    """
    parts = [p.value if isinstance(p, Const) else p for p in parts]
    if all(isinstance(p, str | Arrow) for p in parts):
        return _joined(
            parts, [k - start for k in special], [plain(k) for k in special], end - start
        )
    return "".join(plain(k) for k in range(start, end)).encode()


def _joined(parts: list[str | Vector], where: list[int], texts: list[str], size: int) -> memoryview:
    """The arrow kernel of :func:`rows_text`: every row joined in C, the special ones replaced,
    the whole encoded without a Python string per row."""
    pa, pc = arrow.pa, arrow.pc
    columns = [p if isinstance(p, str) else p.data for p in parts if isinstance(p, str | Arrow)]
    made = pc.binary_join_element_wise(*columns, "")
    if not isinstance(made, pa.Array):
        made = pa.array([made.as_py()] * size, pa.string())
    if where:
        mask = [False] * size
        for k in where:
            mask[k] = True
        made = pc.replace_with_mask(made, pa.array(mask), pa.array(texts, pa.string()))
    made = made.combine_chunks() if hasattr(made, "combine_chunks") else made
    offsets = pa.Array.from_buffers(
        pa.int32(), len(made) + 1, [None, made.buffers()[1]], offset=made.offset
    )
    first, last = offsets[0].as_py(), offsets[-1].as_py()
    return memoryview(made.buffers()[2])[first:last]  # no copy: the writer writes it as it is
