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
import yaml.cyaml
from yaml.events import (
    AliasEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import Diagnostic, Source, error
from ..limits import MAX_SCALAR_CHARS

Path = tuple[str | int, ...]

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")
# Numbers every YAML version and every editor reads alike, though not written plainly: .35, 5.,
# +5 (accepted as written: an editor's schema sees the same number, so both say the same).
_ALSO_NUMBER = re.compile(r"[-+]?((0|[1-9][0-9]*)\.|\.[0-9]+)\Z|\+(0|[1-9][0-9]*)(\.[0-9]+)?\Z")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+(\.[0-9]*)?\Z")
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?\Z")
_BASED = re.compile(r"[-+]?0[xXoObB][0-9a-fA-F_]+\Z")
_UNDERSCORE = re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?\Z")
# A number with an exponent (1e3, 1.5E+3, .5e3): no YAML reads E024, an id, as one.
_EXPONENT = re.compile(r"[-+]?([0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE][-+]?[0-9]+\Z")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF|nan|NaN|NAN)\Z")
_NUMBER_START = frozenset("-+.0123456789eE")  # where every pattern below can start
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
    # A block scalar's lines: the first one's number, the block's indent, each line's length.
    blocks: dict[Path, tuple[int, int, tuple[int, ...]]] = field(default_factory=dict)

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

        Exact for scalars written on one line and for block scalars (``>-``, ``|``) without blank
        lines; another multi-line scalar points at its start.
        """
        start = self.at(path)
        if path in self.blocks:
            first, indent, lengths = self.blocks[path]
            for k, length in enumerate(lengths):  # a line break (or the space folding made of
                if column <= length:  # one) is one character, as the line's indent is none
                    return Source(self.file, first + k, indent + column + 1)
                column -= length + 1
            return start
        if not self.single_line.get(path, False):
            return start
        return start.shifted(self.content_offsets.get(path, 0) + column)


def _source(file: str, node_or_event: Any) -> Source:
    mark = node_or_event.start_mark
    return Source(file, mark.line + 1, mark.column + 1)


class _Strict:
    """PyYAML's composer without anchors, aliases or tags; problems are collected, not raised."""

    MAX_REPORTED = 10  # anchors and aliases named one by one; the rest are counted

    file: str
    problems: list[Diagnostic]
    references: int
    first_hidden: Source | None
    check_event: Any
    peek_event: Any
    get_event: Any
    compose_scalar_node: Any
    compose_sequence_node: Any
    compose_mapping_node: Any

    def _start(self, file: str) -> None:
        self.file = file
        self.problems = []
        self.references = 0
        self.first_hidden = None

    def _reference(self, source: Source, message: str) -> None:
        """An anchor or alias: named while few, then counted (a billion laughs has hundreds)."""
        self.references += 1
        if self.references <= self.MAX_REPORTED:
            self.problems.append(error(source, message))
        elif self.first_hidden is None:
            self.first_hidden = source

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()
            self._reference(
                _source(self.file, event),
                f"alias '*{event.anchor}' is not allowed; write the value out in full",
            )
            return ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        event = self.peek_event()
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
            node: Node = self.compose_scalar_node(None)  # no anchor
            return node
        if self.check_event(SequenceStartEvent):
            node = self.compose_sequence_node(None)
            return node
        assert self.check_event(MappingStartEvent)
        node = self.compose_mapping_node(None)
        return node


class _StrictLoader(_Strict, yaml.SafeLoader):
    """The pure-Python reader: every problem in PyYAML's own words, at its position."""

    def __init__(self, stream: str, file: str):
        yaml.SafeLoader.__init__(self, stream)
        self._start(file)


# --- libyaml, for a large policy written in the plain subset of YAML -----------------------------

#: Larger policies are read by libyaml (1,000 departments: three times faster), when every line
#: is of the plain subset below, where libyaml and PyYAML are known to agree (a property test
#: holds them to it); any other text, and any problem, is the pure-Python reader's.
C_MIN_CHARS = 64 * 1024
_C_PARSER: Any = getattr(yaml.cyaml, "CParser", None) if yaml.__with_libyaml__ else None

