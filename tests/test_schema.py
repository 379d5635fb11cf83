"""The schema's compiled check (fastjsonschema): what it passes, jsonschema passes, and the other
way round; and the compiled checks shipped with innerpay are the schemas' own."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from innerpay.cases import CASES_SCHEMA, CASES_VALIDATOR
from innerpay.policy.schema import (
    POLICY_SCHEMA,
    POLICY_VALIDATOR,
    Validator,
    check_schema,
    compiled_code,
)
from innerpay.policy.yamlread import read_yaml

ROOT = Path(__file__).resolve().parent.parent
POLICY = POLICY_VALIDATOR  # the compiled check innerpay ships
CASES = CASES_VALIDATOR


def verdicts(validator: Validator, value: Any) -> tuple[bool, bool]:
    """(the compiled check's verdict, jsonschema's)."""
    try:
        validator.quick(value)
    except Exception:
        quick = False
    else:
        quick = True
    return quick, not list(validator.full.iter_errors(value))


@pytest.mark.parametrize(("name", "schema"), [("policy", POLICY_SCHEMA), ("cases", CASES_SCHEMA)])
def test_the_shipped_compiled_checks_are_the_schemas_own(name: str, schema: Any) -> None:
    shipped = (ROOT / "engine" / "policy" / "compiled" / f"{name}.py").read_text(encoding="utf-8")
    assert shipped.split("\n", 1)[1] == compiled_code(schema), "run tools/compile_schemas.py"


def loaded(path: Path) -> Any:
    return read_yaml(path.read_text(encoding="utf-8"), str(path))[0].data


POLICIES = sorted((ROOT / "policies").glob("*.yaml")) + sorted(
    (ROOT / "tests" / "cases" / "policy").glob("*.yaml")
)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_policy_of_the_repository_has_the_same_verdict(path: Path) -> None:
    data = loaded(path)
    quick, full = verdicts(POLICY, data)
    assert quick == full
    if path.parent.name == "policies":
        assert quick  # the reference policies never reach jsonschema


def test_the_policy_tests_of_the_repository_have_the_same_verdict() -> None:
    files = sorted((ROOT / "policies" / "tests").glob("*.yaml"))
    assert files
    for path in files:
        assert verdicts(CASES, loaded(path)) == (True, True)


LEAVES = st.sampled_from(
    [
        Decimal("0"),
        Decimal("1"),
        Decimal("1.0"),
        Decimal("2"),
        Decimal("0.95"),
        Decimal("-1"),
        Decimal("1.5"),
        "",
        "x",
        "sales",
        "Sales",
        "9lives",
        "half_up",
        "half_even",
        "2024-05",
        "2024-13",
        "CNY",
        "cny",
        "earning",
        "deduction",
        "money",
        "base_salary * 2",
        True,
        False,
        None,
        [],
        {},
        [[Decimal("0.9"), Decimal("0.1")]],
        [[Decimal("0.9")]],
        [Decimal("1"), Decimal("2")],
        {"min": Decimal("0.9")},
        {"min_share": Decimal("0.5"), "min_turnout": Decimal("0.6")},
        {"department": "sales", "metric": "delivery_rate", "target": Decimal("0.9")},
        {"external": "市场"},
    ]
)
NAMES = st.sampled_from(
    ["name", "customers", "target", "weight", "min", "lines", "formula", "kind", "when",
     "label", "id", "success", "table", "rounding", "bonus", "Bad-Name", "extra", "innerpay"]
)  # fmt: skip


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> Any:
    """A document of the repository with a few values replaced, keys dropped or added."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            continue
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace":
            parent[path[-1]] = copy.deepcopy(draw(LEAVES))
        elif action == "drop":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(NAMES)] = copy.deepcopy(draw(LEAVES))
        else:
            parent.append(copy.deepcopy(draw(LEAVES)))
    return document


GOOD = [loaded(p) for p in sorted((ROOT / "policies").glob("*.yaml"))]


@settings(max_examples=400, deadline=None)
@given(mutated(GOOD))
def test_the_compiled_check_agrees_with_jsonschema_on_mutated_policies(document: Any) -> None:
    quick, full = verdicts(POLICY, document)
    assert quick == full


D = Decimal
KEYWORDS: list[tuple[dict[str, Any], list[Any]]] = [
    ({"type": "string"}, ["a", D(1), None, True, [], {}]),
    ({"type": ["string", "number"]}, ["a", D("1.5"), True, None]),
    ({"type": "integer"}, [D(2), D("2.0"), D("2.5"), True, "2"]),
    ({"type": "boolean"}, [True, False, D(1), "true"]),
    ({"type": "null"}, [None, "", D(0)]),
    ({"enum": ["a", "b"]}, ["a", "c", D(1), None]),
    ({"const": 1}, [D(1), D("1.0"), True, D(2), "1"]),
    ({"pattern": "^[a-z]+$"}, ["abc", "aBc", "", D(1)]),
    ({"minLength": 1}, ["a", "", "经", D(0)]),
    ({"minimum": 0}, [D(0), D("-0.01"), "x", True]),
    ({"maximum": 1}, [D(1), D("1.01"), None]),
    ({"exclusiveMinimum": 0}, [D("0.01"), D(0), D(-1), "a"]),
    ({"minItems": 1}, [[D(1)], [], "a"]),
    ({"maxItems": 2}, [[1, 2], [1, 2, 3], {}]),
    ({"minProperties": 1}, [{"a": 1}, {}, []]),
    ({"required": ["a"]}, [{"a": None}, {"b": 1}, [], "a"]),
    ({"properties": {"a": {"type": "string"}}}, [{"a": "x"}, {"a": D(1)}, {"b": D(1)}, "a"]),
    (
        {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
        [{"a": "x"}, {"b": "x"}, {}],
    ),
    ({"additionalProperties": {"type": "number"}}, [{"a": D(1)}, {"a": "1"}, {}]),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, [{"ab": 1}, {"Ab": 1}, []]),
    ({"items": {"type": "number"}}, [[D(1), D(2)], [D(1), "2"], [], "a"]),
    (
        {"prefixItems": [{"type": "string"}], "items": {"type": "number"}},
        [["a", D(1)], [D(1), D(1)], ["a", "b"], ["a"]],
    ),
    ({"prefixItems": [{"type": "string"}]}, [["a", D(1)], [D(1)]]),
    ({"anyOf": [{"type": "number"}, {"type": "array"}]}, [D(1), [], "a"]),
]


