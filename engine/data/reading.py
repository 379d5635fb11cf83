"""Finding and reading a period's table: CSV by pyarrow where it is large and UTF-8 (and
pyarrow is there), else by the csv module, or a workbook's sheet; the same tables whichever
reads them (``tests/test_reading.py``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import Diagnostic, Source
from ..formulas import arrow
from ..limits import MAX_DATA_BYTES, MAX_TABLE_ROWS, more_lines_than
from ..policy.model import PLAIN, DataFile
from .arrowcsv import BLOCK_BYTES, read_arrow, stream_arrow
from .tables import (
    AUTO,
    FAST_BYTES,
    Decline,
    Stream,
    Table,
    data_error,
    read_plain,
    stream_plain,
    streamed,
    utf8,
)
from .workbook import read_xlsx

# --- finding a table -----------------------------------------------------------------------------


def find_table(folder: str, name: str) -> tuple[str, list[Diagnostic]]:
    """``<folder>/<name>.csv``, or ``.xlsx`` when that is the one there (both is an error)."""
    csv_path = os.path.join(folder, f"{name}.csv")
    xlsx_path = os.path.join(folder, f"{name}.xlsx")
    if os.path.exists(xlsx_path):
        if os.path.exists(csv_path):
            return csv_path, [
                data_error(
                    Source(xlsx_path),
                    f"both {name}.csv and {name}.xlsx are here; keep one of them",
                )
            ]
        return xlsx_path, []
    return csv_path, []


def _fast(path: str, encoding: str) -> bool:
    """Whether the arrow reader should read this file: large, UTF-8 CSV, pyarrow there."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    # a file over the limit (or not a file) is the plain reader's to refuse
    large = FAST_BYTES <= size <= MAX_DATA_BYTES and os.path.isfile(path)
    readable = utf8(encoding) or encoding == AUTO  # arrow steps aside for anything not UTF-8
    return large and path.endswith(".csv") and readable and arrow.available()


def read_table(
    path: str,
    encoding: str = "utf-8",
    layout: DataFile = PLAIN,
    wanted: Sequence[str] = (),
    max_rows: int = MAX_TABLE_ROWS,
) -> tuple[Table | None, list[Diagnostic]]:
    """A whole table, from CSV or .xlsx, with the same problems whichever reads it; its columns
    named as ``layout`` says (the ``wanted`` ones choose a workbook's sheet).  A CSV file of
    more than ``max_rows`` rows is refused before it is read."""
    if path.endswith(".csv") and os.path.isfile(path):  # not a FIFO or a device: never opened
        lines = more_lines_than(path, max_rows + 1)  # the header's line too
        if lines is not None:
            said = (f"the file has more than {max_rows:,} rows ({lines:,} lines at least); "
                    f"innerpay reads at most {max_rows:,} of a table read whole "
                    "(MAX_TABLE_ROWS)")  # fmt: skip
            return None, [data_error(Source(path), said)]
    if path.endswith(".xlsx"):
        return read_xlsx(path, layout, wanted)
    if _fast(path, encoding):
        try:
            return read_arrow(path, layout), []
        except (Decline, arrow.pa.ArrowException, OSError, UnicodeDecodeError):
            pass
    return read_plain(path, encoding, layout)


def stream_table(
    path: str,
    wanted: list[str],
    encoding: str = "utf-8",
    fast: bool = True,
    layout: DataFile = PLAIN,
) -> tuple[Stream | None, list[Diagnostic]]:
    """A metric table a block at a time (its wanted columns), from CSV or .xlsx.  A stream by
    the arrow reader may raise :class:`Decline` while it is read: read it again with
    ``fast=False``, and the csv module reads it."""
    if path.endswith(".xlsx"):
        table, problems = read_xlsx(path, layout, wanted)
        return (None if table is None else streamed(table, wanted)), problems
    if fast and _fast(path, encoding):
        try:
            block = max(BLOCK_BYTES, min(4 * BLOCK_BYTES, os.path.getsize(path) // 64))
            return stream_arrow(path, wanted, block, layout), []
        except (Decline, arrow.pa.ArrowException, OSError, UnicodeDecodeError):
            pass
    return stream_plain(path, wanted, encoding, layout)


__all__ = ["find_table", "read_table", "stream_table"]
