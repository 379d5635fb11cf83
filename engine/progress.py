"""Progress of the long steps of a run (a bar on a terminal; nothing elsewhere)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol


class Counted(Protocol):
    """Items that know how many they are (a list, or the blocks of a file being read)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


#: Shows how far a long loop has come: called with a label and the items, yields the items.
Progress = Callable[[str, Counted], Iterable[Any]]


def quietly(_label: str, items: Counted) -> Iterable[Any]:
    """No progress shown."""
    return items


__all__ = ["Counted", "Progress", "quietly"]