@pytest.mark.parametrize(("schema", "values"), KEYWORDS, ids=lambda v: str(v)[:40])
def test_each_keyword_has_jsonschemas_verdict(schema: dict[str, Any], values: list[Any]) -> None:
    validator = Validator(schema)
    seen = {verdicts(validator, value) for value in values}
    assert {quick == full for quick, full in seen} == {True}
    assert {full for _, full in seen} == {True, False}  # each keyword both passes and fails


def test_a_valid_policy_is_checked_without_importing_jsonschema() -> None:
    script = (
        "import sys\n"
        "from innerpay.errors import has_errors\n"
        "from innerpay.policy import load_policies\n"
        "policies, problems = load_policies(sys.argv[1])\n"
        "assert policies.policies and not has_errors(problems)\n"
        "print('jsonschema' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "policies")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "False\n"


def test_an_invalid_policy_still_gets_every_message() -> None:
    doc, problems = read_yaml(
        "innerpay: 2\nversion: v\neffective_from: 2024-13\nrounding: up\n"
        "departments: {}\npay: {lines: []}\nextra: 1\n",
        "p.yaml",
    )
    assert problems == []
    assert [str(d) for d in check_schema(doc)] == [
        "p.yaml:7:1: error: unknown key 'extra' at the top level; known keys: innerpay, version, "
        "effective_from, title, company, currency, rounding, parameters, employee_fields, domains, "
        "files, metrics, departments, pay, records, adjustment_categories, adjustment_approvers, "
        "checks, promotion, review",
        "p.yaml:5:14: error: departments must not be empty",
        "p.yaml:3:17: error: effective_from is '2024-13'; expected a month written YYYY-MM "
        "(like 2024-05)",
        "p.yaml:1:11: error: innerpay must be 1, not the number 2",
        "p.yaml:6:14: error: pay.lines must not be empty",
        "p.yaml:4:11: error: rounding is 'up'; expected one of half_up, half_even",
    ]


class Yaml12(yaml.SafeLoader):
    """A file as an editor reads it for its schema (yaml-language-server: YAML 1.2's core
    schema, where `no` is text, `0150` is 150 and `1e3` is 1000)."""


Yaml12.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"(?:true|True|TRUE|false|False|FALSE)\Z", "tTfF"),
    ("int", r"[-+]?[0-9]+\Z", "-+0123456789"),
    ("float", r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z|[-+]?\.(?:inf|Inf|"
     r"INF)\Z|\.(?:nan|NaN|NAN)\Z", "-+.0123456789"),
    ("null", r"(?:~|null|Null|NULL|)\Z", ["~", "n", "N", ""]),
):  # fmt: skip
    Yaml12.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
Yaml12.add_constructor("tag:yaml.org,2002:int", lambda _, node: int(node.value))

#: The case files on which an editor and innerpay cannot agree, and why: what a YAML version
#: reads otherwise (innerpay refuses the text; the schema sees only the value an editor made of
#: it), or what is not a value at all (the editor's YAML reader has its own say on these).
NOT_THE_SCHEMAS = {
    "exponent_number": "3e-1 is text in YAML 1.1, 0.3 in YAML 1.2",
    "yaml11_octal": "0150 is 104 in YAML 1.1, 150 in YAML 1.2",
    "yaml11_boolean": "no is false in YAML 1.1, text in YAML 1.2",
    "anchor_alias": "an anchor is YAML structure, not a value",
    "billion_laughs": "anchors",
    "duplicate_key": "a duplicate key is YAML structure (the editor says so itself)",
    "empty": "an empty file is no document",
    "nested_too_deeply": "600 levels of lists: no schema judges depth",
}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests" / "cases" / "policy").glob("*.yaml")), ids=lambda p: p.stem
)
def test_the_editors_schema_and_innerpay_give_each_case_the_same_verdict(path: Path) -> None:
    published = json.loads((ROOT / "schema" / "policy.schema.json").read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.load(text, Yaml12)
    except (yaml.YAMLError, RecursionError):
        editor = False  # a syntax error, a tag, too deep: the editor's YAML reader flags it
    else:
        editor = not list(jsonschema.Draft202012Validator(published).iter_errors(data))
    doc, problems = read_yaml(text, path.name)
    innerpay = not problems and not check_schema(doc)
    if path.stem in NOT_THE_SCHEMAS:
        assert (editor, innerpay) == (True, False) or path.stem in (
            "billion_laughs",
            "empty",
            "nested_too_deeply",
        )
        assert not innerpay
    else:
        assert editor == innerpay
