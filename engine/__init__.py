"""innerpay: rules-as-code for the internal customer mechanism (内部顾客机制).

The pipeline, and the library's public API::

    from innerpay import load_policies, version_in_force, load_period, evaluate, render_files
    from innerpay.periods import Period

    policies, problems = load_policies("policies")
    policy, problems = version_in_force(policies, Period.parse("2024-05"), "policies")
    data, problems = load_period("fixtures", Period.parse("2024-05"), policy)
    results, problems = evaluate(policy, data)
    files = render_files(results, formats=("csv", "json")).files  # path → content

Every step returns its value with a list of diagnostics (errors are values, never exceptions).
"""

__version__ = "0.1.0"

from .data import PeriodData, load_period
from .evaluate import Results, evaluate
from .periods import Period
from .policy import Policy, PolicySet, load_policies, version_in_force
from .render import render_files

__all__ = [
    "Period",
    "PeriodData",
    "Policy",
    "PolicySet",
    "Results",
    "__version__",
    "evaluate",
    "load_period",
    "load_policies",
    "render_files",
    "version_in_force",
]