_KEY = r"[A-Za-z_][A-Za-z0-9_.-]*"
_WORD = r"(?:-?[A-Za-z0-9_.][A-Za-z0-9_.-]*)"
_FLOW_ITEM = rf'(?:{_WORD}|"[^"\\\n]*")'
_PLAIN = r"(?:-?[^\s?:,\[\]{}#&*!|>'\"%@`-](?:(?!:(?: |$)| #)[^\n])*)"
_VALUE = (
    rf"(?:{_PLAIN}"
    r'|"[^"\\\n]*"'
    r"|'[^'\n]*'"
    rf"|\[ *(?:{_FLOW_ITEM}(?:, *{_FLOW_ITEM})*)? *\]"
    rf"|\{{ *(?:{_KEY}: +{_FLOW_ITEM}(?:, *{_KEY}: +{_FLOW_ITEM})*)? *\}})"
)
_ENTRY = rf"(?:{_KEY}:(?: +(?:{_VALUE}|(?P<block>[|>][-+]?)))?|{_VALUE})"
_SAFE_LINE = re.compile(rf" *(?:- +)*{_ENTRY}?(?: +#[^\n]*)?\Z")
_COMMENT_LINE = re.compile(r" *(?:#[^\n]*)?\Z")


def _plain_subset(text: str) -> bool:
    """Whether every line is a comment, a `key: value`, a `- value`, or inside a block scalar
    (`|`, `>`); values plain, quoted without escapes, or one-line flow lists and mappings."""
    if "\t" in text or "\r" in text or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return False
    block = -1  # the indentation of the key whose block scalar is being read
    for line in text.split("\n"):
        if block >= 0:
            if not line.strip() or len(line) - len(line.lstrip(" ")) > block:
                continue  # block scalar content: any text
            block = -1
        if _COMMENT_LINE.match(line):
            continue
        found = _SAFE_LINE.match(line)
        if found is None:
            return False
        if found.group("block"):
            block = len(line) - len(line.lstrip("- "))  # the key's column
    return True


class _SlowPath(Exception):
    """A document that the pure-Python reader must read (to give its positions)."""


if _C_PARSER is not None:

    class _CComposer(_C_PARSER):  # type: ignore[misc]
        """libyaml's own composer, in C.  Implicit tags are left unresolved (innerpay types
        plain scalars itself): a node with a tag was given one explicitly."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
            return ""

        def descend_resolver(self, parent: Any, index: Any) -> None:
            pass

        def ascend_resolver(self) -> None:
            pass


def read_fast(
    text: str, file: str, plain_only: bool = True
) -> tuple[YamlDoc, list[Diagnostic]] | None:
    """See :func:`_read_fast`; a document nested hundreds deep is an error, not a crash."""
    try:
        return _read_fast(text, file, plain_only)
    except RecursionError:
        return _too_deep(file)


def _read_fast(
    text: str, file: str, plain_only: bool = True
) -> tuple[YamlDoc, list[Diagnostic]] | None:
    """The document composed by libyaml, or None: the pure-Python reader takes it.  Only text
    of the plain subset is tried (``plain_only``; the tests try any text, and find libyaml's
    own composer stepping aside where it would let something pass)."""
    if _C_PARSER is None or (plain_only and not _plain_subset(text)):
        return None
    composer = _CComposer(text)
    try:
        node = composer.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        composer.dispose()
    strict = _Strict()
    strict._start(file)
    try:
        return _built(YamlDoc(file, None), text, node, strict, from_c=True)
    except _SlowPath:
        return None


def _plain_scalar(text: str, source: Source) -> tuple[Any, Diagnostic | None]:
    """Resolve an unquoted scalar by innerpay's rules (YAML 1.2 core, minus its surprises)."""
    if text in _NULLS:
        return None, None
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    if text[0] not in _NUMBER_START and text.lower() not in _YAML11_BOOLS:
        return text, None  # text: no surprise below starts otherwise
    if _NUMBER.match(text) or _ALSO_NUMBER.match(text):
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

    def __init__(self, doc: YamlDoc, text: str, from_c: bool = False):
        self.doc = doc
        self.text = text
        self.lines = text.split("\n")
        self.problems: list[Diagnostic] = []
        self.from_c = from_c
        self.seen: set[int] = set()

    def build(self, node: Node, path: Path) -> Any:
        if self.from_c:
            self._check_c(node)
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
            if len(key) > MAX_SCALAR_CHARS:
                self.problems.append(error(key_source, f"a key of {len(key):,} characters; a "
                                           f"policy's keys are at most {MAX_SCALAR_CHARS:,} "
                                           "(MAX_SCALAR_CHARS)"))  # fmt: skip
                continue
            if not key_node.style:  # plain (None, or "" from libyaml)
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

    def _check_c(self, node: Node) -> None:
        """What libyaml's composer would let pass silently: the pure-Python reader says it."""
        if node.tag:
            raise _SlowPath  # a tag
        if id(node) in self.seen:
            raise _SlowPath  # an alias: the node of its anchor, again
        self.seen.add(id(node))
        if isinstance(node, ScalarNode) and not node.style and not node.value:
            raise _SlowPath  # an empty value: libyaml puts it after the space

    def _scalar(self, node: ScalarNode, path: Path, source: Source) -> Any:
        self.doc.single_line[path] = node.start_mark.line == node.end_mark.line
        if len(node.value) > MAX_SCALAR_CHARS:
            self.problems.append(error(source, f"a value of {len(node.value):,} characters; a "
                                       f"policy's values are at most {MAX_SCALAR_CHARS:,} "
                                       "(MAX_SCALAR_CHARS)"))  # fmt: skip
            return ""
        if not node.style:  # plain
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
        lines = self.lines
        if len(lines) < node.start_mark.line + 2:
            return
        line = lines[node.start_mark.line + 1]
        indent = len(line) - len(line.lstrip(" "))
        self.doc.values[path] = Source(self.doc.file, node.start_mark.line + 2, indent + 1)
        self.doc.single_line[path] = "\n" not in node.value.strip("\n")
        body = lines[node.start_mark.line + 1 : node.end_mark.line]
        while body and not body[-1].strip():
            body.pop()  # the lines after the scalar's last (its end mark is past them)
        if body and all(x.strip() for x in body):  # a blank line folds two breaks into one
            lengths = tuple(len(x) - indent for x in body)
            self.doc.blocks[path] = (node.start_mark.line + 2, indent, lengths)


