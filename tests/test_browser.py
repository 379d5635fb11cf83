"""The HTML reports in a real headless Chromium: no console error, every element there.

Skipped, with the reason, where no Chromium is installed; CI's `.ci/run` installs one and sets
INNERPAY_REQUIRE_BROWSER=1, so that there the test cannot be skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import run_cli

CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
REQUIRED = os.environ.get("INNERPAY_REQUIRE_BROWSER") == "1"

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason="no Chromium on this machine (apt-get install chromium); CI installs it",
)

CONSOLE = re.compile(r":(INFO|WARNING|ERROR):CONSOLE[:(]\d+\)?\] (.*)")


def render(page: Path, profile: Path) -> tuple[str, list[str]]:
    """The page's DOM after loading, and every console message it logged."""
    assert CHROMIUM is not None, "INNERPAY_REQUIRE_BROWSER=1 but no Chromium is installed"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [m.group(2) for m in CONSOLE.finditer(done.stderr)]
    return done.stdout, console


def test_the_check_sees_a_console_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<p id='x'>hi</p><script>undefinedFunction()</script>", encoding="utf-8")
    dom, console = render(page, tmp_path / "profile")
    assert 'id="x"' in dom
    assert any("Uncaught ReferenceError" in line for line in console)


def test_the_reports_render_clean_with_every_element(company: Path, tmp_path: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05"]).code == 0
    folder = company / "out" / "2024-05"
    expected = {
        "departments.html": [
            '<svg id="loop"',
            'id="scores"',
            'class="department" data-id="administration"',
            *(['class="trend"'] * 5),  # every department with a score has its chart
            'class="score"',
            'class="target"',
        ],
        "promotion.html": ['class="candidates"', 'class="signoff"', "Sign-off"],
        "payslips/E013.html": ['id="net"', "差旅补差 Travel expense correction"],
    }
    for name, needles in expected.items():
        dom, console = render(folder / name, tmp_path / "profile")
        assert console == [], (name, console)
        for needle in set(needles):
            assert dom.count(needle) >= needles.count(needle), (name, needle)
        assert "<script" not in dom  # self-contained and static: nothing runs
        assert not re.search(r'(src|href)="(https?:)?//', dom)  # nothing is fetched
