"""--format pdf (issue 18): each report and slip printed to A4 with its Chinese text embedded,
the same bytes from the same run, verify holding, nothing fetched.

Skipped, with the reason, where this machine has no font with Chinese characters; CI's
`.ci/run` installs one and sets INNERPAY_REQUIRE_PDF=1, so that there it cannot be skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from innerpay.render import pdf

from .conftest import run_cli

REQUIRED = os.environ.get("INNERPAY_REQUIRE_PDF") == "1"

pytestmark = pytest.mark.skipif(
    not REQUIRED and bool(pdf.unavailable()),
    reason="this machine cannot print PDFs (no Pango or no font with Chinese characters); "
    "CI installs them",
)

A4 = (595, 842)  # points


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


@pytest.fixture
def printed(company: Path) -> Path:
    ran = run_cli(["compute", "--period", "2024-05", "--format", "md,html,pdf,csv,json,xlsx"])
    assert ran.code == 0, ran.stderr
    return company / "out" / "2024-05"


def test_every_report_and_slip_is_printed_to_a4(printed: Path) -> None:
    for name in ("departments", "promotion", "payroll-summary"):
        assert (printed / f"{name}.pdf").is_file(), name
    slips = sorted((printed / "payslips").glob("*.pdf"))
    assert len(slips) == len(list((printed / "payslips").glob("*.html"))) == 31
    for path in (printed / "departments.pdf", slips[0]):
        for page in pypdf.PdfReader(path).pages:
            box = page.mediabox
            assert (round(float(box.width)), round(float(box.height))) == A4


def test_the_slip_reads_as_the_html_does(printed: Path) -> None:
    text = text_of(printed / "payslips" / "E013.pdf")
    for said in ("华南精密制造有限公司 Huanan Precision Manufacturing Co., Ltd.",
                 "工资单 Pay slip 2024-05", "马超 Ma Chao", "发薪日 Pay date", "2024-06-10",
                 "9,200.00", "3,220.00", "12,060.00", "实发工资 Net pay",
                 "April travel claim paid short"):  # fmt: skip
        assert said in text, said
    fonts = {}
    for page in pypdf.PdfReader(printed / "payslips" / "E013.pdf").pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    # the font of the manifest (innerpay-pdf) sets the text; a sign it lacks may come from another
    assert any("+innerpay-pdf" in name for name in fonts), fonts
    for name, font in fonts.items():  # every one embedded: a subset, tagged ABCDEF+Name
        assert "+" in name
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
            else font  # fmt: skip
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), name


def test_the_reports_read_as_their_html_does(printed: Path) -> None:
    text = text_of(printed / "departments.pdf")
    assert "部门考核 Department appraisal 2024-05" in text
    assert "生产部 Production" in text
    assert "Sign-off" in text
    promotion = text_of(printed / "promotion.pdf")
    assert "晋升资格 Promotion eligibility 2024-05" in promotion
    assert "Candidate" in promotion and "马超 Ma" in promotion


def test_the_same_run_gives_the_same_bytes_and_verify_holds(printed: Path, company: Path) -> None:
    first = {p.name: p.read_bytes() for p in printed.glob("*.pdf")}
    first["E013"] = (printed / "payslips" / "E013.pdf").read_bytes()
    assert b"CreationDate" not in first["E013"] and b"ModDate" not in first["E013"]
    formats = "md,html,pdf,csv,json,xlsx"  # every format: verify holds on them all
    assert run_cli(["compute", "--period", "2024-05", "--format", formats]).code == 0
    again = {p.name: p.read_bytes() for p in printed.glob("*.pdf")}
    again["E013"] = (printed / "payslips" / "E013.pdf").read_bytes()
    assert again == first
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 0, ran.stdout + ran.stderr
    manifest = (printed / "manifest.json").read_text(encoding="utf-8")
    assert '"font_sha256"' in manifest and "WeasyPrint" in manifest


def test_a_template_cannot_make_the_pdf_read_a_file(company: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-VALUE", encoding="utf-8")
    mine = company / "mine"
    mine.mkdir()
    (mine / "payslip.html.j2").write_text(
        f'<html><body><p>slip</p><img src="{secret.as_uri()}">'
        f'<object data="{secret.as_uri()}"></object>'
        f'<link rel="stylesheet" href="{secret.as_uri()}"></body></html>',
        encoding="utf-8",
    )
    ran = run_cli(["compute", "--period", "2024-05", "--templates", "mine", "--format", "pdf"])
    assert ran.code == 0, ran.stderr
    printed = (company / "out" / "2024-05" / "payslips" / "E013.pdf").read_bytes()
    assert b"SECRET-VALUE" not in printed
    assert "SECRET-VALUE" not in text_of(company / "out" / "2024-05" / "payslips" / "E013.pdf")


@pytest.fixture
def no_font(company: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine as one without a font for Chinese (its font forgotten, then found again)."""
    monkeypatch.setenv(pdf.FONT_VARIABLE, str(company / "no-such-font.ttf"))
    pdf.font_file.cache_clear()
    yield
    monkeypatch.delenv(pdf.FONT_VARIABLE)
    pdf.font_file.cache_clear()


def test_no_font_for_chinese_is_said_before_any_work(company: Path, no_font: None) -> None:
    ran = run_cli(["compute", "--period", "2024-05", "--format", "html,pdf"])
    assert ran.code == 7
    assert ran.stderr.startswith("--format: error: pdf needs a font with Chinese characters")
    assert not (company / "out").exists()


def test_printing_in_worker_processes_gives_the_same_bytes(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = run_cli(["compute", "--period", "2024-05", "--format", "pdf"])
    assert ran.code == 0, ran.stderr
    out = company / "out" / "2024-05"
    alone = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.pdf")}
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pdf, "WORKERS", 2)
    ran = run_cli(["compute", "--period", "2024-05", "--format", "pdf"])
    assert ran.code == 0, ran.stderr
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*.pdf")} == alone
    assert len(alone) == 31 + 3


def test_verify_names_the_font_a_pdf_was_printed_with(printed: Path) -> None:
    manifest = printed / "manifest.json"
    recorded = manifest.read_text(encoding="utf-8")
    other = recorded.replace(pdf.record()["font_sha256"], "0" * 64)
    manifest.write_text(other, encoding="utf-8")
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 1
    assert "the PDFs were printed with WeasyPrint" in ran.stdout
    assert "(sha256 000000000000…); this machine has WeasyPrint" in ran.stdout
    manifest.write_text(recorded, encoding="utf-8")


def test_verify_on_a_machine_that_cannot_print_says_so(
    printed: Path, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue("no_font")  # after the run printed its PDFs
    ran = run_cli(["verify", "out/2024-05"])
    assert ran.code == 7, ran.stdout + ran.stderr
    assert "pdf needs a font with Chinese characters" in ran.stderr


def test_a_page_that_cannot_be_printed_is_a_template_problem_that_writes_nothing(
    company: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(self: pdf.Printer, html: bytes) -> bytes:
        raise ValueError("no layout for this page")

    monkeypatch.setattr(pdf.Printer, "__call__", fails)
    ran = run_cli(["compute", "--period", "2024-05", "--format", "html,pdf"])
    assert ran.code == 3
    assert ran.stderr.splitlines()[-1] == (
        "departments.pdf: error: cannot print this file to PDF: no layout for this page"
    )
    assert not (company / "out" / "2024-05").exists()
