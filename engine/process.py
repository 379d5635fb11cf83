"""The ``innerpay`` command's own process, set up once before it does anything.

A library caller's process is left as it is: these are choices for a one-shot command that
reads a company's files and writes its outputs, each measured (bench/README.md).
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

from .formulas.arrow import POOLS_VARIABLE

#: The allocators the command prefers for pyarrow, the first it has: pyarrow's default,
#: mimalloc, cost a large run a tenth of a second of page faults at 100,000 employees;
#: jemalloc holds a million employees in 20% less memory.
POOLS = ("jemalloc", "system")

#: The garbage collector's thresholds: the defaults scan every object again and again while a
#: large policy's hundred thousand nodes are built (a policy of 10,000 departments: 2.0 s to
#: read, 0.8 s with these); the command makes few cycles, and ends soon.
GC_THRESHOLDS = (20_000, 20, 20)


class _Hidden:
    """An import hook that says pandas and numpy are not there.

    innerpay uses neither, but pyarrow imports them where they are installed, to recognise their
    objects: pandas on first use (0.2 s at every start), numpy when pyarrow is imported (40 ms;
    pyarrow works without it).
    """

    NAMES = ("pandas", "numpy")

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.NAMES:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def prepare_command() -> None:
    """Set up the command's process: pyarrow without pandas and numpy, on the allocators of
    :data:`POOLS`, and the garbage collector at :data:`GC_THRESHOLDS`."""
    if not any(name in sys.modules for name in _Hidden.NAMES):
        sys.meta_path.insert(0, _Hidden())
    os.environ.setdefault(POOLS_VARIABLE, ",".join(POOLS))
    gc.set_threshold(*GC_THRESHOLDS)
