"""The strict YAML reader: values exactly as written, every surprise an error with its position."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerpay.policy import yamlread
from innerpay.policy.yamlread import read_yaml


def load(text: str) -> tuple[object, list[str]]:
    doc, problems = read_yaml(text, "p.yaml")
    return doc.data, [str(p) for p in problems]


def test_numbers_are_decimals_from_their_text() -> None:
    data, problems = load("a: 0.30\nb: 2000\nc: -1.5\nd: 0.1\n")
    assert problems == []
    assert data == {
        "a": Decimal("0.30"),
        "b": Decimal("2000"),
        "c": Decimal("-1.5"),
        "d": Decimal("0.1"),
    }
    assert str(data["a"]) == "0.30"  # type: ignore[index]  # the text, trailing zero and all


def test_quoted_scalars_stay_text_and_plain_text_is_text() -> None:
    data, problems = load("a: \"no\"\nb: '00123'\nc: 2024-05\nd: hello world\ne: 经理\n")
    assert problems == []
    assert data == {"a": "no", "b": "00123", "c": "2024-05", "d": "hello world", "e": "经理"}


def test_null_and_booleans_of_yaml_1_2() -> None:
    data, problems = load("a:\nb: ~\nc: true\nd: False\n")
    assert problems == []
    assert data == {"a": None, "b": None, "c": True, "d": False}


@pytest.mark.parametrize(
    ("value", "number"),
    [(".35", "0.35"), ("5.", "5"), ("+5", "5"), ("-.5", "-0.5"), ("+1500.25", "1500.25")],
)
def test_numbers_every_yaml_reads_alike_are_accepted(value: str, number: str) -> None:
    # An editor's schema sees these as the numbers they are: innerpay agrees with it.
    doc, problems = read_yaml(f"key: {value}\n", "p.yaml")
    assert problems == []
    assert doc.data == {"key": Decimal(number)} and str(doc.data["key"]) == number


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("yes", "'yes' is a boolean in YAML 1.1"),
        ("Off", "'Off' is a boolean in YAML 1.1"),
        ("00123", "leading zero"),
        ("1:30", "base-60"),
        ("0x1F", "not a decimal number"),
        ("1e3", "uses an exponent"),
        ("1.23E+17", "uses an exponent"),
        (".5e3", "uses an exponent"),
        (".nan", "not a number innerpay accepts"),
        ("-.inf", "not a number innerpay accepts"),
        ("1_000", "underscores"),
        ("05.", "leading zero"),
    ],
)
def test_yaml_1_1_surprises_are_errors(value: str, fragment: str) -> None:
    _, problems = load(f"key: {value}\n")
    assert len(problems) == 1
    assert problems[0].startswith("p.yaml:1:6: error: ambiguous value: ")
    assert fragment in problems[0]


def test_keys_that_are_not_text() -> None:
    _, problems = load("1: a\nno: b\n")
    assert problems == [
        "p.yaml:1:1: error: key '1' is not text; quote it (\"1\")",
        "p.yaml:2:1: error: ambiguous value: 'no' is a boolean in YAML 1.1 and text in YAML 1.2; "
        'write true or false, or quote it ("no") if you mean text',
    ]


def test_billion_laughs_is_refused_before_anything_expands() -> None:
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    data, problems = load(lol)
    assert all("anchor" in p or "alias" in p for p in problems)
    # ten named one by one, the other 23 of the 9 anchors and 24 aliases counted in one line
    assert len(problems) == 11
    assert (
        problems[-1]
        == "p.yaml:4:8: error: 23 more anchors or aliases from here on; none is allowed"
    )
    assert isinstance(data, dict)


def test_several_documents_are_an_error() -> None:
    _, problems = load("a: 1\n---\nb: 2\n")
    assert problems == [
        "p.yaml:2:1: error: YAML syntax: expected a single document in the stream, "
        "but found another document"
    ]


def test_positions_of_values_and_keys() -> None:
    doc, _ = read_yaml("top:\n  inner: [1, 2]\n  formula: 'a + b'\n", "p.yaml")
    assert str(doc.at(("top", "inner", 1))) == "p.yaml:2:14"
    assert str(doc.key_at(("top", "inner"))) == "p.yaml:2:3"
    assert str(doc.inside(("top", "formula"), 2)) == "p.yaml:3:15"  # the '+', past the quote


@given(st.text(max_size=200))
def test_any_text_loads_or_gives_positioned_diagnostics(text: str) -> None:
    _, problems = read_yaml(text, "f.yaml")
    for problem in problems:
        assert problem.source.file == "f.yaml"
        assert problem.source.line >= 1
        assert problem.is_error


# --- libyaml for large policies: the same document as the pure-Python reader, or none ------------

REPO = Path(__file__).resolve().parent.parent
YAML_FILES = sorted(
    str(p.relative_to(REPO))
    for folder in ("policies", "tests/cases", "tests/fuzz")
    for p in (REPO / folder).rglob("*.yaml")
)


def both_ways(text: str) -> tuple[tuple[Any, ...], tuple[Any, ...], bool]:
    """The document read by the pure-Python reader and by libyaml (where it takes the text)."""
    slow = yamlread.read_python(text, "p.yaml")
    fast = yamlread.read_fast(text, "p.yaml")
    found = []
    for doc, problems in (slow, fast or slow):
        found.append(
            (doc.data, doc.values, doc.keys, doc.content_offsets, doc.single_line,
             [str(p) for p in problems])
        )  # fmt: skip
    return found[0], found[1], fast is not None


def test_libyaml_reads_every_policy_of_the_repository_alike() -> None:
    assert len(YAML_FILES) > 40
    fast = 0
    for name in YAML_FILES:
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        slow, quick, used = both_ways(text)
        assert quick == slow, name
        fast += used
    assert fast >= 20  # many of them went through libyaml


def test_a_large_policy_is_read_by_libyaml() -> None:
    text = (REPO / "policies" / "2024-05.yaml").read_text(encoding="utf-8")
    big = text + "".join(f"# a comment line {k} to make the file large\n" for k in range(2000))
    assert len(big) >= yamlread.C_MIN_CHARS
    assert yamlread.read_fast(big, "p.yaml") is not None
    doc, problems = read_yaml(big, "p.yaml")
    assert [str(p) for p in problems] == []
    assert doc.data["version"] == "2024.05"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab: -[]{}'\"|>\n#&*!1.0,?")), max_size=80))
def test_libyaml_and_the_python_reader_agree_on_any_text(text: str) -> None:
    slow, quick, _ = both_ways(text)
    assert quick == slow


KEYS = st.sampled_from(["a", "b_c", "x1", "k.y", "n-m"])
SCALARS = st.sampled_from(
    ["1", "0.30", "-2", "x", "a b", "yes", "~", "null", "true", "0123", "1e3", '"q"', "'s'",
     '"a: b"', "a#b", "[1, 2]", "[]", "{a: 1, b: x}", "{}", "[x, \"y\"]", "1:30", ">-", "|",
     "base * (x + 1)", "-", "- 1", "a: b", "&a x", "*a", "!t x", ""]
)  # fmt: skip
LINES = st.tuples(
    st.sampled_from(["", "  ", "    ", "- ", "  - ", "- - "]),
    st.one_of(KEYS.map(lambda k: f"{k}:"), st.just("")),
    SCALARS,
    st.sampled_from(["", " # note", "#x"]),
).map(lambda t: f"{t[0]}{t[1]}{' ' if t[1] and t[2] else ''}{t[2]}{t[3]}")


@settings(max_examples=1000, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=12).map("\n".join))
def test_libyaml_and_the_python_reader_agree_on_policy_like_text(text: str) -> None:
    slow, quick, _ = both_ways(text)
    assert quick == slow


@pytest.mark.parametrize(
    "text",
    [
        "a: !!str x\n",  # a tag
        "a: &x 1\nb: *x\n",  # an anchor and its alias
        "a:\nb: 1\n",  # an empty value
        "a: # nothing\nb: 1\n",
    ],
)
def test_what_libyaml_would_let_pass_goes_to_the_python_reader(text: str) -> None:
    """Even past the plain-subset test, a tag, an alias or an empty value is never read by
    libyaml's composer: the pure-Python reader says where it is."""
    assert yamlread.read_fast(text, "p.yaml", plain_only=False) is None
    assert yamlread.read_fast("a: 1\nb: [x, 'y']\n", "p.yaml", plain_only=False) is not None


def test_an_id_like_e024_is_text() -> None:
    # No YAML reads E024 as a number (an exponent needs digits before it): an id, unquoted.
    doc, problems = read_yaml("people: [E024, e5, E1e3]\n", "p.yaml")
    assert problems == []
    assert doc.data == {"people": ["E024", "e5", "E1e3"]}
