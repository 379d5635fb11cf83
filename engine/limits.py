"""Limits: what innerpay reads at most, stated and enforced before the work is done.

Each limit is a constant here, named in its message and in SECURITY.md.  A file that is not a
regular file (a FIFO would hang a run, ``/dev/zero`` never ends) is refused before it is
opened; a file larger than its limit is refused before it is read; no read takes more bytes
than the limit, whatever the file grows to meanwhile.
"""

from __future__ import annotations

import os
import stat

#: A policy version or a policy test case file (a real one is a few KiB).
MAX_POLICY_BYTES = 16 * 1024 * 1024
#: A period's data file (CSV or .xlsx): a million employees' metric rows are a few hundred MiB.
MAX_DATA_BYTES = 4 * 1024 * 1024 * 1024
#: What an .xlsx workbook may unpack to (a zip bomb of 12 MB inflates to gigabytes).
MAX_XLSX_UNPACKED = 512 * 1024 * 1024
#: The rows of a table read whole (employees, candidates, ballots, adjustments, a record
#: table): a million employees' ballots are under two million; ten million rows of ballots
#: took 6.7 GB.  A metric table is read a block at a time and has no such limit.
MAX_TABLE_ROWS = 5_000_000
#: The columns of a data file's header (a real table has a dozen; a row of a million empty
#: cells is a mistake or an attack, and every row of it would be held).
MAX_COLUMNS = 1_000
#: The characters of one cell of a data file (the csv module's own default limit; Excel
#: holds at most 32,767 in a cell).
MAX_CELL_CHARS = 131_072
#: The characters of one scalar of a policy (a formula, a name, a note): a real formula is a
#: line or two; a 200 MB scalar took 5 GB to read.
MAX_SCALAR_CHARS = 65_536
#: The wall-clock seconds one output file may take to render from its template (the loop and
#: ``*`` budgets of ``render/templates.py`` bound the rest; this ends anything they miss).
MAX_RENDER_SECONDS = 60.0


def more_lines_than(path: str, limit: int) -> int | None:
    """The lines of a regular file, counted a MiB at a time and only until there are more
    than ``limit`` (None: no more than that, or not a regular file, or the file cannot be read:
    its reader says why)."""
    count = 0
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a FIFO would block, /dev/zero never ends
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                count += chunk.count(b"\n")
                if count > limit:
                    return count
    except OSError:
        return None
    return None


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit < 1024**3 else f"{limit // 1024**3} GiB"


def bounded_read(path: str, limit: int, what: str) -> tuple[bytes | None, str]:
    """A file's bytes, or why not: not a regular file, larger than ``limit``, unreadable."""
    try:
        found = os.stat(path)
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror}"
    if not stat.S_ISREG(found.st_mode):
        return None, ("not a regular file (a FIFO, a device or a folder); innerpay reads "
                      f"only files as a {what}")  # fmt: skip
    if found.st_size > limit:
        return None, too_large(found.st_size, limit, what)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror}"
    if len(raw) > limit:
        return None, too_large(len(raw), limit, what)
    return raw, ""


def too_large(size: int, limit: int, what: str) -> str:
    """The message of a file over its limit."""
    return (f"the file is larger than innerpay reads as a {what} ({size:,} bytes; at most "
            f"{_size(limit)})")  # fmt: skip


__all__ = [
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_DATA_BYTES",
    "MAX_POLICY_BYTES",
    "MAX_RENDER_SECONDS",
    "MAX_SCALAR_CHARS",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_UNPACKED",
    "bounded_read",
    "more_lines_than",
    "too_large",
]
