"""Tables: a period's files (CSV, .xlsx, or a test case's inline rows) as columns of text.

The first step of reading data.  A file becomes a :class:`Table` (its header and every row's
cells as text columns, each row with its line) or, for a metric table that may hold millions of
records, a :class:`Stream` of such blocks, read a block at a time.  Rows of the wrong width and
CSV syntax errors are problems with file and line; nothing is typed here.

Two readers give the same tables: the csv module, always there, and pyarrow (where it is
installed) for UTF-8 CSV files large enough to gain from it, which parses in C (and a metric
table in blocks, on every core).  The arrow reader declines (:class:`Decline`) anything it cannot
read exactly as the csv module does (a blank line, a cell across lines, a row of another width,
invalid UTF-8, an odd header), and the csv module then reads the file and says what is wrong.
``tests/test_tables.py`` holds the two readers to the same tables.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from ..errors import Diagnostic, Kind, Source, error
from ..formulas import arrow
from ..formulas.vectors import Arrow, Values, Vector

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

    def at(self, line: int, column: str) -> Source:
        """The source of a cell (the row only, where cells have no position)."""
        if not self.located or column not in self.header:
            return Source(self.path, line)
        return Source(self.path, line, self.header.index(column) + 1)


def _utf8(encoding: str) -> bool:
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
    codec = "utf-8-sig" if _utf8(encoding) else encoding
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


def _read_bytes(path: str) -> tuple[bytes | None, list[Diagnostic]]:
    try:
        with open(path, "rb") as handle:
            return handle.read(), []
    except OSError as exc:
        return None, [data_error(Source(path), f"cannot read the file: {exc.strerror}")]


# --- the csv module ------------------------------------------------------------------------------


class _CsvError(Exception):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def _csv_error(path: str, line: int, exc: Exception) -> Diagnostic:
    reason = str(exc)
    if "unexpected end of data" in reason:
        reason = "a quoted field opened in this row is never closed"
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


def _of_width(
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


def _duplicate_columns(path: str, header: list[str]) -> list[Diagnostic]:
    problems = []
    seen: set[str] = set()
    for col, name in enumerate(header, 1):
        if name in seen:
            problems.append(data_error(Source(path, 1, col), f"column '{name}' appears twice"))
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
    path: str, encoding: str
) -> tuple[tuple[list[str], Any, str, str] | None, list[Diagnostic]]:
    """A CSV file's header and csv reader (positioned after the header), its sha256 and the
    encoding it was read in."""
    raw, problems = _read_bytes(path)
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
    header = [c.strip() for c in header]
    found = (header, reader, hashlib.sha256(raw).hexdigest(), used)
    return found, _duplicate_columns(path, header)


def read_plain(path: str, encoding: str = "utf-8") -> tuple[Table | None, list[Diagnostic]]:
    """A whole CSV file by the csv module."""
    found, problems = _plain_text(path, encoding)
    if found is None:
        return None, problems
    header, reader, sha256, used = found
    errors: list[Diagnostic] = []
    rows = list(_of_width(_records(reader, path, errors), len(header), path, problems))
    table = Table(path, header, block_of(rows, header), sha256, encoding=used)
    return table, problems + errors


def stream_plain(
    path: str, wanted: list[str], encoding: str = "utf-8"
) -> tuple[Stream | None, list[Diagnostic]]:
    """A CSV file by the csv module, a block of :data:`BLOCK_ROWS` rows at a time."""
    found, problems = _plain_text(path, encoding)
    if found is None:
        return None, problems
    header, reader, sha256, used = found

    def blocks() -> Iterator[Block]:
        rows = _of_width(
            _records(reader, path, stream.problems), len(header), path, stream.problems
        )
        while True:
            chunk = list(itertools.islice(rows, BLOCK_ROWS))
            if not chunk:
                return
            yield block_of(chunk, header, wanted)

    stream = Stream(path, header, blocks())
    stream.sha256, stream.encoding = sha256, used
    return stream, problems


# --- .xlsx and inline rows -----------------------------------------------------------------------


#: The columns that hold ids (employees, candidates, voters): never numbers.
ID_COLUMNS = ("id", "employee", "candidate", "voter")


def _cell_text(value: Any) -> str:
    """An .xlsx cell as the text a CSV would hold.

    Numbers come back as the shortest text that reads back to the same number, which is what
    Excel stores; so 7350.5 stays "7350.5", and a float artefact such as 0.30000000000000004
    fails the money format instead of being rounded silently.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def read_xlsx(path: str) -> tuple[Table | None, list[Diagnostic]]:
    """The first sheet of an .xlsx workbook, as rows of text with their row numbers."""
    import openpyxl  # imported here: only runs that read Excel files pay for it

    raw, problems = _read_bytes(path)
    if raw is None:
        return None, problems
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=False, data_only=True)
    except Exception as exc:
        return None, [data_error(Source(path), f"not a readable .xlsx workbook: {exc}")]
    sheet = workbook.worksheets[0]
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    numeric_ids: list[Diagnostic] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if header is not None:
            for col, (name, value) in enumerate(zip(header, values, strict=False), start=1):
                if name in ID_COLUMNS and isinstance(value, (int, float)) and not isinstance(
                        value, bool):  # fmt: skip
                    numeric_ids.append(data_error(
                        Source(path, number, col), f"{name} {_cell_text(value)} is a number in "
                        "the workbook, and Excel drops an id's leading zeros (007 becomes 7): "
                        "format the column as text and type the ids again"))  # fmt: skip
        while cells and cells[-1] == "":
            cells.pop()  # Excel pads rows to the widest one
        if not cells:
            continue
        if header is None:
            header = [c.strip() for c in cells]
        else:
            rows.append((number, cells + [""] * (len(header) - len(cells))))
    workbook.close()
    if header is None:
        return None, [data_error(Source(path, 1), "the sheet is empty; expected a header row")]
    problems = _duplicate_columns(path, header) + numeric_ids
    rows = list(_of_width(iter(rows), len(header), path, problems))
    return Table(path, header, block_of(rows, header), hashlib.sha256(raw).hexdigest()), problems


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
        large = os.path.getsize(path) >= FAST_BYTES
    except OSError:
        return False
    readable = _utf8(encoding) or encoding == AUTO  # arrow steps aside for anything not UTF-8
    return large and path.endswith(".csv") and readable and arrow.available()


