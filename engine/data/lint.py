"""Data-aware lint: what a policy says that the period's data shows cannot be meant.

A text literal compared with an employee's text column (``role == "manger"``) that no employee of
the period has is a warning at the formula, with the nearest value the data has: a typo there
pays nobody the line, and validation alone cannot know the roles a company uses.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator

from ..errors import Diagnostic, Kind, suggest, warning
from ..formulas import Formula
from ..policy.model import FieldKind, Policy
from ..policy.names import TEXT_NAMES
from .roster import Roster

#: The roster's text columns a formula may compare with a literal (the department is checked
#: against the policy's departments at validation).
TEXT_COLUMNS = tuple(sorted(TEXT_NAMES - {"department"}))


def _literal_comparisons(formula: Formula) -> Iterator[tuple[ast.Compare, str, str]]:
    """(node, column, text) for each ``column == "text"`` (either way round, any comparison)."""
    for node in ast.walk(formula.tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            for one, other in ((left, right), (right, left)):
                if (
                    isinstance(one, ast.Name)
                    and isinstance(other, ast.Constant)
                    and isinstance(other.value, str)
                ):
                    yield node, one.id, other.value


def text_literals(policy: Policy, roster: Roster) -> list[Diagnostic]:
    """A warning for each text literal that no employee's column holds this period."""
    columns = [
        *TEXT_COLUMNS,
        *(n for n, k in policy.employee_fields.items() if k is FieldKind.TEXT),
    ]
    found: dict[str, list[str]] = {}
    problems: list[Diagnostic] = []
    for formula, where in _pay_formulas(policy):
        for node, column, text in _literal_comparisons(formula):
            if column not in columns or column not in roster.columns or not len(roster):
                continue
            if column in policy.domains:
                continue  # a declared domain is checked at validation
            if column not in found:
                found[column] = sorted({str(v) for v in roster.columns[column].values() if v})
            held = found[column]
            if text in held:
                continue
            shown = ", ".join(held[:8]) + (f" and {len(held) - 8} more" if len(held) > 8 else "")
            near = suggest(text, held) if len(held) <= 5000 else ""
            problems.append(
                warning(
                    formula.node_at(node),
                    f"no employee has {column} '{text}' in {roster.path} ({where}); "
                    + (near.lstrip("; ") if near else f"the {column}s there: {shown}"),
                    Kind.POLICY,
                )
            )
    return problems


def _pay_formulas(policy: Policy) -> Iterator[tuple[Formula, str]]:
    for line in policy.lines:
        for formula in line.formulas:
            yield formula, f"pay line '{line.id}'"
    for check in policy.checks:
        yield check.when, f"check '{check.id}'"


def departments_without_employees(policy: Policy, roster: Roster) -> list[Diagnostic]:
    """A department of the policy that no employee of the period belongs to."""
    staffed = roster.headcount()
    return [
        warning(d.source, f"department '{d.id}' has no employee in {roster.path}", Kind.DATA)
        for d in policy.departments.values()
        if not staffed.get(d.id) and len(roster)
    ]


__all__ = ["departments_without_employees", "text_literals"]
