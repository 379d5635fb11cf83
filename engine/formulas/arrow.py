"""pyarrow, where it is installed (``pip install innerpay[fast]``): the fast kernels' engine.

innerpay runs without pyarrow: every column is then a list of Python values and every operator
runs its Decimal kernel.  With pyarrow, the files that are large enough to gain from it are read
into arrow arrays (:mod:`innerpay.data.tables`), and the operators over them run exact arrow
kernels where one can vouch for its result.  pyarrow is imported on first use only.
"""

from __future__ import annotations

import os
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


#: The allocators to try, the first that pyarrow has, in this environment variable (the
#: ``innerpay`` command sets it: :mod:`innerpay.process`).  A library caller's process keeps
#: pyarrow's default, and so does a user's ARROW_DEFAULT_MEMORY_POOL.
POOLS_VARIABLE = "INNERPAY_ARROW_POOLS"


def _choose_memory_pool() -> None:
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    for name in filter(None, os.environ.get(POOLS_VARIABLE, "").split(",")):
        try:
            pool = getattr(pa, f"{name}_memory_pool")()
        except (AttributeError, NotImplementedError, pa.ArrowException):
            continue  # not built into this pyarrow
        pa.set_memory_pool(pool)
        return
