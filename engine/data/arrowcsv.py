"""The pyarrow reader of a UTF-8 CSV file: the same tables as the csv module's (held to it by
``tests/test_reading.py``), parsed in C, a metric table in blocks on every core.  It declines
(:class:`~innerpay.data.tables.Decline`) anything it cannot read exactly as the csv module does."""

from __future__ import annotations

import collections
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..formulas import arrow
from ..formulas.vectors import Arrow, Vector
from ..limits import MAX_CELL_CHARS, MAX_COLUMNS
from ..policy.model import PLAIN, DataFile
from .tables import Block, Decline, Stream, Table


def _header(first: bytes, layout: DataFile) -> list[str]:
    """The header of a CSV file as innerpay names its columns."""
    header = layout.named(first.decode("utf-8-sig").rstrip("\r\n").split(","))
    if len(set(header)) != len(header) or any(h != h.strip() or '"' in h for h in header):
        raise Decline  # duplicate, spaced or quoted names: the csv module's messages
    if len(header) < 2:
        raise Decline  # one column: a blank line would be a value (the csv module skips it)
    if len(header) > MAX_COLUMNS:
        raise Decline  # the csv module's message
    return header


def _bounded(arrays: Iterator[Any]) -> None:
    """:class:`Decline` where a cell may be longer than MAX_CELL_CHARS (it has more bytes):
    the csv module says which."""
    pc = arrow.pc
    for array in arrays:
        values = array.dictionary if hasattr(array, "dictionary") else array
        longest = pc.max(pc.binary_length(values)).as_py() if len(values) else 0
        if longest is not None and longest > MAX_CELL_CHARS:
            raise Decline


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


def read_arrow(path: str, layout: DataFile = PLAIN) -> Table:
    """A whole UTF-8 CSV file by pyarrow, or :class:`Decline`."""
    pa, pacsv = arrow.pa, arrow.pacsv
    with open(path, "rb") as handle:
        raw = handle.read()
    header = _header(raw.split(b"\n", 1)[0], layout)
    table = pacsv.read_csv(
        pa.BufferReader(raw),
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        convert_options=_convert(header, pa.string()),
    )
    body = raw[raw.index(b"\n") + 1 :] if b"\n" in raw else b""
    if table.num_rows == 0 or _blank(table) or _across(body, table.num_rows):
        raise Decline  # a blank line, a cell across lines: line numbers need the csv module
    arrays = {name: _one(table[name]) for name in header}
    _bounded(iter(arrays.values()))
    columns: dict[str, Vector] = {name: Arrow(array) for name, array in arrays.items()}
    lines = range(2, table.num_rows + 2)
    return Table(path, header, Block(columns, lines), hashlib.sha256(raw).hexdigest())


#: Bytes of a metric table read at a time (at least; up to four times as many for a very large
#: file, a 64th of it, so that the work done once per block is done less often), each block
#: cut at its last line end and parsed by pyarrow in a thread of its own, PARSERS at a time
#: (bench/README.md: 2 MiB at 100,000 employees, 8 MiB at a million).
BLOCK_BYTES = 2 * 1024 * 1024
PARSERS = max(2, min(4, os.cpu_count() or 1))


def stream_arrow(
    path: str, wanted: list[str], block_bytes: int = BLOCK_BYTES, layout: DataFile = PLAIN
) -> Stream:
    """A UTF-8 CSV file by pyarrow, a block of about ``block_bytes`` at a time, every column
    dictionary-encoded (each distinct cell is typed once); the blocks raise :class:`Decline`
    where the csv module must read the file.  The first wanted column (a metric table's
    department) must be filled on every row: a row where it is empty, or a blank line, is
    the csv module's to say."""
    pa, pacsv = arrow.pa, arrow.pacsv
    with open(path, "rb") as handle:
        first = handle.readline()
    header = _header(first, layout)
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
                arrays = {name: _one(table[name]) for name in wanted}
                _bounded(iter(arrays.values()))
                columns: dict[str, Vector] = {name: Arrow(array) for name, array in arrays.items()}
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


__all__ = ["BLOCK_BYTES", "read_arrow", "stream_arrow"]
