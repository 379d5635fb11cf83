"""The policy JSON Schema, and its diagnostics with line and column.

Second step of the pipeline: a loaded :class:`~innerpay.yamlread.YamlDoc` is checked against
:data:`POLICY_SCHEMA`.  Unknown keys are errors with the nearest known key suggested; every message
names the key path and quotes the bad value.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import Diagnostic, error, nearest, suggest
from .yamlread import Path, YamlDoc

IDENT = "^[a-z][a-z0-9_]*$"
PERIOD = "^[0-9]{4}-(0[1-9]|1[0-2])$"

_PATTERN_TEXT = {
    IDENT: "a lower-case name of letters, digits and _ (like delivery_rate)",
    PERIOD: "a month written YYYY-MM (like 2024-05)",
    "^[A-Z]{3}$": "a three-letter currency code (like CNY)",
}

_RATE = {"type": "number", "minimum": 0, "maximum": 1}

_STEP_TABLE = {
    "type": "array",
    "description": "A step table: rows [threshold, value]; the row with the greatest threshold "
    "<= x "
    "applies. Rows sorted by threshold, no threshold twice.",
    "minItems": 1,
    "items": {
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "number"}],
        "minItems": 2,
        "maxItems": 2,
    },
    "examples": [[[0.95, 1.20], [0.90, 1.00], [0.00, 0.50]]],
}

_FORMULA = {
    "type": ["string", "number"],
    "minLength": 1,
    "description": "A single expression (SPEC.md, Formulas); a plain number is a constant.",
    "examples": ["base_salary * bonus_ratio * step(performance_factor, score)", 2000],
}

_CUSTOMER = {
    "type": "object",
    "description": "An internal customer that appraises this department on one metric, or an "
    "external customer ({external: name}) that appraises nothing.",
    "additionalProperties": False,
    "properties": {
        "department": {
            "type": "string",
            "pattern": IDENT,
            "description": "The customer department.",
        },
        "metric": {"type": "string", "pattern": IDENT, "description": "The metric it appraises."},
        "target": {**_RATE, "description": "Met when metric >= target."},
        "weight": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Weight in the department score (default: equal).",
        },
        "external": {"type": "string", "minLength": 1, "description": "An outside customer."},
    },
    "examples": [{"department": "material_control", "metric": "delivery_rate", "target": 0.90}],
}

_VOTE_GATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["min_share", "min_turnout"],
    "properties": {
        "min_share": {**_RATE, "description": "Yes votes ÷ valid ballots must reach this."},
        "min_turnout": {**_RATE, "description": "Valid ballots ÷ electorate must reach this."},
    },
}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:innerpay:policy:1",
    "title": "innerpay policy",
    "description": "One complete version of a company's internal customer pay and promotion "
    "policy.",
    "type": "object",
    "additionalProperties": False,
    "required": ["innerpay", "version", "effective_from", "rounding", "departments", "pay"],
    "properties": {
        "innerpay": {"const": 1, "description": "Format of this file; always 1."},
        "version": {
            "type": "string",
            "minLength": 1,
            "description": 'Label, unique across the policies folder. Quote it: "2024.05".',
            "examples": ["2024.05"],
        },
        "effective_from": {
            "type": "string",
            "pattern": PERIOD,
            "description": "First period this version governs (YYYY-MM).",
            "examples": ["2024-05"],
        },
        "title": {"type": "string", "description": "A title for reports."},
        "currency": {
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217 currency code.",
            "examples": ["CNY"],
        },
        "rounding": {
            "enum": ["half_up", "half_even"],
            "description": "How every pay line is rounded to 0.01.",
        },
        "parameters": {
            "type": "object",
            "description": "Constants and step tables that formulas may use.",
            "propertyNames": {"pattern": IDENT},
            "additionalProperties": {"anyOf": [{"type": "number"}, _STEP_TABLE]},
            "examples": [{"bonus_ratio": 0.30}],
        },
        "employee_fields": {
            "type": "object",
            "description": "Columns of employees.csv that formulas use, beyond id, name, "
            "department and role, with their type.",
            "propertyNames": {"pattern": IDENT},
            "additionalProperties": {"enum": ["money", "decimal", "integer", "text", "date"]},
            "examples": [{"base_salary": "money", "grade": "integer"}],
        },
        "metrics": {
            "type": "object",
            "description": "What customers appraise, computed per appraised department.",
            "propertyNames": {"pattern": IDENT},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["label", "table", "success"],
                "properties": {
                    "label": {"type": "string", "description": "Name shown in reports."},
                    "table": {
                        "type": "string",
                        "pattern": IDENT,
                        "description": "<data>/<period>/<table>.csv; its department column names "
                        "the appraised department.",
                    },
                    "success": {
                        **_FORMULA,
                        "description": "A row meeting this counts toward the rate.",
                    },
                    "weight": {
                        **_FORMULA,
                        "description": "Weigh rows by this instead of counting.",
                    },
                    "when_empty": {
                        "type": "number",
                        "description": "Value when the department has no rows; without it, no "
                        "rows is an error.",
                    },
                },
            },
        },
        "departments": {
            "type": "object",
            "description": "Every department, with the customers that appraise it.",
            "minProperties": 1,
            "propertyNames": {"pattern": IDENT},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "Shown in reports."},
                    "customers": {
                        "type": "array",
                        "description": "Who appraises this department; none means no customer.",
                        "items": _CUSTOMER,
                    },
                },
            },
        },
        "pay": {
            "type": "object",
            "additionalProperties": False,
            "required": ["lines"],
            "properties": {
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "description": "Pay lines, computed for every employee in dependency order.",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "label", "formula"],
                        "properties": {
                            "id": {"type": "string", "pattern": IDENT},
                            "label": {"type": "string", "minLength": 1},
                            "kind": {
                                "enum": ["earning", "deduction"],
                                "description": "Default earning.",
                            },
                            "when": {**_FORMULA, "description": "The line applies when true."},
                            "formula": _FORMULA,
                        },
                        "examples": [
                            {
                                "id": "base",
                                "label": "基本工资 Base pay",
                                "formula": "prorate(base_salary)",
                            }
                        ],
                    },
                }
            },
        },
        "promotion": {
            "type": "object",
            "additionalProperties": False,
            "required": ["gates", "weights"],
            "properties": {
                "gates": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["metric", "customer_vote", "own_vote"],
                    "properties": {
                        "metric": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["min"],
                            "properties": {
                                "min": {**_RATE, "description": "A: the department score."}
                            },
                        },
                        "customer_vote": {**_VOTE_GATE, "description": "B: the customer vote."},
                        "own_vote": {**_VOTE_GATE, "description": "C: the own department vote."},
                    },
                },
                "weights": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["metric", "customer_vote", "own_vote"],
                    "description": "Rank the eligible candidates by these weights.",
                    "properties": {
                        "metric": {"type": "number", "minimum": 0},
                        "customer_vote": {"type": "number", "minimum": 0},
                        "own_vote": {"type": "number", "minimum": 0},
                    },
                },
            },
        },
        "review": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "below_target_periods": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "A department below target this many periods in a row is "
                    "flagged.",
                }
            },
        },
    },
}


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, Decimal):
        return instance == instance.to_integral_value()
    return isinstance(instance, int)


_TYPE_CHECKER = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
_Validator = jsonschema.validators.extend(Draft202012Validator, type_checker=_TYPE_CHECKER)
_VALIDATOR = _Validator(POLICY_SCHEMA)


def schema_json() -> str:
    """The schema as `innerpay schema` prints it."""
    return json.dumps(POLICY_SCHEMA, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def path_text(path: Path) -> str:
    """``('departments', 'sales', 'customers', 0)`` → ``departments.sales.customers[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the top level"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "object": "a mapping of keys",
    "array": "a list",
}


