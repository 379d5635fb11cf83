"""The fuzz targets run on every policy of the repository and every bad case, and on random text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import CASES, ROOT
from .fuzz.targets import check_formula_text, check_policy_text

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
