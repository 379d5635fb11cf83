"""Tables: a period's files as columns of text, and the csv module's reader of them.

The first step of reading data.  A file becomes a :class:`Table` (its header and every row's
cells as text columns, each row with its line) or, for a metric table that may hold millions of
records, a :class:`Stream` of such blocks, read a block at a time.  Rows of the wrong width and
CSV syntax errors are problems with file and line; nothing is typed here.  The header is named
as the policy's ``files:`` says (``工号`` read as ``id``), and :func:`require` says what a header
lacks.

Two more readers give the same tables: pyarrow's for large UTF-8 CSV files
(:mod:`~innerpay.data.arrowcsv`) and openpyxl's for workbooks
(:mod:`~innerpay.data.workbook`); :mod:`~innerpay.data.reading` chooses among them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import Diagnostic, Kind, Source, error, nearest
from ..formulas.vectors import Values, Vector
from ..limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_DATA_BYTES, bounded_read
from ..policy.model import PLAIN, DataFile

csv.field_size_limit(MAX_CELL_CHARS)  # a longer cell is an error (the csv module's default)

#: Smaller files are read by the csv module: importing pyarrow would cost more than it saves.
FAST_BYTES = 128 * 1024
#: Rows of a block read by the csv module.
BLOCK_ROWS = 1 << 16


def data_error(source: Source, message: str, about: str | None = None) -> Diagnostic:
    """An error in the period data (exit 4), about one employee where ``about`` names them."""
    found = error(source, message, Kind.DATA)
    return found if about is None else replace(found, about=about)


class Decline(Exception):
    """The arrow reader steps aside: the csv module reads this file."""


@dataclass
class Block:
    """Rows of a table: each column's cells as text (an empty cell: ``""``, or null in arrow),
    and each row's line in the file."""

    columns: dict[str, Vector]
    lines: Sequence[int]  # a range where the rows are the lines one after the other

    @property
    def size(self) -> int:
        """How many rows."""
        return len(self.lines)


@dataclass
class Table:
    """A whole table: the header and every row of the header's width."""

    path: str
    header: list[str]
    rows: Block
    sha256: str
    located: bool = True  # cells have columns (not so for a test case's inline rows)
    encoding: str = "utf-8"  # what the file was read in (--encoding auto finds it per file)
    sheet: str = ""  # a workbook's: the sheet read, and its visible sheets
    sheets: tuple[str, ...] = ()

    def at(self, line: int, column: str) -> Source:
        """The source of a cell (the row only, where cells have no position)."""
        if not self.located or column not in self.header:
            return Source(self.path, line)
        return Source(self.path, line, self.header.index(column) + 1)


def utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


#: ``--encoding auto``: each file in its own encoding, the first of these that reads it.
AUTO = "auto"
AUTO_CODECS = ("utf-8-sig", "gb18030")


def decode_as(raw: bytes, path: str, encoding: str) -> tuple[str | None, str, list[Diagnostic]]:
    """A file's text and the encoding it was read in (``auto``: UTF-8, with or without a BOM,
    else GB18030); an undecodable byte is an error with its offset and line."""
    if encoding == AUTO:
        for codec in AUTO_CODECS:
            try:
                return raw.decode(codec), "utf-8" if codec == "utf-8-sig" else codec, []
            except UnicodeDecodeError as exc:
                failed = exc
        line = raw[: failed.start].count(b"\n") + 1
        return None, AUTO, [data_error(Source(path, line), f"byte 0x{raw[failed.start]:02x} at "
                            f"offset {failed.start} is neither UTF-8 nor GB18030; name the "
                            "file's encoding with --encoding")]  # fmt: skip
    codec = "utf-8-sig" if utf8(encoding) else encoding
    misread = _utf8_misread(raw, path, encoding) if codec != "utf-8-sig" else None
    if misread is not None:
        return None, encoding, [misread]
    try:
        return raw.decode(codec), encoding, []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = (
            "; if it comes from Chinese Excel, try --encoding auto (each file UTF-8, else "
            "GB18030) or --encoding gb18030"
            if codec == "utf-8-sig"
            else ""
        )
        return (
            None,
            encoding,
            [
                data_error(
                    Source(path, line),
                    f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid "
                    f"{encoding}{hint}",
                )
            ],
        )
    except LookupError:
        return None, encoding, [data_error(Source(path), f"unknown encoding '{encoding}'")]


