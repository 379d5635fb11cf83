"""The HTML reports in a real headless Chromium: no console error, every element there.

Skipped, with the reason, where no Chromium is installed; CI's `.ci/run` installs one and sets
INNERPAY_REQUIRE_BROWSER=1, so that there the test cannot be skipped.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT, run_cli

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


# --- looked at as a person looks: geometry, not pixels -------------------------------------------

MEASURE = """
<script>
(() => {
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const textBox = e => { const range = document.createRange(); range.selectNodeContents(e);
                         return box(range); };
  const out = {};
  const svg = document.querySelector('#loop');
  if (svg) {
    const at = (el, x, y) => { const p = svg.createSVGPoint(); p.x = x; p.y = y;
                               const q = p.matrixTransform(el.getScreenCTM()); return [q.x, q.y]; };
    out.svg = box(svg);
    out.departments = [...svg.querySelectorAll('g.department')].map(g => ({
      id: g.dataset.id, rect: box(g.querySelector('rect')), text: box(g.querySelector('text'))}));
    out.labels = [...svg.querySelectorAll('g.label')].map(g => ({
      text: box(g.querySelector('text')), said: g.textContent}));
    out.lines = [...svg.querySelectorAll('line.appraisal')].map(l => [
      ...at(l, l.x1.baseVal.value, l.y1.baseVal.value), ...at(l, l.x2.baseVal.value, l.y2.baseVal.value)]);
  }
  const pay = document.querySelector('#pay');
  if (pay) {
    for (const kind of ['earning', 'deduction']) {
      out[kind] = [...pay.querySelectorAll('td.' + kind)].filter(td => td.textContent.trim())
                  .map(td => textBox(td));
    }
    out.labels = [...pay.querySelectorAll('td:first-child')].map(td => box(td));
  }
  const pre = document.createElement('pre');
  pre.id = 'geometry';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


def measured(page: Path, profile: Path) -> dict[str, Any]:
    """The geometry of a page's loop diagram or slip, as Chromium lays it out."""
    probe = page.with_name(page.stem + ".measured.html")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    dom, console = render(probe, profile)
    assert console == [], console
    found = re.search(r'<pre id="geometry">(.*?)</pre>', dom, re.S)
    assert found, dom[-500:]
    return json.loads(html.unescape(found.group(1)))  # type: ignore[no-any-return]


def overlap(a: list[float], b: list[float], gap: float = 0.5) -> bool:
    return a[0] < b[2] - gap and b[0] < a[2] - gap and a[1] < b[3] - gap and b[1] < a[3] - gap


def crosses(line: list[float], box: list[float]) -> bool:
    """Whether a segment passes through a box's inside (Liang-Barsky)."""
    x1, y1, x2, y2 = line
    low, high = 0.0, 1.0
    for start, delta, lo, hi in ((x1, x2 - x1, box[0] + 0.5, box[2] - 0.5),
                                 (y1, y2 - y1, box[1] + 0.5, box[3] - 0.5)):  # fmt: skip
        if delta == 0:
            if not lo <= start <= hi:
                return False
            continue
        a, b = (lo - start) / delta, (hi - start) / delta
        low, high = max(low, min(a, b)), min(high, max(a, b))
        if low > high:
            return False
    return True


def inside(inner: list[float], outer: list[float], slack: float = 0.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)  # fmt: skip


def check_loop(geometry: dict[str, Any], departments: int) -> None:
    """No text over another, none struck through by a line, none outside its box or the
    drawing."""
    assert len(geometry["departments"]) == departments
    texts = [d["text"] for d in geometry["departments"]] + [x["text"] for x in geometry["labels"]]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert not overlap(a, b), (a, b)
    for line in geometry["lines"]:
        for text in texts:
            assert not crosses(line, text), (line, text)
    for d in geometry["departments"]:
        assert inside(d["text"], d["rect"]), d  # nothing clipped by its box
    for text in texts:
        assert inside(text, geometry["svg"]), text  # nor by the drawing's edge
    assert not any("_rate" in x["said"] for x in geometry["labels"])  # names, not ids


def test_the_loop_diagram_of_the_reference_company_is_legible(
    company: Path, tmp_path: Path
) -> None:
    assert run_cli(["compute", "--period", "2024-05", "--format", "html"]).code == 0
    page = company / "out" / "2024-05" / "departments.html"
    geometry = measured(page, tmp_path / "profile")
    check_loop(geometry, 6)
    assert {x["said"] for x in geometry["labels"]} >= {"交货率 Delivery rate ≥ 90%",
                                                       "到款率 Payment rate ≥ 95%"}  # fmt: skip


def twenty_departments() -> str:
    """A policy of 20 departments in one loop, every fourth also appraised across the circle."""
    names = ["销售 Sales", "物控 Material Control", "生产 Production", "采购 Purchasing",
             "财务 Finance", "品质 Quality", "研发 R&D", "仓储 Warehouse", "物流 Logistics",
             "人事 Human Resources", "行政 Administration", "信息 IT", "设备 Equipment",
             "工程 Engineering", "市场 Marketing", "客服 Customer Service", "法务 Legal",
             "审计 Audit", "安全 Safety", "培训 Training"]  # fmt: skip
    metrics = ["shipping_rate", "delivery_rate", "purchase_rate", "payment_rate", "collection_rate"]
    lines = ["innerpay: 1", 'version: "twenty"', "effective_from: 2024-01", "rounding: half_up",
             "employee_fields: {base_salary: money}", "metrics:"]  # fmt: skip
    for m in metrics:
        label = m.replace("_", " ").capitalize()
        lines += [f"  {m}: {{label: 率 {label} (on time), table: t, success: ok}}"]
    lines.append("departments:")
    for i, name in enumerate(names):
        zh, en = name.split(" ", 1)
        lines += [f"  d{i:02d}:", f"    name: {zh}部 {en}", "    customers:",
                  f"      - {{department: d{(i + 1) % 20:02d}, metric: {metrics[i % 5]}, "
                  "target: 0.9}"]  # fmt: skip
        if i % 4 == 0:
            lines.append(f"      - {{department: d{(i + 10) % 20:02d}, metric: "
                         f"{metrics[(i + 1) % 5]}, target: 0.95}}")  # fmt: skip
    lines += ["pay:", "  lines:", "    - {id: base, label: Base, formula: base_salary}"]
    return "\n".join(lines) + "\n"


def test_the_loop_diagram_of_twenty_departments_is_legible(tmp_path: Path) -> None:
    from innerpay.policy.versions import load_policy_file
    from innerpay.render.svg import loop_diagram

    source = tmp_path / "twenty.yaml"
    source.write_text(twenty_departments(), encoding="utf-8")
    policy, problems = load_policy_file(str(source))
    assert policy is not None, [str(p) for p in problems]
    style = (ROOT / "templates" / "_style.html.j2").read_text(encoding="utf-8")
    page = tmp_path / "loop.html"
    page.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{style}'
                    f'</head><body><figure class="diagram">{loop_diagram(policy)}</figure>'
                    "</body></html>", encoding="utf-8")  # fmt: skip
    check_loop(measured(page, tmp_path / "profile"), 20)


def test_the_slips_columns_align(company: Path, tmp_path: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05", "--format", "html"]).code == 0
    for employee in ("E006", "E013", "E003"):  # prorated, an adjustment earned, one deducted
        page = company / "out" / "2024-05" / "payslips" / f"{employee}.html"
        geometry = measured(page, tmp_path / "profile")
        for kind in ("earning", "deduction"):
            rights = {round(box[2], 1) for box in geometry[kind]}
            assert len(geometry[kind]) >= 2 and len(rights) == 1, (employee, kind, rights)
        earning, deduction = geometry["earning"][0], geometry["deduction"][0]
        assert earning[2] < deduction[0]  # two columns, side by side
        for label in geometry["labels"]:
            assert label[2] <= earning[0]  # the sentences stay in their own column


def screenshot(page: Path, profile: Path, out: Path, width: int = 1000) -> bytes:
    """A PNG of the page as Chromium draws it."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--window-size={width},1400", f"--screenshot={out}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def test_every_report_is_screenshot(company: Path, tmp_path: Path) -> None:
    assert run_cli(["compute", "--period", "2024-05", "--format", "html"]).code == 0
    folder = company / "out" / "2024-05"
    for name in ("departments.html", "promotion.html", "payroll-summary.html",
                 "payslips/E013.html"):  # fmt: skip
        png = screenshot(folder / name, tmp_path / "profile", tmp_path / "shot.png")
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) == (1000, 1400)
