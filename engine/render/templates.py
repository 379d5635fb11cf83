"""Templates: Jinja2 in its sandbox, over the shipped templates or a user's folder.

Undefined names are errors, HTML is autoescaped and Markdown escaped by default, so that text from
the data (a name such as ``{{ 7*7 }}``) prints literally.  A template problem is a diagnostic at
the template's file and line.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
import traceback
from typing import TYPE_CHECKING, Any

from markupsafe import Markup  # small; the SVG charts use it too

from ..errors import Diagnostic, InnerpayError, Source, error

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
    return result


_DICT_NAMES = frozenset(dir(dict))


@functools.cache
def sandbox() -> type[SandboxedEnvironment]:
    """Jinja's sandbox, reading ``view.key`` from a plain dict's keys first.

    Jinja asks an object for the attribute first and falls back to its item; a dict answers
    the first with an exception, 27 times per slip (a third of rendering one).  For a name that
    no dict has as an attribute, that first answer is always that exception, so looking up the
    key first gives the same value, or the same undefined, and skips it; every other name (and
    every other object) goes the sandbox's own way, checks and all.
    """
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
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
        loaders.append(jinja2.FileSystemLoader(templates))
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
    return env


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
    try:
        template = env.get_template(name)  # loaded and compiled once, then from Jinja's cache
        return template.render(**context).encode("utf-8")
    except Exception as exc:  # a user template may fail in any way (Jinja's errors included)
        raise InnerpayError([_template_error(exc, name, templates)]) from None
