"""Ballot secrecy: no report shows the share, counts or turnout of an electorate smaller than the
policy's `min_voters_shown` (default 3), nor a score made from them; the gates are decided on
the exact figures all the same, and the report says where a figure is withheld and why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import run_cli

SHOWN = re.compile(r"(\d+)/(\d+) yes: [^;|]*; turnout (\d+)/(\d+)")
WITHHELD = re.compile(r"figures withheld: an electorate of (\d+) \(fewer than (\d+) voters\)")


def smallest(company: Path, voters: int) -> None:
    for policy in (company / "policies").glob("*.yaml"):
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("  weights: {", f"  min_voters_shown: {voters}\n  weights: {{"),
                          encoding="utf-8")  # fmt: skip


def gate_cells(report: str) -> list[tuple[str, list[str]]]:
    """(candidate, [gate B cell, gate C cell, score cell]) of each candidate row."""
    rows = []
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 7 and re.search(r"\(E\d+\)$", cells[0]):
            rows.append((cells[0], [cells[2], cells[3], cells[5]]))
    return rows


@pytest.mark.parametrize("voters", [None, 1, 6])
def test_no_report_shows_the_figures_of_a_small_electorate(company: Path, voters: int) -> None:
    if voters is not None:
        smallest(company, voters)
    least = 3 if voters is None else voters
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    out = company / "out" / "2024-05"
    report = (out / "promotion.md").read_text(encoding="utf-8")
    rows = gate_cells(report)
    assert len(rows) == 7
    withheld = 0
    for _, (customer, own, score) in rows:
        for cell in (customer, own):
            shown, hidden = SHOWN.search(cell), WITHHELD.search(cell)
            assert bool(shown) != bool(hidden), cell  # figures, or why they are not there
            if shown:
                _, _, _, electorate = map(int, shown.groups())
                assert electorate >= least or electorate == 0, cell
            else:
                electorate, said = map(int, hidden.groups())
                assert 0 < electorate < least == said
                withheld += 1
        if WITHHELD.search(customer) or WITHHELD.search(own):
            assert score in ("withheld", "—")  # the score would tell the share
    assert withheld == {None: 1, 1: 0, 6: 9}[voters]
    # The HTML report withholds the same figures.
    html = (out / "promotion.html").read_text(encoding="utf-8")
    assert html.count("figures withheld") == withheld
    # The decision is the exact figures': results.json (for whoever holds ballots.csv) keeps them.
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["promotion"]["E029"]["own_passed"] is True


def test_the_reference_company_withholds_the_one_voter_of_administration(company: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    report = (company / "out" / "2024-05" / "promotion.md").read_text(encoding="utf-8")
    (row,) = [cells for who, cells in gate_cells(report) if who.endswith("(E029)")]
    assert row[1] == "figures withheld: an electorate of 1 (fewer than 3 voters) — pass"
    assert "1/1 yes" not in report