def read_yaml(text: str, file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    """Load one YAML document strictly; returns it with every problem found (a large policy
    by libyaml where it can, else by the pure-Python reader: the same document).  A document
    nested more deeply than any policy is (hundreds of levels) is an error, not a crash."""
    if len(text) >= C_MIN_CHARS:
        fast = read_fast(text, file)
        if fast is not None:
            return fast
    return read_python(text, file)


def _too_deep(file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    return YamlDoc(file, None), [error(Source(file, 1, 1), "the YAML is nested too deeply to "
                                       "be a policy (hundreds of levels of lists or mappings); "
                                       "write it flat")]  # fmt: skip


#: Full-width characters a Chinese keyboard types where YAML wants their ASCII forms.
FULL_WIDTH = {"：": ":", "，": ",", "［": "[", "］": "]", "｛": "{", "｝": "}", "－": "-"}
_NAMES = {"：": "colon", "，": "comma", "［": "bracket", "］": "bracket", "｛": "brace",
          "｝": "brace", "－": "minus sign"}  # fmt: skip
_KEY_COLON = re.compile(r"\s*(?:-\s+)?[A-Za-z_][A-Za-z0-9_]*\s*(：)")
_FLOW_MARK = re.compile(r"(?<=[0-9\]\}])\s*([，］｝])|([［｛，])\s*(?=[0-9\[{-])")


def typing_mistakes(text: str, file: str) -> list[Diagnostic]:
    """Tabs and full-width spaces in the indentation, full-width colons after a key and
    full-width punctuation between numbers: each at its own line and column, with the fix."""
    found: list[Diagnostic] = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = re.match(r"[ \t\u3000]*", line)
        lead = indent.group(0) if indent else ""
        for col, char in enumerate(lead, start=1):
            if char == "\t":
                found.append(error(Source(file, number, col), "a tab in the indentation: YAML "
                                   "indents with spaces; replace the tab with spaces"))  # fmt: skip
                break
            if char == "\u3000":
                found.append(error(Source(file, number, col), "a full-width space (U+3000) in the "
                                   "indentation; replace it with ordinary spaces"))  # fmt: skip
                break
        key = _KEY_COLON.match(line)
        marks = [(key.start(1), "：")] if key else []
        marks += [(m.start(1) if m.group(1) else m.start(2), m.group(1) or m.group(2))
                  for m in _FLOW_MARK.finditer(line)]  # fmt: skip
        for start, char in sorted(set(marks)):
            found.append(
                error(Source(file, number, start + 1), f"replace the full-width {_NAMES[char]} "
                      f"'{char}' with '{FULL_WIDTH[char]}'")
            )  # fmt: skip
    return found


def read_python(text: str, file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    """Load one YAML document strictly with PyYAML's pure-Python reader (every problem in its
    words, at its position); a document nested hundreds deep is an error, not a crash."""
    try:
        return _read_python(text, file)
    except RecursionError:
        return _too_deep(file)


def _read_python(text: str, file: str) -> tuple[YamlDoc, list[Diagnostic]]:
    """The reader of :func:`read_python`."""
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
        typed = typing_mistakes(text, file)
        if typed:  # the cause, in plain words, rather than what the YAML scanner makes of it
            return doc, typed
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
    return _built(doc, text, node, loader)


def _built(
    doc: YamlDoc, text: str, node: Node | None, loader: _Strict, from_c: bool = False
) -> tuple[YamlDoc, list[Diagnostic]]:
    file = doc.file
    if node is None:
        return doc, [error(Source(file, 1, 1), "the file is empty")]
    builder = _Builder(doc, text, from_c)
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
