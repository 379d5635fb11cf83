"""Strict YAML: the first step of the pipeline, text → plain values with their positions.

A policy must load exactly as written.  So, unlike ``yaml.safe_load``:

- duplicate keys, aliases, anchors and tags are errors (no billion laughs, no python objects);
- numbers become :class:`~decimal.Decimal` from their text, never floats;
- YAML 1.1 surprises (``no`` → false, ``00123`` → octal, ``1:30`` → 90, ``1e3``, ``.nan``) are
  errors that say how to write the value, instead of silent values;
- every value and key keeps its line and column, so later steps can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Diagnostic, Source, error

Path = tuple[str | int, ...]

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+(\.[0-9]*)?\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?\Z")
_BASED = re.compile(r"[-+]?0[xXoObB][0-9a-fA-F_]+\Z")
_UNDERSCORE = re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?\Z")
_EXPONENT = re.compile(r"[-+]?([0-9][0-9_]*)?\.?[0-9_]*[eE][-+]?[0-9]+\Z")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)\Z")
_ODD_DECIMAL = re.compile(r"[-+]?([0-9]+\.|\.[0-9]+)\Z|\+[0-9]+(\.[0-9]+)?\Z")


@dataclass
class YamlDoc:
    """A loaded YAML document: its plain value and where each part of it stands."""

    file: str
    data: Any
    values: dict[Path, Source] = field(default_factory=dict)
    keys: dict[Path, Source] = field(default_factory=dict)
    # Column offset from a scalar's mark to its first character of content (1 for quotes).
    content_offsets: dict[Path, int] = field(default_factory=dict)
    single_line: dict[Path, bool] = field(default_factory=dict)

    def at(self, path: Path) -> Source:
        """The position of the value at ``path``, or of its nearest enclosing value."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Source(self.file, 1, 1))

    def key_at(self, path: Path) -> Source:
        """The position of the key that names ``path`` (falls back to the value)."""
        return self.keys.get(path) or self.at(path)

    def inside(self, path: Path, column: int) -> Source:
        """The position of the ``column``-th character (0-based) inside the scalar at ``path``.

        Exact for scalars written on one line; a multi-line scalar points at its start.
        """
        start = self.at(path)
        if not self.single_line.get(path, False):
            return start
        return start.shifted(self.content_offsets.get(path, 0) + column)


