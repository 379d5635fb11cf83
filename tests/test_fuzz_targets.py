"""The fuzz targets run on every policy of the repository and every bad case, and on random text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import CASES, ROOT
from .fuzz.targets import (
    check_formula_text,
    check_manifest_text,
    check_policy_text,
    check_xlsx_bytes,
)

SEEDS = sorted((ROOT / "policies").glob("*.yaml")) + sorted((CASES / "policy").glob("*.yaml"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_policy_target_on_the_seeds(seed: Path) -> None:
    check_policy_text(seed.read_text(encoding="utf-8"))


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_policy_target_on_random_text(text: str) -> None:
    check_policy_text(text)


@settings(max_examples=300)
@given(
    st.from_regex(
        r"[abcdtfn0-9 .+*/()<>=!-]{0,40}|(step|prorate|min|max|abs|round)\([a-c0-9, ]*\)",
        fullmatch=True,
    )
)
def test_formula_target_on_formula_like_text(text: str) -> None:
    check_formula_text(text)


def workbook_bytes() -> bytes:
    """The reference company's employees of 2024-05 as a workbook (the seed of the xlsx target)."""
    import csv
    import io

    import openpyxl

    book = openpyxl.Workbook()
    with (ROOT / "fixtures" / "2024-05" / "employees.csv").open(encoding="utf-8") as handle:
        for row in csv.reader(handle):
            book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SEED_BOOK = workbook_bytes()


def test_xlsx_target_on_its_seed() -> None:
    check_xlsx_bytes(SEED_BOOK)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SEED_BOOK) - 1), st.integers(0, 255)),
                max_size=8))  # fmt: skip
def test_xlsx_target_on_a_mutated_workbook(flips: list[tuple[int, int]]) -> None:
    raw = bytearray(SEED_BOOK)
    for at, byte in flips:
        raw[at] = byte
    check_xlsx_bytes(bytes(raw))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_xlsx_target_on_random_bytes(raw: bytes) -> None:
    check_xlsx_bytes(raw)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=4),
    max_leaves=12,
)  # fmt: skip
KEYS = ["period", "options", "inputs", "outputs", "root", "policy", "draft", "year_to_date"]


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), JSON, max_size=8))
def test_manifest_target_on_manifest_like_json(manifest: dict) -> None:  # type: ignore[type-arg]
    import json

    check_manifest_text(json.dumps(manifest))


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=200))
def test_manifest_target_on_random_text(text: str) -> None:
    check_manifest_text(text)
