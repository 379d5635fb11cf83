"""The names a formula reads, and what kind of value each is.

The names every pay formula may use besides the policy's own (parameters, fields, metrics,
lines), and the kinds the checker knows without data — a date, a text, a rate from 0 to 1, an
amount of money — so that a comparison of two kinds that cannot match (``hired_on >=
"2024-01-01"``, ``base_salary > score``) is an error at validation.
"""

from __future__ import annotations

import ast
import itertools
import re
from decimal import Decimal

from ..errors import Diagnostic, error, suggest
from ..formulas import Formula
from .model import FieldKind, Policy

#: Names every pay formula may use besides parameters, fields, metrics and earlier lines.
EMPLOYEE_NAMES = ("id", "name", "department", "role", "hired_on", "left_on", "months_employed")
DEPARTMENT_NAMES = ("score", "target_met", "has_customer")
PERIOD_NAMES = (
    "period_days",
    "employed_days",
    "period_year",
    "period_month",
    "period_start",
    "period_end",
)
#: Known once every line is computed: read in a check, or year to date (``ytd(net)``).
TOTALS = ("gross", "deductions", "net")
#: The arrears this period carries for an employee (earnings positive, clawbacks negative).
ARREARS = "arrears"
RESERVED = frozenset(EMPLOYEE_NAMES + DEPARTMENT_NAMES + PERIOD_NAMES + TOTALS + (ARREARS,))
#: The tables a period folder holds besides the policy's metric and record tables.
FIXED_TABLES = ("employees", "candidates", "ballots", "adjustments")
#: The names of the period, and what each is, for the static check of comparisons.
DATE_NAMES = frozenset({"hired_on", "left_on", "period_start", "period_end"})
TEXT_NAMES = frozenset({"id", "name", "department", "role"})
COUNT_NAMES = frozenset(
    {"employed_days", "period_days", "months_employed", "period_year", "period_month"}
)


def _kind_of(policy: Policy, node: ast.expr) -> str | None:
    """What a formula node is, where that is known without data: "date", "text", "rate" (the
    score or a metric, 0 to 1), "money" (a money field, a paid line, a total, arrears), or
    None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "text"
    if isinstance(node, ast.Constant) and isinstance(node.value, Decimal):
        return "number"
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "date":
        return "date"
    if not isinstance(node, ast.Name):
        return None
    field = policy.employee_fields.get(node.id)
    line = policy.lines_by_id.get(node.id)
    if node.id in DATE_NAMES or field is FieldKind.DATE:
        return "date"
    if node.id in TEXT_NAMES or field is FieldKind.TEXT:
        return "text"
    if is_rate(policy, node):
        return "rate"
    if field is FieldKind.MONEY or node.id in TOTALS or node.id == ARREARS:
        return "money"
    if line is not None and line.kind.paid:
        return "money"
    if field is FieldKind.INTEGER or node.id in COUNT_NAMES:
        return "count"
    return None


def is_rate(policy: Policy, node: ast.expr) -> bool:
    """Whether a node is a rate from 0 to 1: the department's score or one of its metrics."""
    return isinstance(node, ast.Name) and (node.id == "score" or node.id in policy.metrics)


#: What each kind of value is called in a message.
_KINDS = {
    "date": "a date",
    "text": "a text",
    "rate": "a rate from 0 to 1",
    "money": "an amount of money",
    "count": "a count",
    "number": "a number",
}
#: Pairs of kinds that no comparison can mean (either way round).
_UNLIKE = frozenset(
    {("date", "text"), ("rate", "money"), ("rate", "date"), ("money", "date"), ("rate", "text"),
     ("money", "text"), ("count", "date"), ("count", "text"), ("count", "rate"),
     ("number", "date"), ("number", "text")}
)  # fmt: skip


def compared_kinds(policy: Policy, formula: Formula) -> list[Diagnostic]:
    """Comparisons that are never meant, found before any data is read: a date with a text
    (``hired_on >= "2024-01-01"``), a rate with a number above 1 (``score >= 90``), the
    department with a text that names no department (``department == "salse"``)."""
    problems: list[Diagnostic] = []
    for node in ast.walk(formula.tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            message = _mismatch(policy, formula, left, right) or _mismatch(
                policy, formula, right, left
            )
            if message:
                problems.append(error(formula.node_at(node), message))
    return problems


def _mismatch(policy: Policy, formula: Formula, one: ast.expr, other: ast.expr) -> str | None:
    """Why comparing ``one`` with ``other`` cannot be meant, or None."""
    kinds = (_kind_of(policy, one), _kind_of(policy, other))
    literal = other.value if isinstance(other, ast.Constant) else None
    if kinds == ("date", "text"):
        fix = f'; write date("{literal}")' if isinstance(literal, str) else ""
        return f"a date is compared with a text{fix}"
    if kinds in _UNLIKE or kinds[::-1] in _UNLIKE:
        one_kind, other_kind = (_KINDS[k] for k in kinds if k)
        fix = ": the two cannot be meant to match"
        written = formula.text_of(other)
        if kinds == ("text", "number"):
            fix = f'; quote it if it is text: "{written}"'
        elif kinds == ("date", "number"):
            day = re.fullmatch(r"([0-9]{4})([0-9]{2})([0-9]{2})", written)
            fix = f'; write date("{"-".join(day.groups()) if day else "YYYY-MM-DD"}")'
        return f"{formula.text_of(one)} ({one_kind}) is compared with {written} ({other_kind}){fix}"
    if is_rate(policy, one) and isinstance(literal, Decimal) and literal > 1:
        name = getattr(one, "id", "")
        return (f"{name} is a rate from 0 to 1, compared with {literal}; write rates as "
                f"fractions ({literal.scaleb(-2)} for {literal}%)")  # fmt: skip
    if isinstance(one, ast.Name) and one.id in policy.domains and isinstance(literal, str):
        values = policy.domains[one.id]
        if literal not in values:
            hint = suggest(literal, values) or "; its domain: " + ", ".join(values)
            return f"'{literal}' is not in the policy's domain of {one.id}{hint}"
    if isinstance(one, ast.Name) and one.id == "department" and isinstance(literal, str):
        if literal in policy.departments:
            return None
        named = [d.id for d in policy.departments.values() if literal in d.name.split()
                 or literal == d.name]  # fmt: skip
        if named:
            return (f"'{literal}' is the name of department '{named[0]}'; compare department "
                    f"with its id: department == \"{named[0]}\"")  # fmt: skip
        hint = suggest(literal, policy.departments) or "; departments: " + ", ".join(
            policy.departments
        )
        return f"'{literal}' is not a department of the policy{hint}"
    return None


__all__ = [
    "ARREARS",
    "DATE_NAMES",
    "DEPARTMENT_NAMES",
    "EMPLOYEE_NAMES",
    "FIXED_TABLES",
    "PERIOD_NAMES",
    "RESERVED",
    "TEXT_NAMES",
    "TOTALS",
    "compared_kinds",
    "is_rate",
]
