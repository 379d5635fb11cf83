"""Semantic checks of one policy: each a function returning diagnostics.

Fourth step of the pipeline: the model is schema-valid; these checks find what a schema cannot
(references to unknown departments or metrics, customer weights, step tables, unknown names in
formulas, cycles among pay lines, departments without a customer).  All run, so that `validate`
reports every problem at once.
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from ..errors import Diagnostic, error, suggest, warning
from ..formulas import Formula, StepTable
from ..formulas.parse import BandTable
from .model import FieldKind, PayLine, Policy, places_of
from .names import ARREARS, FIXED_TABLES, RESERVED, TOTALS, _kind_of, compared_kinds, is_rate
from .yamlread import Path


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


def customer_loops(policy: Policy) -> list[list[str]]:
    """The loops of internal customers (the departments that reach one another by following
    each one's customers), each in the order the chain runs from its first department."""
    edges = {d.id: [c for c in d.customer_departments if c in policy.departments]
             for d in policy.departments.values()}  # fmt: skip
    reach: dict[str, set[str]] = {}
    for start in edges:
        seen: set[str] = set()
        pending = list(edges[start])
        while pending:
            node = pending.pop()
            if node not in seen:
                seen.add(node)
                pending.extend(edges[node])
        reach[start] = seen
    loops: list[list[str]] = []
    placed: set[str] = set()
    for start in sorted(edges):
        if start in placed or start not in reach[start]:
            continue
        members = {d for d in reach[start] if start in reach[d]}
        chain, node = [start], start
        while True:  # along the chain, within the loop, to where it closes
            node = next((c for c in edges[node] if c in members and c not in chain), start)
            if node == start:
                break
            chain.append(node)
        loops.append(chain + sorted(members - set(chain)))
        placed |= members
    return loops


def check_loops(policy: Policy) -> list[Diagnostic]:
    """A department that has customers but is in no loop of internal customers: the mechanism's
    mutual check (each department appraised by one it serves in turn) does not reach it."""
    inside = {d for loop in customer_loops(policy) for d in loop}
    problems: list[Diagnostic] = []
    for dept in policy.departments.values():
        if dept.id in inside or not dept.customers:
            continue  # a department without customers is flagged no_customer already
        led = dept.customer_departments
        to = (f"its customers ({', '.join(led)}) never lead back to it" if led
              else "its customers are all external")  # fmt: skip
        problems.append(warning(policy.doc.key_at(("departments", dept.id, "customers")),
            f"department '{dept.id}' is outside every loop of internal customers: {to}; the "
            "mechanism's mutual check needs each department in a loop"))  # fmt: skip
    return problems


def _all_metrics(policy: Policy) -> list[str]:
    return list((policy.doc.data.get("metrics") or {}).keys())


def _broken_metrics(policy: Policy) -> set[str]:
    """Metrics declared but not built (their formula had a problem already reported)."""
    return set(_all_metrics(policy)) - set(policy.metrics)


def check_parameters_used(policy: Policy) -> list[Diagnostic]:
    """A parameter that no formula reads is probably a mistake (a name misspelt where it is
    used is an error of its own; this is the other end of it)."""
    used = {n for f in policy.pay_formulas for n in f.name_set}
    used |= {n for f in policy.pay_formulas for n, _ in f.earlier}
    return [
        warning(
            policy.doc.key_at(("parameters", name)),
            f"parameter '{name}' is not read by any formula",
        )
        for name in policy.parameters
        if name not in used
    ]


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
        if not isinstance(value, list) or not value or isinstance(value[0], dict):
            continue  # a number, or a band table
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


def check_band_tables(policy: Policy) -> list[Diagnostic]:
    """Band tables: every row but the last has an upper bound, ascending; the last has none (it
    holds everything above); every row has the same columns."""
    problems: list[Diagnostic] = []
    doc = policy.doc
    for name, value in (doc.data.get("parameters") or {}).items():
        if not (isinstance(value, list) and value and isinstance(value[0], dict)):
            continue
        columns = sorted(set(value[0]) - {"up_to"})
        if not columns:
            problems.append(
                error(
                    doc.at(("parameters", name, 0)),
                    f"band table '{name}': a row needs a "
                    "column besides up_to, like {up_to: 36000, rate: 0.03}",
                )
            )
        previous = None
        for i, row in enumerate(value):
            last = i == len(value) - 1
            if not isinstance(row, dict):
                problems.append(
                    error(
                        doc.at(("parameters", name, i)),
                        f"band table '{name}': every row is {{up_to: ..., ...}}",
                    )
                )
                continue
            if last and "up_to" in row:
                problems.append(
                    error(
                        doc.at(("parameters", name, i, "up_to")),
                        f"band table '{name}': the "
                        "last row holds everything above the row before; remove its up_to",
                    )
                )
            if not last and "up_to" not in row:
                problems.append(
                    error(
                        doc.at(("parameters", name, i)),
                        f"band table '{name}': row {i + 1} "
                        "needs up_to (only the last row is open-ended)",
                    )
                )
            bound = row.get("up_to")
            if bound is not None and previous is not None and bound <= previous:
                problems.append(
                    error(
                        doc.at(("parameters", name, i, "up_to")),
                        f"band table '{name}': "
                        f"up_to {bound} is not above the row before ({previous}); write the "
                        "rows from the lowest band up",
                    )
                )
            previous = bound if bound is not None else previous
            other = sorted(set(row) - {"up_to"})
            if other != columns:
                problems.append(
                    error(
                        doc.at(("parameters", name, i)),
                        f"band table '{name}': row {i + 1} "
                        f"has the columns {', '.join(other) or 'none'}; the first row has "
                        f"{', '.join(columns)}",
                    )
                )
    return problems


def check_line_units(policy: Policy) -> list[Diagnostic]:
    """A line's rounding unit is a power of ten: 1, 0.1, 0.01, ..."""
    problems: list[Diagnostic] = []
    for i, spec in enumerate(policy.doc.data["pay"]["lines"]):
        unit = spec.get("unit")
        if unit is not None and places_of(unit) is None:
            problems.append(
                error(
                    policy.doc.at(("pay", "lines", i, "unit")),
                    f"pay line '{spec['id']}': "
                    f"unit {unit} is not a power of ten; write 1 (the whole yuan), 0.1 or 0.01 "
                    "(the cent)",
                )
            )
    return problems


def check_domains(policy: Policy) -> list[Diagnostic]:
    """A domain is for role or a declared text field; the roles that may approve adjustments
    are in the domain of role, where one is declared."""
    texts = ["role", *(n for n, k in policy.employee_fields.items() if k is FieldKind.TEXT)]
    problems = [
        error(policy.doc.key_at(("domains", name)), f"domain '{name}': domains are for role and "
              f"the text fields of employee_fields{suggest(name, texts)}")
        for name in policy.domains
        if name not in texts
    ]  # fmt: skip
    roles = policy.domains.get("role")
    for i, role in enumerate(policy.approvers.roles if policy.approvers and roles else ()):
        if roles is not None and role not in roles:
            hint = suggest(role, roles) or "; its domain: " + ", ".join(roles)
            where = policy.doc.at(("adjustment_approvers", "roles", i))
            problems.append(error(where, f"'{role}' is not in the policy's domain of role{hint}"))
    return problems


def check_files(policy: Policy) -> list[Diagnostic]:
    """`files:` names tables of a period folder, and maps no two of a file's columns to one."""
    tables = [*FIXED_TABLES, *sorted({m.table for m in policy.metrics.values()}),
              *sorted(policy.records)]  # fmt: skip
    problems: list[Diagnostic] = []
    for name, layout in policy.files.items():
        if name not in tables:
            hint = suggest(name, tables) or "; tables: " + ", ".join(tables)
            where = policy.doc.key_at(("files", name))
            problems.append(error(where, f"files: '{name}' is not a table of a period "
                                         f"folder{hint}"))  # fmt: skip
        if layout.trim and name != "employees":
            problems.append(error(policy.doc.at(("files", name, "trim")), f"files: {name}: trim "
                                  "is for employees (its roles and text fields)"))  # fmt: skip
        seen: dict[str, str] = {}
        for column, named in layout.columns.items():
            if named in seen:
                problems.append(error(policy.doc.at(("files", name, "columns", column)),
                    f"files: {name}: the columns '{seen[named]}' and '{column}' are both mapped "
                    f"to '{named}'"))  # fmt: skip
            seen.setdefault(named, column)
    return problems


def check_records(policy: Policy) -> list[Diagnostic]:
    """A record sum is a sum or a count, not both; a count's rows are those where it is true."""
    problems: list[Diagnostic] = []
    metric_tables = {m.table for m in policy.metrics.values()}
    for table in policy.records.values():
        if table.name in FIXED_TABLES or table.name in metric_tables:
            what = "a metric table" if table.name in metric_tables else "innerpay's own table"
            problems.append(error(table.source, f"record table '{table.name}' is {what}; "
                                  "give the records their own file"))  # fmt: skip
        spec = policy.doc.data["records"][table.name]["sums"]
        for record_sum in table.sums:
            given = [k for k in ("sum", "count") if k in spec[record_sum.name]]
            if len(given) != 1:
                problems.append(
                    error(
                        record_sum.source,
                        f"record sum '{record_sum.name}' of table "
                        f"'{table.name}': give either sum: (a formula over each row) or "
                        "count: (a condition), " + ("not both" if given else "one of them"),
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

    for table in policy.records.values():
        for record_sum in table.sums:
            declare(record_sum.name, "record sum", ("records", table.name, "sums", record_sum.name))
    known = set(owners)
    for line in policy.lines:
        for part, formula in (("formula", line.formula), ("when", line.when)):
            if formula is not None:
                problems += _formula_names(
                    policy, formula, f"the {part} of pay line '{line.id}'", known, line.id
                )
        for formula in line.note.formulas if line.note else ():
            # read once every line is paid: any line, its own and the totals too
            problems += _formula_names(policy, formula, f"the note of pay line '{line.id}'",
                                       known, None)  # fmt: skip
        problems += _note_styles(policy, line)
    seen_checks: set[str] = set()
    for i, check in enumerate(policy.checks):
        if check.id in seen_checks:
            problems.append(
                error(doc.at(("checks", i, "id")), f"check '{check.id}' is defined twice")
            )
        seen_checks.add(check.id)
        problems += _formula_names(policy, check.when, f"check '{check.id}'", known, None)
    return problems


def _note_styles(policy: Policy, line: PayLine) -> list[Diagnostic]:
    """A note's value shown as a percentage or an amount is a number: a date or text is not."""
    problems = []
    for piece in (*line.note.zh, *line.note.en) if line.note else ():
        formula = piece.formula
        kind = _kind_of(policy, formula.tree) if formula else None
        if formula is not None and piece.style and kind in ("date", "text"):
            shown = "a percentage" if piece.style == "%" else "an amount"
            what = "a date" if kind == "date" else "text"
            written, plain = f"{{{piece.text}:{piece.style}}}", f"{{{piece.text}}}"
            problems.append(error(formula.source, f"{written} in the note of pay line "
                                  f"'{line.id}': {piece.text} is {what}, not a number, and "
                                  f"cannot be shown as {shown}; write {plain}"))  # fmt: skip
    return problems


def _formula_names(
    policy: Policy, formula: Formula, where: str, known: set[str], line_id: str | None
) -> list[Diagnostic]:
    """Every name a pay formula (a line's, or a check's when ``line_id`` is None) reads is known,
    and each function is given what it reads: a step or band table, a line year to date, a
    declared adjustment category."""
    problems: list[Diagnostic] = []
    for name, offset in formula.names:
        if line_id is not None and name == line_id:
            problems.append(
                error(
                    formula.at(offset),
                    f"pay line '{line_id}' uses itself in its {where.split(' ')[1]}",
                )
            )
        elif line_id is not None and name in TOTALS:
            problems.append(
                error(
                    formula.at(offset),
                    f"'{name}' is known only once every line is computed: "
                    f"read it in a check, or year to date as ytd({name})",
                )
            )
        elif name not in known and name in policy.departments:
            problems.append(
                error(formula.at(offset), f"unknown name '{name}' in {where}; to compare with "
                      f"the department '{name}', write it in quotes: \"{name}\"")
            )  # fmt: skip
        elif name not in known:
            problems.append(
                error(
                    formula.at(offset),
                    f"unknown name '{name}' in {where}{suggest(name, known - {line_id or ''})}",
                )
            )
    lines = set(policy.lines_by_id)
    for fn, offset, args in formula.calls:
        if fn in ("step", "band"):
            problems += _table_call(policy, formula, fn, offset, args, known)
        elif fn == "ytd":
            read = getattr(args[0], "id", "")
            if read not in lines and read not in (*TOTALS, ARREARS):
                problems.append(
                    error(
                        formula.at(offset + len("ytd(")),
                        f"ytd({read}): year to date is "
                        "kept for the pay lines, gross, deductions, net and arrears"
                        + (
                            suggest(read, sorted(lines))
                            or f"; to add up {read} over the year, make a value line of it and "
                            "read ytd() of that line"
                        ),
                    )
                )
        elif fn == "adjustments":
            category = getattr(args[0], "value", "")
            declared = policy.adjustment_categories
            if category not in declared:
                hint = (
                    suggest(category, declared) or f"; declared: {', '.join(declared)}"
                    if declared
                    else "; declare the categories under adjustment_categories"
                )
                problems.append(
                    error(
                        formula.at(offset),
                        f'adjustments("{category}"): no such adjustment category{hint}',
                    )
                )
    problems += compared_kinds(policy, formula)
    return problems


def _table_call(
    policy: Policy,
    formula: Formula,
    fn: str,
    offset: int,
    args: tuple[ast.expr, ...],
    known: set[str],
) -> list[Diagnostic]:
    """step(table, x) reads a step table, band(table, x, "column") a column of a band table."""
    wanted = StepTable if fn == "step" else BandTable
    table = getattr(args[0], "id", "")
    value = policy.parameters.get(table)
    if table in known and not isinstance(value, wanted):
        tables = [n for n, v in policy.parameters.items() if isinstance(v, wanted)]
        what = "a step table" if fn == "step" else "a band table"
        hint = suggest(table, tables) or (
            f"; {what[2:]}s: {', '.join(tables)}" if tables else f"; the policy has no {what[2:]}"
        )
        return [error(formula.at(offset), f"{fn}(): '{table}' is not {what}{hint}")]
    if isinstance(value, StepTable) and is_rate(policy, args[1]):
        top = max(t for t, _ in value.rows)
        if top > 1:
            rate = getattr(args[1], "id", "")
            return [
                error(formula.at(offset), f"step({table}, {rate}): {rate} is a rate from 0 to 1, "
                      f"but the table's thresholds go up to {top}; write rates as fractions "
                      f"(0.95 for 95%)")
            ]  # fmt: skip
    if isinstance(value, BandTable):
        column = getattr(args[2], "value", "")
        names = [n for n, _ in value.columns]
        if column not in names:
            return [
                error(
                    formula.at(offset),
                    f"band(): table '{table}' has no column "
                    f"'{column}'{suggest(column, names) or '; columns: ' + ', '.join(names)}",
                )
            ]
    return []


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
        + check_band_tables(policy)
        + check_line_units(policy)
        + check_records(policy)
        + check_domains(policy)
        + check_files(policy)
        + check_names(policy)
    )
    if not any(d.is_error for d in problems):  # else an unknown customer breaks a loop too
        problems += check_loops(policy)
    ordered, cycle = check_line_order(policy)
    problems += cycle
    return ordered, problems
