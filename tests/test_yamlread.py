"""The strict YAML reader: values exactly as written, every surprise an error with its position."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innerpay.yamlread import read_yaml


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
    ("value", "fragment"),
    [
        ("yes", "'yes' is a boolean in YAML 1.1"),
        ("Off", "'Off' is a boolean in YAML 1.1"),
        ("00123", "leading zero"),
        ("1:30", "base-60"),
        ("0x1F", "not a decimal number"),
        ("1e3", "uses an exponent"),
        ("1.23E+17", "uses an exponent"),
        (".nan", "not a number innerpay accepts"),
        ("-.inf", "not a number innerpay accepts"),
        ("1_000", "underscores"),
        ("+5", "not a plain decimal number"),
        (".5", "not a plain decimal number"),
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
