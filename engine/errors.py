"""Diagnostics: every problem innerpay finds is a value, never an exception that reaches the user.

Each step of the pipeline (load → schema → model → checks → data → evaluate → render) returns its
value together with a list of :class:`Diagnostic`.  The CLI prints them as
``path:line[:col]: error: message`` and chooses the exit status from their kinds.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    """How bad a diagnostic is."""

    ERROR = "error"
    WARNING = "warning"


class Kind(StrEnum):
    """Where a problem lies; decides the exit status (SPEC.md, Exit status)."""

    POLICY = "policy"  # exit 3: a policy or template problem
    DATA = "data"  # exit 4: a problem in the period data
    CONTROL = "control"  # exit 5: refused by a control (a closed period)
    USAGE = "usage"  # exit 2: wrong usage
    BUSY = "busy"  # exit 6: another run holds the lock on the output folder
    IO = "io"  # exit 7: the output cannot be written (a full disk, no permission)


EXIT_CODES = {
    Kind.USAGE: 2,
    Kind.POLICY: 3,
    Kind.DATA: 4,
    Kind.CONTROL: 5,
    Kind.BUSY: 6,
    Kind.IO: 7,
}


class Source(NamedTuple):
    """A place in a file: 1-based line and column; 0 means unknown.  (A named tuple: a large
    policy has a hundred thousand of them, one for every key and value.)"""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        parts = [self.file]
        if self.line:
            parts.append(str(self.line))
            if self.col:
                parts.append(str(self.col))
        return ":".join(parts)

    def shifted(self, columns: int) -> Source:
        """The same line, ``columns`` further right (a position inside a formula)."""
        return Source(self.file, self.line, self.col + columns)


@dataclass(frozen=True)
class Diagnostic:
    """One problem or warning, with where it is."""

    source: Source
    message: str
    severity: Severity = Severity.ERROR
    kind: Kind = Kind.POLICY
    about: str | None = None  # the employee a data problem is about, where it names one

    def __str__(self) -> str:
        source = self.source
        if self.severity is Severity.WARNING:
            # Warnings name the line only (SPEC.md: `path:line: warning: message`).
            source = Source(source.file, source.line)
        return f"{source}: {self.severity.value}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for an error, False for a warning."""
        return self.severity is Severity.ERROR


def error(source: Source, message: str, kind: Kind = Kind.POLICY) -> Diagnostic:
    """An error diagnostic."""
    return Diagnostic(source, message, Severity.ERROR, kind)


def warning(source: Source, message: str, kind: Kind = Kind.POLICY) -> Diagnostic:
    """A warning diagnostic."""
    return Diagnostic(source, message, Severity.WARNING, kind)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.is_error for d in diagnostics)


def exit_code(diagnostics: Iterable[Diagnostic], strict: bool = False) -> int:
    """The exit status for a list of diagnostics: the gravest kind among the errors, else 0.

    Under ``strict`` warnings count as errors.
    """
    codes = [EXIT_CODES[d.kind] for d in diagnostics if d.is_error or (strict and not d.is_error)]
    return max(codes, default=0)


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    """Diagnostics print in file order, so that output is stable and easy to follow."""
    return (d.source.file, d.source.line, d.source.col, d.message)


def terminal_safe(text: str) -> str:
    """Text as printed to a terminal: a control character (BEL, ESC of an OSC sequence, CR, a
    C1 control) shown as its escape, so that bytes from a file never drive the terminal."""
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in text)


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``word``, if any is close enough to be a likely typo."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def suggest(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest candidate, or an empty string."""
    near = nearest(word, candidates)
    return f"; did you mean '{near}'?" if near else ""


class InnerpayError(Exception):
    """Carries diagnostics out of a deep call; the CLI prints them and exits."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics
