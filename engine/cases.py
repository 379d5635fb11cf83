"""Policy test cases: HR's own examples, written in YAML beside the policies and run exactly.

A case names a period, optionally a version, small inline data (employees, metric rows,
candidates, ballots, adjustments) and optionally metric values given directly per department, and
the values it expects (lines, gross, deductions, net, scores, flags, eligibility...).  Expected
values are compared with what `results.json` would hold, numbers as Decimals.  A department with
neither rows nor a given value is left out of the case (reading its score is an error that says
so), so a case needs only the data it is about.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from .data.period import PeriodData, assemble, metric_tables
from .data.tables import Table, inline_table, streamed
from .data.tally import needed_columns
from .errors import Diagnostic, Kind, Source, error, has_errors, suggest
from .evaluate import Month, YearToDate, evaluate
from .periods import Period
from .policy import Policy, PolicySet, version_in_force
from .policy.document import IDENT, PERIOD
from .policy.schema import Check, check_schema, path_text, validator_for
from .policy.versions import read_text
from .policy.yamlread import Path, YamlDoc, read_yaml
from .render import results_dict
from .ytd import month_of

_NUMBER_OR_TEXT = {"type": ["number", "string", "boolean", "null"]}
_ROWS = {
    "type": "array",
    "items": {"type": "object", "additionalProperties": _NUMBER_OR_TEXT},
    "description": "Rows of a table, as mappings of column to value.",
}
_EXPECTED = {"description": "Expected values: numbers compare as Decimals, flags as lists."}

CASES_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:innerpay:cases:1",
    "title": "innerpay policy test cases",
    "type": "object",
    "additionalProperties": False,
    "required": ["cases"],
    "properties": {
        "cases": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "period", "data", "expect"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "What it shows."},
                    "period": {"type": "string", "pattern": PERIOD, "description": "YYYY-MM."},
                    "policy": {
                        "type": "string",
                        "description": "A version label (default: the version in force).",
                    },
                    "metrics": {
                        "type": "object",
                        "description": "Metric values given per department, instead of rows.",
                        "propertyNames": {"pattern": IDENT},
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": {"type": "number"},
                        },
                    },
                    "parameters": {
                        "type": "object",
                        "description": "Parameters (numbers) of the policy changed for this "
                        "case only: a what-if.",
                        "propertyNames": {"pattern": IDENT},
                        "additionalProperties": {"type": "number"},
                    },
                    "earlier": {
                        "type": "object",
                        "description": "The data of the earlier months of the year, by month "
                        "(YYYY-MM), for a policy that reads ytd(x): each computed in turn.",
                        "propertyNames": {"pattern": PERIOD},
                        "additionalProperties": {
                            "type": "object",
                            "required": ["employees"],
                            "propertyNames": {"pattern": IDENT},
                            "additionalProperties": _ROWS,
                        },
                    },
                    "data": {
                        "type": "object",
                        "required": ["employees"],
                        "description": "Inline tables: employees, metric tables, candidates, "
                        "ballots, adjustments.",
                        "propertyNames": {"pattern": IDENT},
                        "additionalProperties": _ROWS,
                    },
                    "expect": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "employees": {"type": "object", **_EXPECTED},
                            "departments": {"type": "object", **_EXPECTED},
                            "promotion": {"type": "object", **_EXPECTED},
                            "ballots": {"type": "object", **_EXPECTED},
                            "totals": {"type": "object", **_EXPECTED},
                        },
                    },
                },
            },
        }
    },
}


def _cases_check() -> Check:
    from .policy.compiled import cases

    return cases.validate


CASES_VALIDATOR = validator_for(CASES_SCHEMA, _cases_check)


@dataclass
class Outcome:
    """What running some case files found."""

    passed: int = 0
    failed: list[str] = field(default_factory=list)  # one line per failing value
    failed_cases: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)


def case_files(paths: list[str]) -> list[str]:
    """The YAML files named, or found in the folders named (recursively), sorted."""
    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, _, names in sorted(os.walk(path)):
                found += [
                    os.path.join(root, n) for n in sorted(names) if n.endswith((".yaml", ".yml"))
                ]
        else:
            found.append(path)
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # a Decimal keeps the text it was written with


def _inline(doc: YamlDoc, path: Path, rows: list[dict[str, Any]]) -> Table:
    """A table given inline in a case, each row at its line in the case file."""
    cells = [
        (doc.at((*path, i)).line, {k: _cell(v) for k, v in row.items()})
        for i, row in enumerate(rows)
    ]
    return inline_table(doc.file, cells)


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Decimal):
        if isinstance(actual, bool) or actual is None:
            return False
        try:
            return Decimal(str(actual)) == expected
        except InvalidOperation:
            return False
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            _equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    return bool(expected == actual) and type(expected) is type(actual)


def _shown(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return str(value)


def _leaves(value: Any, path: Path) -> list[tuple[Path, Any]]:
    """Every expected value with its path; a list (flags) is one value."""
    if isinstance(value, dict):
        return [leaf for key, v in value.items() for leaf in _leaves(v, (*path, key))]
    return [(path, value)]


def _lookup(results: dict[str, Any], path: Path) -> tuple[bool, Any]:
    current: Any = results
    for part in path:
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _case_data(
    doc: YamlDoc,
    path: Path,
    given: dict[str, Any],
    period: Period,
    policy: Policy,
    name: str,
    outcome: Outcome,
    problems: list[Diagnostic],
) -> PeriodData:
    """A month's inline tables typed as a period's files are."""
    tables = {table: _inline(doc, (*path, table), rows) for table, rows in given.items()}
    fixed = {"employees", "candidates", "ballots", "adjustments"}
    unknown = sorted(set(tables) - fixed - {m.table for m in policy.metrics.values()}
                     - set(policy.records))  # fmt: skip
    for table in unknown:
        outcome.diagnostics.append(
            error(doc.key_at((*path, table)), f"case '{name}': no table '{table}' in "
                  f"policy {policy.version}")
        )  # fmt: skip
    streams = {
        table: streamed(tables[table], ["department", *needed_columns(policy, table)])
        for table in metric_tables(policy)
        if table in tables
    }
    kept: dict[str, Table | None] = {
        t: v for t, v in tables.items() if t in fixed or t in policy.records
    }
    return assemble(period, os.path.dirname(doc.file), kept, dict(streams), {}, policy, problems,
                    absent_is_empty=True)  # fmt: skip


def _with_parameters(
    policy: Policy, changed: dict[str, Decimal], doc: YamlDoc, base: Path, name: str
) -> tuple[Policy, list[Diagnostic]]:
    """The policy with some of its numbers changed for one case."""
    problems = []
    for key in changed:
        if not isinstance(policy.parameters.get(key), Decimal):
            numbers = [k for k, v in policy.parameters.items() if isinstance(v, Decimal)]
            problems.append(
                error(doc.key_at((*base, "parameters", key)), f"case '{name}': '{key}' is not a "
                      f"number parameter of policy {policy.version}{suggest(key, numbers)}")
            )  # fmt: skip
    return replace(policy, parameters={**policy.parameters, **changed}), problems


def _earlier_months(
    doc: YamlDoc,
    base: Path,
    case: dict[str, Any],
    policy: Policy,
    policies: PolicySet,
    given: Any,
    problems: list[Diagnostic],
) -> YearToDate | None:
    """The earlier months of the case's year, each computed from the case's data for it."""
    period = Period.parse(case["period"])
    months: list[Month] = []
    written = case.get("earlier") or {}
    for key in sorted(written):
        month = Period.parse(key)
        if not (month.year == period.year and month < period):
            problems.append(error(doc.key_at((*base, "earlier", key)), f"earlier month {month} "
                                  f"is not before {period} in {period.year}"))  # fmt: skip
    month = Period(period.year, 1)
    while month < period and not has_errors(problems):
        if str(month) not in written:
            problems.append(
                error(doc.key_at((*base, "period")), f"ytd() needs {month}: give its data under "
                      "earlier:")
            )  # fmt: skip
            return None
        in_force = policies.in_force(month)
        if "policy" in case or in_force is None:
            in_force = policy  # the version the case names, for every month
        else:
            changed = {
                k: v for k, v in (case.get("parameters") or {}).items() if k in in_force.parameters
            }
            in_force = replace(in_force, parameters={**in_force.parameters, **changed})
        data = _case_data(doc, (*base, "earlier", str(month)), written[str(month)], month,
                          in_force, case["name"], Outcome(), problems)  # fmt: skip
        if has_errors(problems):
            return None
        results, found = evaluate(in_force, data, given=given,
                                  earlier=YearToDate(month, tuple(months)))  # fmt: skip
        problems += found
        if results is None:
            return None
        months.append(month_of(results, policies.earlier_names | set(policy.earlier_names)))
        month = month.next()
    return YearToDate(period, tuple(months))


def run_case(
    doc: YamlDoc, index: int, policies: PolicySet, policies_dir: str, outcome: Outcome
) -> None:
    """Run one case of a loaded file and record its outcome."""
    base: Path = ("cases", index)
    case = doc.data["cases"][index]
    name = case["name"]
    period = Period.parse(case["period"])
    if "policy" in case:
        policy = policies.by_version(case["policy"])
        if policy is None:
            labels = ", ".join(p.version for p in policies.policies)
            outcome.diagnostics.append(
                error(
                    doc.at((*base, "policy")),
                    f"case '{name}': no policy version '{case['policy']}' (versions: {labels})",
                )
            )
            return
    else:
        policy, found = version_in_force(policies, period, policies_dir)
        if policy is None:
            outcome.diagnostics += found
            return
    if "parameters" in case:
        policy, found = _with_parameters(policy, case["parameters"], doc, base, name)
        if found:
            outcome.diagnostics += found
            outcome.failed_cases += 1
            return
    given = case.get("metrics") or {}
    problems: list[Diagnostic] = []
    earlier = None
    if policy.earlier_names:
        earlier = _earlier_months(doc, base, case, policy, policies, given, problems)
    results = None
    if not has_errors(problems):
        data = _case_data(doc, (*base, "data"), case["data"], period, policy, name, outcome,
                          problems)  # fmt: skip
        if not has_errors(problems):
            results, found = evaluate(policy, data, given=given, earlier=earlier)
            problems += found
    if has_errors(problems) or results is None:
        outcome.diagnostics += [
            error(d.source, f"case '{name}': {d.message}", d.kind) for d in problems if d.is_error
        ]
        outcome.failed_cases += 1
        return
    assert results is not None
    actual = results_dict(results)
    failures = []
    for path, expected in _leaves(case["expect"], ()):
        present, value = _lookup(actual, path)
        where = doc.at((*base, "expect", *path))
        if not present:
            where = doc.key_at((*base, "expect", *path))
            failures.append(f"{where}: fail: case '{name}': {path_text(path)}: no such value")
        elif not _equal(expected, value):
            failures.append(
                f"{where}: fail: case '{name}': {path_text(path)}: expected {_shown(expected)}, "
                f"got {_shown(value)}"
            )
    if failures:
        outcome.failed += failures
        outcome.failed_cases += 1
    else:
        outcome.passed += 1


def run_cases(paths: list[str], policies: PolicySet, policies_dir: str) -> Outcome:
    """Run every case of every file."""
    outcome = Outcome()
    for path in paths:
        if not os.path.exists(path):
            outcome.diagnostics.append(error(Source(path), "no such file or folder", Kind.USAGE))
    files = [f for f in case_files(paths) if os.path.exists(f)]
    if not files and not outcome.diagnostics:
        outcome.diagnostics.append(
            error(Source(", ".join(paths)), "no test case files (*.yaml) found", Kind.USAGE)
        )
    for file in files:
        text, _, problems = read_text(file)
        if text is None:
            outcome.diagnostics += problems
            continue
        doc, problems = read_yaml(text, file)
        if not has_errors(problems):
            problems += check_schema(doc, CASES_VALIDATOR)
        if has_errors(problems):
            outcome.diagnostics += problems
            continue
        for index in range(len(doc.data["cases"])):
            run_case(doc, index, policies, policies_dir, outcome)
    return outcome
