"""Templates: overridden file by file, sandboxed, strict about names; data always prints literally."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from innerpay.numbers import grouped

from .conftest import run_cli

HOSTILE_NAME = "<script>alert(1)</script> | {{ 7*7 }} *bold* _x_"


def rename(company: Path, emp_id: str, name: str) -> None:
    employees = company / "fixtures" / "2024-04" / "employees.csv"
    lines = employees.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        cells = line.split(",")
        if cells[0] == emp_id:
            cells[1] = name
            lines[i] = ",".join(cells)
    employees.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_data_renders_literally(company: Path) -> None:
    rename(company, "E002", HOSTILE_NAME)
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    folder = company / "out" / "2024-04"
    html = (folder / "payslips" / "E002.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | {{ 7*7 }} *bold* _x_" in html
    assert "<script>" not in html
    md = (folder / "payslips" / "E002.md").read_text(encoding="utf-8")
    assert r"\<script\>alert(1)\</script\> \| {{ 7\*7 }} \*bold\* \_x\_" in md
    csv = (folder / "payroll.csv").read_text(encoding="utf-8")
    assert f"E002,{HOSTILE_NAME}," in csv  # the csv module quotes what needs quoting


def test_a_template_overrides_one_file(company: Path) -> None:
    mine = company / "mine"
    mine.mkdir()
    (mine / "payslip.md.j2").write_text("{{ slip.id }}: {{ slip.net }}\n", encoding="utf-8")
    assert run_cli(["compute", "--period", "2024-04", "--templates", "mine"]).code == 0
    folder = company / "out" / "2024-04"
    net = json.loads((folder / "results.json").read_text(encoding="utf-8"))["employees"]["E001"][
        "net"
    ]
    assert (folder / "payslips" / "E001.md").read_text(
        encoding="utf-8"
    ) == f"E001: {grouped(Decimal(net))}\n"
    assert (folder / "departments.md").read_text(encoding="utf-8").startswith("# 部门考核")
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    assert '"mine/payslip.md.j2"' in manifest


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ nope }}\n", "mine/payslip.md.j2:1: error: template: 'nope' is undefined"),
        (
            "line one\n{{ cycler.__init__.__globals__ }}\n",
            "mine/payslip.md.j2:2: error: template: not allowed in a template: access to attribute "
            "'__init__' of 'type' object is unsafe.",
        ),
        (
            "{% for x in %}\n",
            "mine/payslip.md.j2:1: error: template: Expected an expression, got 'end of statement block'",
        ),
    ],
)
def test_template_problems_exit_3_and_write_nothing(
    company: Path, template: str, message: str
) -> None:
    (company / "mine").mkdir()
    (company / "mine" / "payslip.md.j2").write_text(template, encoding="utf-8")
    ran = run_cli(["compute", "--period", "2024-04", "--templates", "mine"])
    assert (ran.code, ran.stderr) == (3, message + "\n")
    assert not (company / "out").exists()


def test_a_slip_that_fails_late_leaves_the_earlier_run_as_it_was(company: Path) -> None:
    """Slips are rendered as they are written: a problem at the 20th changes nothing."""
    assert run_cli(["compute", "--period", "2024-04"]).code == 0
    out = company / "out"
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    (company / "mine").mkdir()
    (company / "mine" / "payslip.md.j2").write_text(
        '{{ slip.id }}\n{% if slip.id == "E020" %}{{ nope }}{% endif %}\n', encoding="utf-8"
    )
    ran = run_cli(["compute", "--period", "2024-04", "--templates", "mine"])
    assert (ran.code, ran.stderr) == (
        3,
        "mine/payslip.md.j2:2: error: template: 'nope' is undefined\n",
    )
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == [".innerpay.lock", "2024-04"]


SANDBOX_CASES = [
    "{{ d.name }}",
    "{{ d.items()|list|length }}",  # a dict's method, not its key
    "{{ d.get('name') }}",
    "{{ d.nested.inner }}",
    "{{ d.missing }}",
    "{{ d.nested.missing }}",
    "{{ d.__class__ }}",
    "{{ d.__class__.__mro__ }}",
    "{{ d.items }}",
    "{{ d.values }}",  # a key of that name: the method, as Jinja gives
    "{{ d._private }}",
    "{{ d['name'] }}",
    "{{ text.upper() }}",
    "{{ text.__class__ }}",
]


@pytest.mark.parametrize("source", SANDBOX_CASES)
def test_the_sandbox_reads_dict_keys_as_jinjas_own_does(source: str) -> None:
    """The sandbox reads ``d.key`` from the key first (faster); it answers every template as
    Jinja's own sandbox does, value, undefined or refusal alike."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    from innerpay.render.templates import sandbox

    context = {
        "d": {"name": "王强", "values": "v", "_private": "p", "nested": {"inner": 1}},
        "text": "abc",
    }

    def outcome(env_class: type[SandboxedEnvironment]) -> str:
        env = env_class(undefined=jinja2.StrictUndefined)
        try:
            return env.from_string(source).render(**context)
        except Exception as exc:  # the refusal itself is compared
            return f"{type(exc).__name__}: {exc}"

    ours, theirs = outcome(sandbox()), outcome(SandboxedEnvironment)
    assert ours == theirs
    assert sandbox() is not SandboxedEnvironment


def test_a_loop_too_large_to_draw_legibly_is_said_not_drawn(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import innerpay.render.svg as svg

    monkeypatch.setattr(svg, "MAX_DRAWN", 5)  # the reference company has 6 departments
    assert run_cli(["compute", "--period", "2024-05", "--format", "html"]).code == 0
    page = (company / "out" / "2024-05" / "departments.html").read_text(encoding="utf-8")
    assert '<svg id="loop"' not in page
    assert ('<p class="too-many">6 departments are more than a page can show legibly (at most '
            "5); the table below lists every appraisal.</p>") in page  # fmt: skip
    assert page.count("<tr><td>") >= 5  # the table of appraisals is there