def _source(file: str, node_or_event: Any) -> Source:
    mark = node_or_event.start_mark
    return Source(file, mark.line + 1, mark.column + 1)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's composer without anchors, aliases or tags; problems are collected, not raised."""

    MAX_REPORTED = 10  # anchors and aliases named one by one; the rest are counted

    def __init__(self, stream: str, file: str):
        super().__init__(stream)
        self.file = file
        self.problems: list[Diagnostic] = []
        self.references = 0
        self.first_hidden: Source | None = None

    def _reference(self, source: Source, message: str) -> None:
        """An anchor or alias: named while few, then counted (a billion laughs has hundreds)."""
        self.references += 1
        if self.references <= self.MAX_REPORTED:
            self.problems.append(error(source, message))
        elif self.first_hidden is None:
            self.first_hidden = source

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            self._reference(
                _source(self.file, event),
                f"alias '*{event.anchor}' is not allowed; write the value out in full",
            )
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if event.anchor is not None:
            self._reference(
                _source(self.file, event),
                f"anchor '&{event.anchor}' is not allowed; write each value out in full",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            self.problems.append(
                error(
                    _source(self.file, event),
                    f"tag '{shown}' is not allowed; write a plain value (quote it for text)",
                )
            )
        if self.check_event(ScalarEvent):
            return self.compose_scalar_node(None)  # type: ignore[arg-type]  # no anchor
        if self.check_event(SequenceStartEvent):
            return self.compose_sequence_node(None)  # type: ignore[arg-type]
        assert self.check_event(MappingStartEvent)
        return self.compose_mapping_node(None)  # type: ignore[arg-type]


def _plain_scalar(text: str, source: Source) -> tuple[Any, Diagnostic | None]:
    """Resolve an unquoted scalar by innerpay's rules (YAML 1.2 core, minus its surprises)."""
    if text in _NULLS:
        return None, None
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    if _NUMBER.match(text):
        return Decimal(text), None
    hint = None
    if text.lower() in _YAML11_BOOLS:
        hint = (
            f"'{text}' is a boolean in YAML 1.1 and text in YAML 1.2; "
            f'write true or false, or quote it ("{text}") if you mean text'
        )
    elif _LEADING_ZERO.match(text):
        hint = (
            f"'{text}' has a leading zero, which YAML 1.1 reads as an octal number; "
            f'write it without the zero, or quote it ("{text}") if you mean text'
        )
    elif _SEXAGESIMAL.match(text):
        hint = (
            f"'{text}' is a base-60 number in YAML 1.1 (1:30 means 90); "
            f'quote it ("{text}") if you mean text'
        )
    elif _BASED.match(text):
        hint = f"'{text}' is not a decimal number; write it in plain decimal digits"
    elif _EXPONENT.match(text):
        hint = f"'{text}' uses an exponent; write the number in full, e.g. 1500 for 1.5e3"
    elif _SPECIAL_FLOAT.match(text):
        hint = f"'{text}' is not a number innerpay accepts; write a plain decimal number"
    elif "_" in text and _UNDERSCORE.match(text):
        hint = f"'{text}' has underscores; write the number without them"
    elif _ODD_DECIMAL.match(text):
        hint = f"'{text}' is not a plain decimal number; write it like 0.5 or 5"
    if hint:
        return None, error(source, f"ambiguous value: {hint}")
    return text, None


class _Builder:
    """Turns composed nodes into plain values, recording positions and problems."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.problems: list[Diagnostic] = []

    def build(self, node: Node, path: Path) -> Any:
        source = _source(self.doc.file, node)
        self.doc.values[path] = source
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, source)
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        result: dict[str, Any] = {}
        seen: dict[str, Source] = {}
        for key_node, value_node in node.value:
            key_source = _source(self.doc.file, key_node)
            if not isinstance(key_node, ScalarNode):
                self.problems.append(error(key_source, "a key must be plain text"))
                continue
            key = key_node.value
            if key_node.style is None:
                resolved, problem = _plain_scalar(key, key_source)
                if problem:
                    self.problems.append(problem)
                    continue
                if not isinstance(resolved, str):
                    self.problems.append(
                        error(key_source, f'key {key!r} is not text; quote it ("{key}")')
                    )
                    continue
            if key in seen:
                first = seen[key]
                self.problems.append(
                    error(
                        key_source,
                        f"duplicate key '{key}' (first at line {first.line}); "
                        "a key may appear once in a mapping",
                    )
                )
                continue
            seen[key] = key_source
            self.doc.keys[(*path, key)] = key_source
            result[key] = self.build(value_node, (*path, key))
        return result

    def _scalar(self, node: ScalarNode, path: Path, source: Source) -> Any:
        self.doc.single_line[path] = node.start_mark.line == node.end_mark.line
        if node.style is None:
            self.doc.content_offsets[path] = 0
            value, problem = _plain_scalar(node.value, source)
            if problem:
                self.problems.append(problem)
            return value
        self.doc.content_offsets[path] = 1 if node.style in ("'", '"') else 0
        if node.style in ("|", ">"):
            self._block_start(node, path)
        return node.value

    def _block_start(self, node: ScalarNode, path: Path) -> None:
        """A block scalar (``|`` or ``>``) starts on the line after its indicator."""
        buffer = node.start_mark.buffer
        if not isinstance(buffer, str):  # pragma: no cover - we always read from text
            return
        newline = buffer.find("\n", node.start_mark.pointer)
        if newline < 0:
            return
        line = buffer[newline + 1 :].split("\n", 1)[0]
        indent = len(line) - len(line.lstrip(" "))
        self.doc.values[path] = Source(self.doc.file, node.start_mark.line + 2, indent + 1)
        self.doc.single_line[path] = "\n" not in node.value.strip("\n")


def read_yaml(text: str, file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    """Load one YAML document strictly; returns it with every problem found."""
    doc = YamlDoc(file, None)
    try:
        loader = _StrictLoader(text, file)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return doc, [
            error(
                Source(file, line, col), f"character U+{exc.character:04X} is not allowed in YAML"
            )
        ]
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        source = Source(file, mark.line + 1, mark.column + 1) if mark else Source(file, 1, 1)
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.context and problem.startswith("but "):
            problem = f"{exc.context}, {problem}"
        if "block" in problem or "indentation" in problem:
            problem += "; check the indentation of this line and the one before"
        return doc, [error(source, f"YAML syntax: {problem}")]
    except yaml.YAMLError as exc:
        return doc, [error(Source(file, 1, 1), f"YAML syntax: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return doc, [error(Source(file, 1, 1), "the file is empty")]
    builder = _Builder(doc)
    doc.data = builder.build(node, ())
    hidden = loader.references - loader.MAX_REPORTED
    if hidden > 0 and loader.first_hidden is not None:
        loader.problems.append(
            error(
                loader.first_hidden,
                f"{hidden} more anchors or aliases from here on; none is allowed",
            )
        )
    return doc, loader.problems + builder.problems
