"""Semantic checks of one policy: each a function returning diagnostics.

Fourth step of the pipeline: the model is schema-valid; these checks find what a schema cannot
(references to unknown departments or metrics, customer weights, step tables, unknown names in
formulas, cycles among pay lines, departments without a customer).  All run, so that `validate`
reports every problem at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from ..errors import Diagnostic, error, suggest, warning
from ..formulas import StepTable
from .model import Policy
from .yamlread import Path

#: Names every pay formula may use besides parameters, fields, metrics and earlier lines.
EMPLOYEE_NAMES = ("id", "name", "department", "role")
DEPARTMENT_NAMES = ("score", "target_met", "has_customer")
PERIOD_NAMES = ("period_days", "employed_days")
RESERVED = frozenset(EMPLOYEE_NAMES + DEPARTMENT_NAMES + PERIOD_NAMES + ("hired_on", "left_on"))


def check_customers(policy: Policy) -> list[Diagnostic]:
    """Customers name known departments and metrics, once each, with consistent weights."""
    problems: list[Diagnostic] = []
    doc = policy.doc
    for dept in policy.departments.values():
        seen: set[tuple[str | None, str | None]] = set()
        for i, customer in enumerate(dept.customers):
            path: Path = ("departments", dept.id, "customers", i)
            if customer.external is not None:
                extra = [
                    k
                    for k in ("department", "metric", "target", "weight")
                    if getattr(customer, k) is not None
                ]
                if extra:
                    problems.append(
                        error(
                            doc.key_at((*path, extra[0])),
                            f"external customer '{customer.external}' appraises nothing; "
                            f"remove '{extra[0]}' (or name an internal department instead)",
                        )
                    )
                continue
            missing = [
                k for k in ("department", "metric", "target") if getattr(customer, k) is None
            ]
            if missing:
                problems.append(
                    error(
                        doc.at(path),
                        f"customer of '{dept.id}' needs {', '.join(repr(m) for m in missing)} "
                        "(or write {external: name} for an outside customer)",
                    )
                )
                continue
            assert customer.department is not None and customer.metric is not None
            if customer.department not in policy.departments:
                problems.append(
                    error(
                        doc.at((*path, "department")),
                        f"unknown department '{customer.department}' as customer of '{dept.id}'"
                        f"{suggest(customer.department, policy.departments)}",
                    )
                )
            elif customer.department == dept.id:
                problems.append(
                    error(
                        doc.at((*path, "department")),
                        f"department '{dept.id}' cannot be its own customer",
                    )
                )
            if customer.metric not in policy.metrics and customer.metric not in _broken_metrics(
                policy
            ):
                problems.append(
                    error(
                        doc.at((*path, "metric")),
                        f"unknown metric '{customer.metric}' for department '{dept.id}'"
                        f"{suggest(customer.metric, _all_metrics(policy))}",
                    )
                )
            key = (customer.department, customer.metric)
            if key in seen:
                problems.append(
                    error(
                        doc.at(path),
                        f"customer '{customer.department}' appraises '{dept.id}' on "
                        f"'{customer.metric}' twice",
                    )
                )
            seen.add(key)
        weighted = [c.weight is not None for c in dept.internal_customers]
        if any(weighted) and not all(weighted):
            problems.append(
                error(
                    doc.key_at(("departments", dept.id, "customers")),
                    f"customers of '{dept.id}': give every internal customer a weight, or none "
                    "(none means equal weights)",
                )
            )
        if not dept.customers:
            problems.append(
                warning(
                    dept.source,
                    f"department '{dept.id}' has no customer: it is flagged no_customer "
                    "(no value on the internal market chain)",
                )
            )
    return problems


def _all_metrics(policy: Policy) -> list[str]:
    return list((policy.doc.data.get("metrics") or {}).keys())


def _broken_metrics(policy: Policy) -> set[str]:
    """Metrics declared but not built (their formula had a problem already reported)."""
    return set(_all_metrics(policy)) - set(policy.metrics)


def check_metrics_used(policy: Policy) -> list[Diagnostic]:
    """A metric no customer appraises is probably a mistake."""
    used = {c.metric for d in policy.departments.values() for c in d.internal_customers}
    return [
        warning(metric.source, f"metric '{metric.id}' is not appraised by any customer")
        for metric in policy.metrics.values()
        if metric.id not in used
    ]


def check_step_tables(policy: Policy) -> list[Diagnostic]:
    """Step tables are sorted (either way) and name each threshold once."""
    problems: list[Diagnostic] = []
    raw = policy.doc.data.get("parameters") or {}
    for name, value in raw.items():
        if not isinstance(value, list):
            continue
        thresholds: list[Decimal] = [row[0] for row in value]
        for i, threshold in enumerate(thresholds):
            if threshold in thresholds[:i]:
                problems.append(
                    error(
                        policy.doc.at(("parameters", name, i, 0)),
                        f"step table '{name}' has the threshold {threshold} twice",
                    )
                )
        distinct = list(dict.fromkeys(thresholds))
        if distinct not in (sorted(distinct), sorted(distinct, reverse=True)):
            problems.append(
                error(
                    policy.doc.key_at(("parameters", name)),
                    f"step table '{name}' is not sorted by threshold; sort its rows "
                    "(greatest first or least first)",
                )
            )
    return problems


def check_names(policy: Policy) -> list[Diagnostic]:
    """Names are declared once, and every name a pay formula reads exists."""
    problems: list[Diagnostic] = []
    doc = policy.doc
    owners: dict[str, str] = {name: "a built-in name" for name in RESERVED}

    def declare(name: str, what: str, path: Path) -> None:
        if name in owners:
            problems.append(
                error(doc.key_at(path), f"{what} '{name}' is already {owners[name]}; rename it")
            )
        else:
            owners[name] = f"the {what} '{name}'"

    for name in policy.parameters:
        declare(name, "parameter", ("parameters", name))
    for name in policy.employee_fields:
        declare(name, "employee field", ("employee_fields", name))
    for name in _all_metrics(policy):
        declare(name, "metric", ("metrics", name))
    seen_lines: set[str] = set()
    for i, spec in enumerate(doc.data["pay"]["lines"]):
        line_id = spec["id"]
        if line_id in seen_lines:
            problems.append(
                error(doc.at(("pay", "lines", i, "id")), f"pay line '{line_id}' is defined twice")
            )
            continue
        seen_lines.add(line_id)
        declare(line_id, "pay line", ("pay", "lines", i, "id"))

    known = set(owners)
    for line in policy.lines:
        for part, formula in (("formula", line.formula), ("when", line.when)):
            if formula is None:
                continue
            for name, offset in formula.names:
                if name == line.id:
                    problems.append(
                        error(
                            formula.at(offset),
                            f"pay line '{line.id}' uses itself in its {part}",
                        )
                    )
                elif name not in known:
                    problems.append(
                        error(
                            formula.at(offset),
                            f"unknown name '{name}' in the {part} of pay line '{line.id}'"
                            f"{suggest(name, known - {line.id})}",
                        )
                    )
            for fn, offset, args in formula.calls:
                if fn != "step":
                    continue
                table = getattr(args[0], "id", "")
                if table in known and not isinstance(policy.parameters.get(table), StepTable):
                    tables = [n for n, v in policy.parameters.items() if isinstance(v, StepTable)]
                    problems.append(
                        error(
                            formula.at(offset),
                            f"step(): '{table}' is not a step table{suggest(table, tables)}",
                        )
                    )
    return problems


def check_line_order(policy: Policy) -> tuple[Policy, list[Diagnostic]]:
    """Order the pay lines so that each comes after the lines it reads; a cycle is an error."""
    by_id = policy.lines_by_id
    index = {line.id: i for i, line in enumerate(policy.lines)}
    needs: dict[str, set[str]] = {}
    for line in policy.lines:
        names = line.formula.name_set | (line.when.name_set if line.when else frozenset())
        needs[line.id] = {n for n in names if n in by_id and n != line.id}
    users: dict[str, list[str]] = {line_id: [] for line_id in by_id}
    for line_id, deps in needs.items():
        for dep in deps:
            users[dep].append(line_id)
    waiting = {line_id: len(deps) for line_id, deps in needs.items()}
    ready = [(index[i], i) for i, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, line_id = heapq.heappop(ready)
        order.append(line_id)
        for user in users[line_id]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (index[user], user))
    if len(order) == len(by_id):
        return replace(policy, order=tuple(order)), []
    stuck = sorted((i for i in by_id if i not in order), key=index.__getitem__)
    cycle = _find_cycle(stuck[0], lambda n: sorted(needs[n] & set(stuck), key=index.__getitem__))
    first = by_id[cycle[0]]
    return policy, [
        error(first.source, "pay lines form a cycle: " + " → ".join([*cycle, cycle[0]]))
    ]


def _find_cycle(start: str, next_of: Callable[[str], list[str]]) -> list[str]:
    path: list[str] = [start]
    while True:
        follow = next_of(path[-1])
        nxt = next((n for n in follow), None)
        if nxt is None:  # pragma: no cover - stuck nodes always lead into a cycle
            return path
        if nxt in path:
            return path[path.index(nxt) :]
        path.append(nxt)


def check_policy(policy: Policy) -> tuple[Policy, list[Diagnostic]]:
    """Run every semantic check; returns the policy with its line order set."""
    problems = (
        check_customers(policy)
        + check_metrics_used(policy)
        + check_step_tables(policy)
        + check_names(policy)
    )
    ordered, cycle = check_line_order(policy)
    return ordered, problems + cycle
