"""PDF: each report and each pay slip printed to A4 by WeasyPrint, from the HTML the run makes.

The same HTML and the same font give the same bytes: WeasyPrint writes no date, and the PDF's
identifier is made from the HTML (not drawn at random).  Every page is set in one font file,
found once per process and recorded in the manifest (:func:`record`) with its sha256, so that
`verify` can say when another machine's font would print other bytes: a font with Chinese
characters (Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei or Zen Hei, else the
first fontconfig lists for Chinese), or the file ``INNERPAY_PDF_FONT`` names.  Nothing else is
fetched: a template's ``<img src="file:///etc/passwd">`` is refused, never read.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import Diagnostic, InnerpayError, Kind, Source, error

#: The fonts tried first, in order (each covers Chinese and Latin text).
PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
             "WenQuanYi Zen Hei")  # fmt: skip
FONT_VARIABLE = "INNERPAY_PDF_FONT"


@functools.cache
def font_file() -> str | None:
    """The font every PDF is set in (see the module), or None where none covers Chinese."""
    named = os.environ.get(FONT_VARIABLE)
    if named:
        return named if os.path.isfile(named) else None
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    listed = subprocess.run(
        [fc_list, ":lang=zh", "family", "file"], capture_output=True, text=True, check=False,
        timeout=60,
    )  # fmt: skip
    fonts: dict[str, str] = {}
    for line in sorted(listed.stdout.splitlines()):
        path, _, families = line.partition(": ")
        for family in families.split(","):
            fonts.setdefault(family.strip(), path)
    for family in PREFERRED:
        if family in fonts:
            return fonts[family]
    return min(fonts.values()) if fonts else None


@functools.cache
def _font_sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def unavailable() -> list[Diagnostic]:
    """Why this machine cannot print the PDFs (before any work is done), or nothing."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        return [error(Source("--format"), f"pdf needs WeasyPrint and Pango ({exc}); install "
                      "innerpay with its dependencies, and Pango (Debian: libpango-1.0-0)",
                      Kind.IO)]  # fmt: skip
    if font_file() is None:
        return [error(Source("--format"), "pdf needs a font with Chinese characters, and none "
                      "is installed; install one (Debian: fonts-noto-cjk or fonts-wqy-microhei) "
                      f"or name its file in {FONT_VARIABLE}", Kind.IO)]  # fmt: skip
    return []


def record() -> dict[str, str]:
    """What the PDFs were made with, for the manifest."""
    import weasyprint

    font = font_file()
    assert font is not None, "unavailable() is asked first"
    return {"engine": f"WeasyPrint {weasyprint.__version__}", "font": font,
            "font_sha256": _font_sha256(font)}  # fmt: skip


class Printer:
    """HTML → PDF, in one font, fetching nothing else (one per run: the font configuration
    and the stylesheet are made once)."""

    def __init__(self) -> None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        font = font_file()
        assert font is not None, "unavailable() is asked first"
        self._weasyprint = weasyprint
        self._font_url = Path(font).resolve().as_uri()
        self._fonts = FontConfiguration()
        self._fetch = _only(self._font_url)
        self._css = weasyprint.CSS(
            string=(
                f'@font-face {{ font-family: "innerpay-pdf"; src: url("{self._font_url}"); }}\n'
                '* { font-family: "innerpay-pdf" !important; }\n'
                "@page { size: A4; }\n"
            ),
            font_config=self._fonts,
            url_fetcher=self._fetch,
        )

    def __call__(self, html: bytes) -> bytes:
        document = self._weasyprint.HTML(string=html.decode("utf-8"), url_fetcher=self._fetch)
        made = document.write_pdf(
            stylesheets=[self._css],
            font_config=self._fonts,
            pdf_identifier=hashlib.md5(html, usedforsecurity=False).hexdigest().encode(),
        )
        assert isinstance(made, bytes)
        return made


#: Slips printed in worker processes when a run prints at least this many (below it, starting
#: the workers costs more than it saves); the workers are the machine's cores, up to four.
PARALLEL_FROM = 48
WORKERS = max(1, min(4, os.cpu_count() or 1))

_printer: Printer | None = None  # a worker process's own


def _print_in_worker(html: bytes) -> bytes:
    global _printer
    if _printer is None:
        _printer = Printer()
    return _printer(html)


def printed(items: Iterator[tuple[str, bytes, bool]], count: int) -> Iterator[tuple[str, bytes]]:
    """Each item (name, content, whether to print it): the content as it is, or printed to PDF,
    in the order given.  Where ``count`` items or more are to be printed, in :data:`WORKERS`
    processes, a few ahead of the one being yielded (the same bytes as in this process:
    ``tests/test_pdf.py`` holds them to :class:`Printer`'s)."""
    if count < PARALLEL_FROM or WORKERS < 2:
        printer = Printer()
        for name, content, to_print in items:
            yield name, _printing(name, lambda c=content: printer(c)) if to_print else content
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pending: collections.deque[tuple[str, Any]] = collections.deque()
    # spawned, not forked: this process may hold threads (pyarrow's), which a fork would copy
    with ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        for name, content, to_print in items:
            pending.append((name, pool.submit(_print_in_worker, content) if to_print else content))
            while len(pending) > 4 * WORKERS:
                yield _done(pending.popleft())
        while pending:
            yield _done(pending.popleft())


def _done(item: tuple[str, Any]) -> tuple[str, bytes]:
    name, made = item
    return name, made if isinstance(made, bytes) else _printing(name, made.result)


def _printing(name: str, made: Any) -> bytes:
    """``made()``, the PDF of ``name``; WeasyPrint failing on a template's HTML is a template
    problem (exit 3), said with the file."""
    try:
        printed: bytes = made()
    except Exception as exc:  # WeasyPrint may fail in any way on a user's HTML
        raise InnerpayError([error(Source(name), f"cannot print this file to PDF: {exc}",
                                   Kind.POLICY)]) from None  # fmt: skip
    return printed


def _only(font_url: str) -> Any:
    """A fetcher of the font file alone: any other address is refused, never read."""
    from weasyprint.urls import URLFetcher

    class FontOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url != font_url:
                raise ValueError(f"innerpay fetches nothing for a PDF ({url[:80]})")
            return super().fetch(url, headers)

    return FontOnly(allowed_protocols=("file",))


__all__ = ["FONT_VARIABLE", "Printer", "font_file", "printed", "record", "unavailable"]
