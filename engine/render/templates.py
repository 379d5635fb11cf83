"""Templates: Jinja2 in its sandbox, over the shipped templates or a user's folder.

Undefined names are errors, HTML is autoescaped and Markdown escaped by default, so that text from
the data (a name such as ``{{ 7*7 }}``) prints literally.  A template problem is a diagnostic at
the template's file and line.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import importlib.util
import itertools
import os
import re
import time
import traceback
from typing import TYPE_CHECKING, Any

from markupsafe import Markup  # small; the SVG charts use it too

from ..errors import Diagnostic, InnerpayError, Source, error
from ..limits import MAX_RENDER_SECONDS

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md_escape(value: Any) -> str:
    """Text from data, safe in Markdown (tables included): specials backslash-escaped."""
    if type(value) is str:  # the common case: plain text from the data
        if "\r" in value or "\n" in value:
            value = value.replace("\r", " ").replace("\n", " ")
        return _MD_SPECIAL.sub(r"\\\1", value) if _MD_SPECIAL.search(value) else value
    if isinstance(value, Markup):
        return str(value)
    text = "" if value is None else str(value)
    text = text.replace("\r", " ").replace("\n", " ")
    return _MD_SPECIAL.sub(r"\\\1", text)


@functools.cache
def default_templates() -> str:
    """The folder of the templates shipped with the package (found without importing
    importlib.resources, 20 ms at every start, where the package is a folder as pip installs
    it)."""
    spec = importlib.util.find_spec("innerpay.templates")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if os.path.isdir(folder):
            return str(folder)
    from importlib import resources

    return str(resources.files("innerpay.templates"))


def template_names() -> list[str]:
    """The names of the default templates (a user folder may override any of them)."""
    return sorted(n for n in os.listdir(default_templates()) if n.endswith(".j2"))


def template_sha256(templates: str | None) -> dict[str, str]:
    """sha256 of every template a run uses, keyed by its path (``innerpay:`` for the defaults).

    The defaults are named by package, not by where they are installed, so that the manifest is
    the same on every machine.
    """
    result = {}
    for name in template_names():
        path = os.path.join(templates, name) if templates else ""
        key = path
        if not (templates and os.path.isfile(path)):
            path = os.path.join(default_templates(), name)
            key = f"innerpay:templates/{name}"
        with open(path, "rb") as handle:
            result[key] = hashlib.sha256(handle.read()).hexdigest()
    # and every other file of the user's folder a template may include (links are never read)
    for root, folders, names in os.walk(templates) if templates else ():
        folders[:] = sorted(f for f in folders if not os.path.islink(os.path.join(root, f)))
        for name in sorted(names):
            path = os.path.join(root, name)
            if path not in result and os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as handle:
                    result[path] = hashlib.sha256(handle.read()).hexdigest()
    return dict(sorted(result.items()))


_DICT_NAMES = frozenset(dir(dict))

#: The most loop steps ``range()`` gives one rendering of a template, all its loops together.
MAX_RANGE_STEPS = 100_000
#: The longest text a template may make by ``*`` (``'a' * 10**9``), and the largest exponent.
MAX_MADE_CHARS = 1_000_000
MAX_EXPONENT = 100
#: The most one rendered file may hold (a report of a million employees is well under).
MAX_RENDERED_CHARS = 64 * 1024 * 1024

_steps: contextvars.ContextVar[list[float]] = contextvars.ContextVar("innerpay_range_steps")


@functools.cache
def sandbox() -> type[SandboxedEnvironment]:
    """Jinja's sandbox, reading ``view.key`` from a plain dict's keys first.

    Jinja asks an object for the attribute first and falls back to its item; a dict answers
    the first with an exception, 27 times per slip (a third of rendering one).  For a name that
    no dict has as an attribute, that first answer is always that exception, so looking up the
    key first gives the same value, or the same undefined, and skips it; every other name (and
    every other object) goes the sandbox's own way, checks and all.
    """
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            """``*`` and ``**`` within bounds: text or a list made by ``*`` (``'a' * 10**9``) and
            a power's exponent."""
            if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError(f"a power above {MAX_EXPONENT} (** {right})")
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                            and len(seq) * times > MAX_MADE_CHARS:  # fmt: skip
                        raise SecurityError(f"text or a list of more than {MAX_MADE_CHARS:,} "
                                            "made by *")  # fmt: skip
            return super().call_binop(context, operator, left, right)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            """Every call of a filter, a function or a method: within the file's time."""
            _in_time()
            return super().call(__context, __obj, *args, **kwargs)

        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_NAMES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return Sandbox


def environment(templates: str | None, kind: str) -> SandboxedEnvironment:
    """The templates of a run: a user's folder is read afresh for each run; the shipped
    templates, which do not change while a process runs, are compiled once per process."""
    return _make_environment(templates, kind) if templates else _shipped_environment(kind)