def _utf8_misread(raw: bytes, path: str, encoding: str) -> Diagnostic | None:
    """A UTF-8 file forced through another encoding (``--encoding latin-1``) reads without an
    error, as other characters: that is an error, showing the first word both ways."""
    first = next((k for k, byte in enumerate(raw) if byte >= 0x80), None)
    if first is None:
        return None  # ASCII reads alike in every encoding innerpay is given
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None  # not UTF-8: the encoding named is the file's
    line = raw[:first].count(b"\n") + 1
    start = raw.rfind(b"\n", 0, first) + 1
    end = raw.find(b"\n", first)
    piece = raw[start : end if end >= 0 else len(raw)][:60]
    right = piece.decode("utf-8", errors="ignore")
    wrong = piece.decode(encoding, errors="replace")
    said = f"read '{right}' as '{wrong}'; read it with --encoding auto or utf-8"
    return data_error(Source(path, line), f"the file is UTF-8, but --encoding {encoding} would "
                      + said)  # fmt: skip


def read_bytes(path: str) -> tuple[bytes | None, list[Diagnostic]]:
    """A data file's bytes (a regular file, within :data:`~innerpay.limits.MAX_DATA_BYTES`)."""
    raw, why = bounded_read(path, MAX_DATA_BYTES, "data file")
    return raw, ([data_error(Source(path), why)] if raw is None else [])


# --- the csv module ------------------------------------------------------------------------------


class _CsvError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def _csv_error(path: str, line: int, exc: Exception) -> Diagnostic:
    reason = str(exc)
    if "unexpected end of data" in reason:
        reason = "a quoted field opened in this row is never closed"
    elif "field larger than field limit" in reason:
        reason = f"a cell of more than {MAX_CELL_CHARS:,} characters (MAX_CELL_CHARS)"
    return data_error(Source(path, line), f"not valid CSV: {reason}")


