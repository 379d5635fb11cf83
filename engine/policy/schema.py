"""The policy JSON Schema, and its diagnostics with line and column.

Second step of the pipeline: a loaded :class:`~innerpay.yamlread.YamlDoc` is checked against
:data:`POLICY_SCHEMA`.  Unknown keys are errors with the nearest known key suggested; every message
names the key path and quotes the bad value.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostic, error, nearest, suggest, terminal_safe
from .document import IDENT, PATTERN_TEXT, POLICY_SCHEMA
from .yamlread import Path, YamlDoc

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


def _is_integer(checker: Any, instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, Decimal):
        return instance == instance.to_integral_value()
    return isinstance(instance, int)


# --- validity: fastjsonschema's compiled check first, jsonschema's report for the invalid ----


def draft7(schema: Any) -> Any:
    """The schema as fastjsonschema reads it (draft 7): ``prefixItems`` as ``items`` and
    ``additionalItems``; an integer as a number that is a multiple of 1 (so that an integral
    Decimal is one, as jsonschema is told); a number of ``const`` or ``enum`` as a number from it
    to itself (fastjsonschema's ``const`` and ``enum`` take ints and floats only, and would take
    ``True`` for 1, which JSON Schema does not); annotations left out."""
    if isinstance(schema, list):
        return [draft7(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for k, v in schema.items():
        if k in _NAMED:  # names of properties, not keywords
            out[k] = {name: draft7(sub) for name, sub in v.items()}
        elif k not in _ANNOTATIONS:
            out[k] = draft7(v)
    if "prefixItems" in out:
        out["additionalItems"] = out.get("items", True)
        out["items"] = out.pop("prefixItems")
    if out.get("type") == "integer":
        out["type"], out["multipleOf"] = "number", 1
    options = [out.pop("const")] if "const" in out else out.pop("enum", None)
    if options is not None:
        numbers = [o for o in options if _is_number(o)]
        others = [o for o in options if not _is_number(o)]
        choices = [{"type": "number", "minimum": n, "maximum": n} for n in numbers]
        choices += [{"enum": others}] if others else []
        if len(choices) == 1:
            out.update(choices[0])
        elif "anyOf" in out:
            out = {"allOf": [out, {"anyOf": choices}]}
        else:
            out["anyOf"] = choices
    return out


#: Keywords that say nothing about validity.
_ANNOTATIONS = {"$schema", "$id", "title", "description", "examples", "default"}
#: Keywords whose keys are names, not keywords.
_NAMED = {"properties", "patternProperties", "$defs", "definitions"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def compiled_code(schema: dict[str, Any]) -> str:
    """fastjsonschema's Python code of a schema (``tools/compile_schemas.py`` writes it to
    :mod:`innerpay.policy.compiled`, so that a run imports it instead of compiling it)."""
    import fastjsonschema

    draft = {"$schema": "http://json-schema.org/draft-07/schema#", **draft7(schema)}
    return str(fastjsonschema.compile_to_code(draft))


Check = Callable[[Any], Any]


class Validator:
    """A schema of innerpay's: fastjsonschema's compiled check says whether a document is
    valid, and jsonschema (imported only then) says what is wrong with one that is not."""

    def __init__(self, schema: dict[str, Any], compiled: Callable[[], Check] | None = None):
        self.schema = schema
        self._compiled = compiled

    @functools.cached_property
    def quick(self) -> Check:
        """fastjsonschema's check: raises for a document it does not find valid."""
        if self._compiled is not None:
            return self._compiled()
        import fastjsonschema

        return fastjsonschema.compile(
            {"$schema": "http://json-schema.org/draft-07/schema#", **draft7(self.schema)}
        )

    @functools.cached_property
    def full(self) -> Any:
        """jsonschema's validator (draft 2020-12; integral Decimals are integers)."""
        import jsonschema

        draft = jsonschema.Draft202012Validator
        checker = draft.TYPE_CHECKER.redefine("integer", _is_integer)
        return jsonschema.validators.extend(draft, type_checker=checker)(self.schema)

    def errors(self, instance: Any) -> list[ValidationError]:
        """Every error jsonschema finds (none, without asking it, when fastjsonschema finds the
        document valid)."""
        try:
            self.quick(instance)
        except Exception:  # its verdict, or any doubt: jsonschema says what is wrong
            return list(self.full.iter_errors(instance))
        return []


def _policy_check() -> Check:
    from .compiled import policy

    return policy.validate


POLICY_VALIDATOR = Validator(POLICY_SCHEMA, _policy_check)


def schema_json(schema: dict[str, Any] | None = None) -> str:
    """A schema (the policy's by default) as `innerpay schema` prints it."""
    return json.dumps(schema or POLICY_SCHEMA, ensure_ascii=False, indent=2) + "\n"


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
        return f"'{terminal_safe(value)}'"  # a newline in a name is shown as what it is
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


def _full_width(value: Any) -> str:
    """Advice for a value typed with full-width characters (a Chinese keyboard's digits, comma,
    colon), or ""."""
    pending, texts = [value], []
    while pending:  # the texts anywhere in the value (a step table's rows are lists)
        item = pending.pop()
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, list):
            pending.extend(reversed(item))
    for text in texts:
        plain = unicodedata.normalize("NFKC", text)
        if plain != text:
            odd = next(c for c in text if unicodedata.normalize("NFKC", c) != c)
            return f"; '{odd}' is a full-width character: write '{text}' as '{plain}'"
    return ""


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
                f"name '{value}' in {where} is not allowed; use {PATTERN_TEXT[IDENT]}",
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
            hint = _full_width(value)
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
            text = PATTERN_TEXT.get(str(err.validator_value), f"to match {err.validator_value}")
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
                example = (f"{value.scaleb(-2)} for {value}%" if isinstance(value, Decimal)
                           and value <= 100 else "0.90 for 90%")  # fmt: skip
                hint = f"; write rates as fractions ({example})"
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
                    f"{where} must be a number, a step table of [threshold, value] rows or a "
                    f"band table, not {_shown(value)}{_full_width(value)}",
                )
            ]
        case _:
            return [(path, False, f"{where}: {err.message}")]


def validator_for(schema: dict[str, Any], compiled: Callable[[], Check] | None = None) -> Validator:
    """A validator for another schema of innerpay's (integral Decimals are integers), with its
    check compiled ahead (``compiled`` gives it) or on first use."""
    return Validator(schema, compiled)


def check_schema(doc: YamlDoc, validator: Validator | None = None) -> list[Diagnostic]:
    """Every schema problem of a document (a policy by default), each at its line and column."""
    problems: list[Diagnostic] = []
    seen: set[tuple[Path, str]] = set()
    errors = (validator or POLICY_VALIDATOR).errors(doc.data)
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