def read_table(path: str, encoding: str = "utf-8") -> tuple[Table | None, list[Diagnostic]]:
    """A whole table, from CSV or .xlsx, with the same problems whichever reads it."""
    if path.endswith(".xlsx"):
        return read_xlsx(path)
    if _fast(path, encoding):
        try:
            return read_arrow(path), []
        except (Decline, arrow.pa.ArrowException, OSError, UnicodeDecodeError):
            pass
    return read_plain(path, encoding)


def stream_table(
    path: str, wanted: list[str], encoding: str = "utf-8", fast: bool = True
) -> tuple[Stream | None, list[Diagnostic]]:
    """A metric table a block at a time (its wanted columns), from CSV or .xlsx.  A stream by
    the arrow reader may raise :class:`Decline` while it is read: read it again with
    ``fast=False``, and the csv module reads it."""
    if path.endswith(".xlsx"):
        table, problems = read_xlsx(path)
        return (None if table is None else streamed(table, wanted)), problems
    if fast and _fast(path, encoding):
        try:
            block = max(BLOCK_BYTES, min(4 * BLOCK_BYTES, os.path.getsize(path) // 64))
            return stream_arrow(path, wanted, block), []
        except (Decline, arrow.pa.ArrowException, OSError, UnicodeDecodeError):
            pass
    return stream_plain(path, wanted, encoding)


# --- pyarrow -------------------------------------------------------------------------------------


def _header(first: bytes) -> list[str]:
    header = first.decode("utf-8-sig").rstrip("\r\n").split(",")
    if len(set(header)) != len(header) or any(h != h.strip() or '"' in h for h in header):
        raise Decline  # duplicate, spaced or quoted names: the csv module's messages
    if len(header) < 2:
        raise Decline  # one column: a blank line would be a value (the csv module skips it)
    return header


def _across(data: Any, rows: int) -> bool:
    """Whether a quoted cell of ``data`` (whole lines, ``rows`` rows) runs across lines."""
    if data.find(b'"') < 0:
        return False
    lines = data.count(b"\n") + (0 if bytes(data[-1:]) == b"\n" else 1)
    return bool(lines != rows)


def _one(column: Any) -> Any:
    """A parsed column as one array."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _blank(table: Any) -> bool:
    """Whether a row has every cell empty: a blank line, which the csv module skips and
    pyarrow makes a row of empty cells (or a row of empty cells, which the csv module keeps:
    either way, line numbers need the csv module)."""
    pc = arrow.pc
    empty = None
    for column in table.columns:
        missing = pc.is_null(column)
        empty = missing if empty is None else pc.and_(empty, missing)
    return empty is not None and bool(pc.any(empty).as_py())


def _convert(names: list[str], kind: Any) -> Any:
    return arrow.pacsv.ConvertOptions(
        include_columns=names,
        column_types={name: kind for name in names},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


def read_arrow(path: str) -> Table:
    """A whole UTF-8 CSV file by pyarrow, or :class:`Decline`."""
    pa, pacsv = arrow.pa, arrow.pacsv
    with open(path, "rb") as handle:
        raw = handle.read()
    header = _header(raw.split(b"\n", 1)[0])
    table = pacsv.read_csv(
        pa.BufferReader(raw),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=_convert(header, pa.string()),
    )
    body = raw[raw.index(b"\n") + 1 :] if b"\n" in raw else b""
    if table.num_rows == 0 or _blank(table) or _across(body, table.num_rows):
        raise Decline  # a blank line, a cell across lines: line numbers need the csv module
    columns: dict[str, Vector] = {name: Arrow(_one(table[name])) for name in header}
    lines = range(2, table.num_rows + 2)
    return Table(path, header, Block(columns, lines), hashlib.sha256(raw).hexdigest())


#: Bytes of a metric table read at a time (at least; up to four times as many for a very large
#: file, a 64th of it, so that the work done once per block is done less often), each block
#: cut at its last line end and parsed by pyarrow in a thread of its own, PARSERS at a time
#: (bench/README.md: 2 MiB at 100,000 employees, 8 MiB at a million).
BLOCK_BYTES = 2 * 1024 * 1024
PARSERS = max(2, min(4, os.cpu_count() or 1))


def stream_arrow(path: str, wanted: list[str], block_bytes: int = BLOCK_BYTES) -> Stream:
    """A UTF-8 CSV file by pyarrow, a block of about ``block_bytes`` at a time, every column
    dictionary-encoded (each distinct cell is typed once); the blocks raise :class:`Decline`
    where the csv module must read the file.  The first wanted column (a metric table's
    department) must be filled on every row: a row where it is empty, or a blank line, is
    the csv module's to say."""
    pa, pacsv = arrow.pa, arrow.pacsv
    with open(path, "rb") as handle:
        first = handle.readline()
    header = _header(first)
    if any(name not in header for name in wanted):
        raise Decline  # a missing column: the csv module's message
    options = (
        pacsv.ReadOptions(column_names=header, block_size=2 * block_bytes + len(first)),
        pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        _convert(wanted, pa.dictionary(pa.int32(), pa.string())),
    )
    digest = hashlib.sha256()

    def parse(block: Any, lines: int | None) -> Any:
        read, parse_options, convert = options
        table = pacsv.read_csv(
            pa.BufferReader(block),
            read_options=read,
            parse_options=parse_options,
            convert_options=convert,
        )
        if lines is not None and table.num_rows != lines:
            raise Decline  # a cell across lines: line numbers need the csv module
        return table

    def quoted_lines(data: Any, end: int) -> int | None:
        """How many lines, where a quote might run a cell across them (else None)."""
        if data.find(b'"', 0, end) < 0:
            return None
        return int(data.count(b"\n", 0, end)) + (0 if data[end - 1 : end] == b"\n" else 1)

    hasher = ThreadPoolExecutor(1, thread_name_prefix="innerpay-sha256")

    def pieces() -> Iterator[tuple[Any, int | None]]:
        """Whole lines, a block at a time (the header left out), hashed as read (in a thread
        of its own, in order: hashlib lets go of the interpreter for large pieces)."""
        with open(path, "rb") as handle:
            hasher.submit(digest.update, handle.readline())
            rest = b""
            while True:
                buffer = bytearray(len(rest) + block_bytes)
                buffer[: len(rest)] = rest
                read = handle.readinto(memoryview(buffer)[len(rest) :])
                hasher.submit(digest.update, memoryview(buffer)[len(rest) : len(rest) + read])
                end = len(rest) + read
                if read == 0:
                    break
                cut = buffer.rfind(b"\n", 0, end) + 1
                rest = bytes(buffer[cut:end])
                if len(rest) > 4 * block_bytes:
                    raise Decline  # a "line" of 8 MiB: no line ends that pyarrow and we share
                if cut:
                    yield pa.py_buffer(buffer).slice(0, cut), quoted_lines(buffer, cut)
            if rest:
                yield pa.py_buffer(rest), quoted_lines(rest, len(rest))

    def blocks() -> Iterator[Block]:
        pool = ThreadPoolExecutor(PARSERS, thread_name_prefix="innerpay-csv")
        line = 2
        try:
            parsing: collections.deque[Any] = collections.deque()

            def done() -> Iterator[Block]:
                nonlocal line
                try:
                    table = parsing.popleft().result()
                except pa.ArrowException:
                    raise Decline from None
                rows = table.num_rows
                if table[wanted[0]].null_count:
                    raise Decline  # a blank line (pyarrow gives it empty cells) or no key
                columns: dict[str, Vector] = {name: Arrow(_one(table[name])) for name in wanted}
                yield Block(columns, range(line, line + rows))
                line += rows

            for block, lines in pieces():
                parsing.append(pool.submit(parse, block, lines))
                if len(parsing) > PARSERS:
                    yield from done()
            while parsing:
                yield from done()
            hasher.shutdown(wait=True)
            stream.sha256 = digest.hexdigest()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            hasher.shutdown(wait=True, cancel_futures=True)

    stream = Stream(path, header, blocks())
    stream.size = max(1, -(-os.path.getsize(path) // block_bytes))
    return stream


__all__ = [
    "FAST_BYTES",
    "Block",
    "Decline",
    "Stream",
    "Table",
    "data_error",
    "find_table",
    "inline_table",
    "read_arrow",
    "read_plain",
    "read_table",
    "stream_arrow",
    "stream_plain",
    "stream_table",
]
