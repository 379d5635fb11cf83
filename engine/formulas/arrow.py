"""pyarrow, where it is installed (``pip install innerpay[fast]``): the fast kernels' engine.

innerpay runs without pyarrow: every column is then a list of Python values and every operator
runs its Decimal kernel.  With pyarrow, the files that are large enough to gain from it are read
into arrow arrays (:mod:`innerpay.data.tables`), and the operators over them run exact arrow
kernels where one can vouch for its result.  pyarrow is imported on first use only.
"""

from __future__ import annotations

import os
import sys
from typing import Any

pa: Any = None
pc: Any = None
pacsv: Any = None


def available() -> bool:
    """Whether pyarrow is installed (imported on first use)."""
    global pa, pc, pacsv
    if pa is None:
        try:
            import pyarrow
            import pyarrow.compute
            import pyarrow.csv
        except ImportError:
            return False
        pa, pc, pacsv = pyarrow, pyarrow.compute, pyarrow.csv
        _choose_memory_pool()
    return True


#: The allocators the ``innerpay`` command prefers, the first that pyarrow has (bench/README.md:
#: pyarrow's default, mimalloc, cost a large run a tenth of a second of page faults at 100,000
#: employees; jemalloc holds a million employees in 20% less memory).  A library caller's
#: process keeps pyarrow's default, and so does a user's ARROW_DEFAULT_MEMORY_POOL.
COMMAND_POOLS = ("jemalloc", "system")
_ENV_POOLS = "INNERPAY_ARROW_POOLS"


def _choose_memory_pool() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    for name in filter(None, os.environ.get(_ENV_POOLS, "").split(",")):
        try:
            pool = getattr(pa, f"{name}_memory_pool")()
        except (AttributeError, NotImplementedError, pa.ArrowException):
            continue  # not built into this pyarrow
        pa.set_memory_pool(pool)
        return


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
    """Set up the ``innerpay`` command's own process, once, before anything is imported: pyarrow
    without pandas and numpy, on the allocators of :data:`COMMAND_POOLS`.  A library caller's
    process is left as it is."""
    if not any(name in sys.modules for name in _Hidden.NAMES):
        sys.meta_path.insert(0, _Hidden())
    os.environ.setdefault(_ENV_POOLS, ",".join(COMMAND_POOLS))
