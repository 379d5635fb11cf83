"""The package's layout shows the pipeline: no module imports one that imports it back, and no
module grows past about 600 lines (the generated schema checks aside)."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

ENGINE = ROOT / "engine"
GENERATED = ENGINE / "policy" / "compiled"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ENGINE.rglob("*.py")):
        if GENERATED in path.parents and path.name != "__init__.py":
            continue
        parts = path.relative_to(ENGINE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(("innerpay", *parts))] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The innerpay modules a module imports (at any depth of its code)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        for alias in node.names:
            if f"{target}.{alias.name}" in known:
                found.add(f"{target}.{alias.name}")
            elif target in known:
                found.add(target)
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    circles = []
    for start in graph:
        seen, pending = set(), list(graph[start])
        while pending:
            current = pending.pop()
            if current == start:
                circles.append(start)
                break
            if current not in seen:
                seen.add(current)
                pending += graph[current]
    assert circles == []


def test_no_module_is_over_about_600_lines() -> None:
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in
             modules().items()}  # fmt: skip
    assert {name: n for name, n in sizes.items() if n > 650} == {}