def _records(
    reader: Any, path: str, errors: list[Diagnostic] | None
) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records with the line each starts on; a CSV syntax error ends them (raised
    for the header, kept in ``errors`` for the rows)."""
    start = reader.line_num + 1
    try:
        for cells in reader:
            if cells and not (len(cells) == 1 and not cells[0].strip()):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        if errors is None:
            raise _CsvError(start, str(exc)) from None
        errors.append(_csv_error(path, start, exc))


def _split_hint(cells: list[str]) -> str:
    """A number written with a thousands separator splits a row: say so."""
    for left, right in itertools.pairwise(cells):
        if re.fullmatch(r"-?[0-9]{1,3}", left) and re.fullmatch(r"[0-9]{3}(\.[0-9]+)?", right):
            return (
                f" (is '{left},{right}' one number? write it without the thousands separator, "
                f"like {left}{right})"
            )
    return ""


def of_width(
    rows: Iterator[tuple[int, list[str]]], width: int, path: str, problems: list[Diagnostic]
) -> Iterator[tuple[int, list[str]]]:
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # a row of empty cells (`,,,,,` that Excel leaves): skipped, as in .xlsx
        if len(cells) != width:
            problems.append(
                data_error(
                    Source(path, line),
                    f"row has {len(cells)} fields; the header has {width}{_split_hint(cells)}",
                )
            )
            continue
        yield line, cells


def too_wide(path: str, width: int) -> list[Diagnostic]:
    """A header of more than :data:`~innerpay.limits.MAX_COLUMNS` columns, as an error."""
    if width <= MAX_COLUMNS:
        return []
    return [data_error(Source(path, 1), f"the header has {width:,} columns; innerpay reads "
                       f"at most {MAX_COLUMNS:,} (MAX_COLUMNS)")]  # fmt: skip


def long_cells(path: str, rows: list[tuple[int, list[str]]], header: list[str]) -> list[Diagnostic]:
    """Each cell of more than :data:`~innerpay.limits.MAX_CELL_CHARS` characters, as an error
    (the csv module stops at the first; a workbook's reader finds them all)."""
    return [data_error(Source(path, line, col), f"a cell of {len(cell):,} characters; innerpay "
                       f"reads at most {MAX_CELL_CHARS:,} in a cell (MAX_CELL_CHARS)")
            for line, cells in rows for col, cell in enumerate(cells, 1)
            if len(cell) > MAX_CELL_CHARS]  # fmt: skip


def duplicate_columns(path: str, header: list[str], raw: list[str]) -> list[Diagnostic]:
    """A column name twice in a header (as innerpay names the columns: ``raw`` is the file's)."""
    problems = []
    seen: set[str] = set()
    for col, (name, own) in enumerate(zip(header, raw, strict=True), 1):
        if name in seen:
            mapped = f" (the policy's files: maps '{own}' to it)" if own != name else ""
            problems.append(
                data_error(Source(path, 1, col), f"column '{name}' appears twice{mapped}")
            )
        seen.add(name)
    return problems


def block_of(
    rows: list[tuple[int, list[str]]], header: list[str], wanted: list[str] | None = None
) -> Block:
    """Rows of cells as a block of text columns (the first column of a name, where two have it)."""
    names = header if wanted is None else wanted
    place = {name: header.index(name) for name in names if name in header}
    lines = [line for line, _ in rows]
    columns: dict[str, Vector] = {
        name: Values([cells[k] for _, cells in rows]) for name, k in place.items()
    }
    return Block(columns, lines)


class Stream:
    """A table read a block at a time (a metric table): iterate once for the blocks; then
    :attr:`sha256` is the file's and :attr:`problems` holds the rows' problems."""

    def __init__(self, path: str, header: list[str], blocks: Iterator[Block], located: bool = True):
        self.path, self.header, self.located = path, header, located
        self._blocks = blocks
        self.sha256 = ""
        self.problems: list[Diagnostic] = []
        self.size = 1  # blocks, as far as known (for a progress bar)
        self.encoding = "utf-8"  # what the file was read in

    def __iter__(self) -> Iterator[Block]:
        return self._blocks

    def __len__(self) -> int:
        return self.size

    def at(self, line: int, column: str) -> Source:
        """The source of a cell."""
        if not self.located or column not in self.header:
            return Source(self.path, line)
        return Source(self.path, line, self.header.index(column) + 1)


def _plain_text(
    path: str, encoding: str, layout: DataFile
) -> tuple[tuple[list[str], Any, str, str] | None, list[Diagnostic]]:
    """A CSV file's header and csv reader (positioned after the header), its sha256 and the
    encoding it was read in."""
    raw, problems = read_bytes(path)
    if raw is None:
        return None, problems
    text, used, problems = decode_as(raw, path, encoding)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        _, header = next(_records(reader, path, None))
    except StopIteration:
        return None, [data_error(Source(path, 1), "the file is empty; expected a header line")]
    except _CsvError as exc:
        return None, [_csv_error(path, exc.line, exc)]
    if wide := too_wide(path, len(header)):
        return None, wide
    raw_header = [c.strip() for c in header]
    header = layout.named(raw_header)
    found = (header, reader, hashlib.sha256(raw).hexdigest(), used)
    return found, duplicate_columns(path, header, raw_header)


def read_plain(
    path: str, encoding: str = "utf-8", layout: DataFile = PLAIN
) -> tuple[Table | None, list[Diagnostic]]:
    """A whole CSV file by the csv module."""
    found, problems = _plain_text(path, encoding, layout)
    if found is None:
        return None, problems
    header, reader, sha256, used = found
    errors: list[Diagnostic] = []
    rows = list(of_width(_records(reader, path, errors), len(header), path, problems))
    table = Table(path, header, block_of(rows, header), sha256, encoding=used)
    return table, problems + errors


def stream_plain(
    path: str, wanted: list[str], encoding: str = "utf-8", layout: DataFile = PLAIN
) -> tuple[Stream | None, list[Diagnostic]]:
    """A CSV file by the csv module, a block of :data:`BLOCK_ROWS` rows at a time."""
    found, problems = _plain_text(path, encoding, layout)
    if found is None:
        return None, problems
    header, reader, sha256, used = found

    def blocks() -> Iterator[Block]:
        rows = of_width(_records(reader, path, stream.problems), len(header), path, stream.problems)
        while True:
            chunk = list(itertools.islice(rows, BLOCK_ROWS))
            if not chunk:
                return
            yield block_of(chunk, header, wanted)

    stream = Stream(path, header, blocks())
    stream.sha256, stream.encoding = sha256, used
    return stream, problems


# --- inline rows -----------------------------------------------------------------------


def inline_table(path: str, rows: list[tuple[int, dict[str, str]]]) -> Table:
    """A test case's inline rows (each with its line in the case file; cells as text)."""
    header: list[str] = []
    for _, row in rows:
        header += [k for k in row if k not in header]
    cells = [(line, [row.get(column, "") for column in header]) for line, row in rows]
    return Table(path, header, block_of(cells, header), "", located=False)


def streamed(table: Table, wanted: list[str]) -> Stream:
    """A whole table as a stream of one block (its wanted columns)."""
    block = Block({k: v for k, v in table.rows.columns.items() if k in wanted}, table.rows.lines)
    stream = Stream(table.path, table.header, iter([block]), table.located)
    stream.sha256 = table.sha256
    return stream


# --- the columns a table must have --------------------------------------------------------------


def require(
    table: Table | Stream, wanted: Sequence[str], why: str, problems: list[Diagnostic]
) -> bool:
    """Whether a table has every ``wanted`` column; each missing one is an error, naming a
    column of the file it is likely misspelt as, or, where the file has none of them (a header
    in Chinese, a notes sheet), one error saying how to map the file's own names.  The errors of
    the file's rows are then left unsaid (counted): a wrong header makes them."""
    wanted = list(dict.fromkeys(wanted))
    missing = [c for c in wanted if c not in table.header]
    if not missing:
        return True
    spare = [c for c in table.header if c not in wanted]
    name = os.path.splitext(os.path.basename(table.path))[0]
    sheet = getattr(table, "sheet", "")
    found: list[Diagnostic] = []
    if len(missing) == len(wanted) and spare:
        shown = ", ".join(spare[:6]) + (", …" if len(spare) > 6 else "")
        where = f"sheet '{sheet}' has" if sheet else "file has"
        others = [s for s in getattr(table, "sheets", ()) if s != sheet]
        pairs = ", ".join(f"{c}: …" for c in spare[:3])
        fix = (f"name the sheet to read in the policy (files: {{{name}: {{sheet: {others[0]}}}}})"
               if others else f"say which is which in the policy: files: {{{name}: {{columns: "
               f"{{{pairs}}}}}}}, with innerpay's names for the values")  # fmt: skip
        found.append(data_error(Source(table.path, 1), f"missing columns {', '.join(missing)} "
            f"({why}): the {where} {shown} instead; {fix}"))  # fmt: skip
    else:
        for column in missing:
            near = nearest(column, spare)
            hint = f"; the file has '{near}': a misspelling?" if near else ""
            found.append(
                data_error(Source(table.path, 1), f"missing column '{column}' ({why}){hint}")
            )
    rows = [d for d in problems if d.source.file == table.path and (d.source.line or 0) > 1]
    if rows:
        left = {id(d) for d in rows}
        problems[:] = [d for d in problems if id(d) not in left]
        noun = "error that follows" if len(rows) == 1 else "errors that follow"
        found[0] = replace(found[0], message=f"{found[0].message} (and {len(rows)} {noun} from "
                           "this, not shown)")  # fmt: skip
    problems += found
    return False


__all__ = [
    "FAST_BYTES",
    "Block",
    "Decline",
    "Stream",
    "Table",
    "block_of",
    "data_error",
    "decode_as",
    "duplicate_columns",
    "inline_table",
    "of_width",
    "read_bytes",
    "read_plain",
    "require",
    "stream_plain",
    "streamed",
]