def _message(err: ValidationError, doc: YamlDoc) -> list[tuple[Path, bool, str]]:
    """(path, at the key?, message) for one schema error."""
    path: Path = tuple(err.absolute_path)
    where = path_text(path)
    value = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    if "propertyNames" in err.schema_path:
        # jsonschema reports a bad key name as the key itself, at the mapping's path.
        return [
            (
                (*path, str(value)),
                True,
                f"name '{value}' in {where} is not allowed; use {_PATTERN_TEXT[IDENT]}",
            )
        ]
    match err.validator:
        case "additionalProperties":
            known = list(schema.get("properties", {}))
            extra = sorted(set(value) - set(known)) if isinstance(value, dict) else []
            return [
                (
                    (*path, key),
                    True,
                    f"unknown key '{key}' {'in ' + where if path else 'at the top level'}"
                    f"{suggest(key, known)}"
                    + (
                        ""
                        if suggest(key, known) or not known
                        else f"; known keys: {', '.join(known)}"
                    ),
                )
                for key in extra
            ]
        case "required":
            missing = str(err.message).split("'")[1]
            return [(path, False, f"{where} is missing the key '{missing}'")]
        case "type":
            wanted = err.validator_value
            kinds = wanted if isinstance(wanted, list) else [wanted]
            wanted_text = " or ".join(_TYPE_WORDS.get(k, str(k)) for k in kinds)
            hint = ""
            if "string" in kinds and isinstance(value, Decimal):
                hint = f'; quote it: "{value}"'
            return [(path, False, f"{where} must be {wanted_text}, not {_shown(value)}{hint}")]
        case "enum":
            options = [str(o) for o in err.validator_value]
            near = suggest(str(value), options) if isinstance(value, str) else ""
            return [
                (
                    path,
                    False,
                    f"{where} is {_shown(value)}; expected one of {', '.join(options)}{near}",
                )
            ]
        case "const":
            return [(path, False, f"{where} must be {err.validator_value}, not {_shown(value)}")]
        case "pattern":
            text = _PATTERN_TEXT.get(str(err.validator_value), f"to match {err.validator_value}")
            return [(path, False, f"{where} is {_shown(value)}; expected {text}")]
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            words = {
                "minimum": "at least",
                "maximum": "at most",
                "exclusiveMinimum": "more than",
                "exclusiveMaximum": "less than",
            }
            hint = ""
            if err.validator == "maximum" and err.validator_value == 1:
                hint = "; write rates as fractions (0.90 for 90%)"
            return [
                (
                    path,
                    False,
                    f"{where} is {_shown(value)}; it must be {words[err.validator]} "
                    f"{err.validator_value}{hint}",
                )
            ]
        case "minItems" | "maxItems" | "minProperties":
            if path and path[0] == "parameters":
                return [(path, False, f"{where}: a step table row is [threshold, value]")]
            return [(path, False, f"{where} must not be empty")]
        case "minLength":
            return [(path, False, f"{where} must not be empty")]
        case "anyOf" if path and path[0] == "parameters":
            return [
                (
                    path,
                    False,
                    f"{where} must be a number or a step table of [threshold, value] rows, "
                    f"not {_shown(value)}",
                )
            ]
        case _:
            return [(path, False, f"{where}: {err.message}")]


def validator_for(schema: dict[str, Any]) -> Any:
    """A validator for another schema of innerpay's (integral Decimals are integers)."""
    return _Validator(schema)


def check_schema(doc: YamlDoc, validator: Any = None) -> list[Diagnostic]:
    """Every schema problem of a document (a policy by default), each at its line and column."""
    problems: list[Diagnostic] = []
    seen: set[tuple[Path, str]] = set()
    errors = list((validator or _VALIDATOR).iter_errors(doc.data))
    # A misspelt required key is one mistake: say "unknown key 'roundng'; did you mean
    # 'rounding'?" and not also "missing the key 'rounding'".
    misspelt: set[tuple[Path, str]] = set()
    for err in errors:
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = list(err.schema.get("properties", {}))
            for key in set(err.instance) - set(known):
                near = nearest(key, known)
                if near:
                    misspelt.add((tuple(err.absolute_path), near))
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        if err.validator == "required":
            missing = str(err.message).split("'")[1]
            if (tuple(err.absolute_path), missing) in misspelt:
                continue
        for path, at_key, message in _message(err, doc):
            if (path, message) in seen:
                continue
            seen.add((path, message))
            source = doc.key_at(path) if at_key else doc.at(path)
            problems.append(error(source, message))
    return problems