@functools.cache
def _shipped_environment(kind: str) -> SandboxedEnvironment:
    return _make_environment(None, kind)


def _make_environment(templates: str | None, kind: str) -> SandboxedEnvironment:
    import jinja2  # a run writing only csv and json never imports Jinja

    loaders: list[jinja2.BaseLoader] = []
    if templates:
        loaders.append(_unlinked_loader()(templates))
    loaders.append(jinja2.FileSystemLoader(default_templates()))
    env = sandbox()(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=kind == "html",
        finalize=md_escape if kind == "md" else None,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one run: no need to look at each file again for every slip
    )
    env.filters["raw"] = Markup  # for the few places a Markdown template writes its own markup
    env.globals.pop("lipsum", None)  # lipsum(10**6): text without end, and no report needs it
    env.globals["range"] = _bounded_range
    return env


@functools.cache
def _unlinked_loader() -> type[Any]:
    """A user's templates folder read without following a symbolic link in it: ``{% include
    'leak.j2' %}`` of a link to a secret file would print the secret in every slip."""
    import jinja2
    from jinja2.exceptions import SecurityError

    class Unlinked(jinja2.FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            source, filename, uptodate = super().get_source(environment, template)
            for base in self.searchpath:
                inside = os.path.relpath(filename, base)
                if inside.startswith(os.pardir):
                    continue
                at = base
                for part in inside.split(os.sep):
                    at = os.path.join(at, part)
                    if os.path.islink(at):
                        raise SecurityError(f"'{template}' is a symbolic link; innerpay follows "
                                            "none in a templates folder")  # fmt: skip
            return source, filename, uptodate

    return Unlinked


def _in_time() -> None:
    """A :class:`SecurityError` once the file has rendered for :data:`MAX_RENDER_SECONDS`."""
    steps = _steps.get(None)
    if steps is not None and time.monotonic() > steps[1]:
        from jinja2.exceptions import SecurityError

        raise SecurityError(f"the file took more than {MAX_RENDER_SECONDS:g} seconds to render "
                            "(MAX_RENDER_SECONDS)")  # fmt: skip


def _bounded_range(*args: int) -> range:
    """``range()`` of a template: at most :data:`MAX_RANGE_STEPS` steps in one rendering, all
    its loops together (nested ``range(99999)`` loops ran until killed)."""
    from jinja2.exceptions import SecurityError

    made = range(*args)
    _in_time()
    steps = _steps.get(None)
    if steps is not None:
        steps[0] += len(made)
        if steps[0] > MAX_RANGE_STEPS:
            raise SecurityError(f"more than {MAX_RANGE_STEPS:,} loop steps of range() in one "
                                "file")  # fmt: skip
    return made


def _template_error(exc: Exception, name: str, templates: str | None) -> Diagnostic:
    """A template problem as `template:line: error: message`."""
    path = os.path.join(templates or default_templates(), name)
    if templates and not os.path.isfile(path):
        path = os.path.join(default_templates(), name)
    line = getattr(exc, "lineno", None) or 0
    if not line:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename.endswith(name):
                line = lineno
    message = getattr(exc, "message", None) or str(exc)
    import jinja2

    if isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"not allowed in a template: {message}"
    return error(Source(path, line), f"template: {message}")


def render(env: SandboxedEnvironment, name: str, templates: str | None, **context: Any) -> bytes:
    """One file from its template: bounded in loop steps (:data:`MAX_RANGE_STEPS`), in what
    ``*`` makes, in size (:data:`MAX_RENDERED_CHARS`, checked as it is written) and in time
    (:data:`~innerpay.limits.MAX_RENDER_SECONDS`, checked at each block of pieces written
    and each call)."""
    token = _steps.set([0, time.monotonic() + MAX_RENDER_SECONDS])
    try:
        template = env.get_template(name)  # loaded and compiled once, then from Jinja's cache
        pieces: list[str] = []
        size = 0
        made = template.generate(**context)
        # a block of pieces at a time: the size and the clock looked at per block, not per
        # piece (a slip is a hundred pieces; 100,000 slips are ten million)
        while block := list(itertools.islice(made, 256)):
            size += sum(map(len, block))
            if size > MAX_RENDERED_CHARS:
                from jinja2.exceptions import SecurityError

                raise SecurityError(f"the file rendered is larger than {MAX_RENDERED_CHARS:,} "
                                    "characters")  # fmt: skip
            _in_time()
            pieces += block
        return "".join(pieces).encode("utf-8")
    except Exception as exc:  # a user template may fail in any way (Jinja's errors included)
        raise InnerpayError([_template_error(exc, name, templates)]) from None
    finally:
        _steps.reset(token)
