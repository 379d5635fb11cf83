"""Verifying a past run: recompute it from the inputs its manifest names, compare byte for byte.

Three kinds of difference are told apart, so that an auditor knows where to look:
an input whose content changed since the run, an output that no longer matches the manifest
(edited by hand), and an output that the inputs no longer produce (a different engine or
templates).  The run's own folder is never written.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import Diagnostic, Kind, Source, error, has_errors
from ..outputs import sha256_bytes
from ..periods import Period, PeriodError
from ..render import run_files
from ..run import RunOptions, carries_arrears, compute_results, manifest
from .ledger import ledger_path, read_ledger

#: manifest keys that may differ without the run being different (where the policies' git
#: history stands today says nothing about the run's content)
VOLATILE = ("git_commit", "git_clean")  # the tree now, not the run: said, not compared


@dataclass
class Verification:
    """What `verify` found: differences (empty when all matches) and problems."""

    folder: str
    differences: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0


def _sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _stable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in VOLATILE}


def _earlier_inputs(recorded: dict[str, Any]) -> dict[str, str]:
    """Each file read for an earlier month of the year, with that month in words."""
    found: dict[str, str] = {}
    for label, month in sorted((recorded.get("year_to_date") or {}).items()):
        how = "closed" if month.get("source") == "closed" else "computed from its data"
        if month.get("source") == "opening":
            how = "opening balances"
        for path in month.get("inputs") or {}:
            found.setdefault(path, f"earlier period {label}, {how}")
    return found


def verify_run(folder: str) -> Verification:
    """Recompute the run in ``folder`` (``<out>/<period>``) and compare every file."""
    found = Verification(folder)
    manifest_file = os.path.join(folder, "manifest.json")
    if not os.path.isdir(folder):
        found.diagnostics.append(
            error(Source(folder), "no such run: the folder does not exist", Kind.USAGE)
        )
        return found
    if not os.path.isfile(manifest_file):
        found.diagnostics.append(
            error(Source(folder), "not a run's folder: it has no manifest.json", Kind.USAGE)
        )
        return found
    try:
        with open(manifest_file, encoding="utf-8") as handle:
            recorded = json.load(handle)
        period = Period.parse(recorded["period"])
        o = recorded["options"]
        # the paths are relative to the run's root, which the manifest gives from its folder
        # (a manifest written before it: the working directory, as then)
        root = os.path.normpath(os.path.join(folder, recorded["root"])) if "root" in recorded \
            else "."  # fmt: skip
        options = RunOptions(
            policies=os.path.normpath(os.path.join(root, o["policies"])),
            data=os.path.normpath(os.path.join(root, o["data"])),
            out=os.path.dirname(os.path.normpath(folder)) or ".",
            formats=tuple(o["formats"]),
            templates=os.path.normpath(os.path.join(root, o["templates"]))
            if o["templates"]
            else None,
            encoding=o["encoding"],
            strict=o["strict"],
            csv_encoding=o.get("csv_encoding", "utf-8"),  # runs before it had no BOM
            root=root,
            draft=bool(recorded.get("draft")),
        )
        outputs: dict[str, str] = recorded["outputs"]
        inputs: dict[str, str] = recorded["inputs"]
        for name, section in (("outputs", outputs), ("inputs", inputs)):
            if not isinstance(section, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in section.items()
            ):
                raise TypeError(f"its {name} are not file → sha256")
    except (OSError, ValueError, KeyError, TypeError, PeriodError) as exc:
        found.diagnostics.append(
            error(Source(manifest_file), f"not a run's manifest: {exc}", Kind.USAGE)
        )
        return found
    closed = read_ledger(options.data)[0].get(period)
    paid = closed is not None and not options.draft and os.path.isdir(closed.run(options.data)) \
        and os.path.samefile(closed.run(options.data), folder)  # fmt: skip
    if paid and closed is not None and _sha256(manifest_file) != closed.manifest_sha256:
        found.differences.append(f"the closed period's manifest is not the one "
                                 f"{ledger_path(options.data)} recorded")  # fmt: skip
    earlier = _earlier_inputs(recorded)
    for path, sha in sorted(inputs.items()):
        if path.startswith("innerpay:"):
            continue  # the shipped templates: compared through the outputs they render
        now = _sha256(os.path.join(root, path))
        month = f" (year to date: {earlier[path]})" if path in earlier else ""
        if now is None:
            found.differences.append(f"input missing: {path}{month}")
        elif now != sha:
            found.differences.append(f"input changed since the run: {path}{month}")
    on_disk = {
        os.path.relpath(os.path.join(root, name), folder)
        for root, _, names in os.walk(folder)
        for name in names
    } - {"manifest.json"}
    for name in sorted(on_disk | set(outputs)):
        path = os.path.join(folder, name)
        if name not in outputs:
            found.differences.append(f"output not in the manifest: {name}")
        elif name not in on_disk:
            found.differences.append(f"output missing: {name}")
        elif _sha256(path) != outputs[name]:
            found.differences.append(f"output edited since the run: {name}")
    if "pdf" in options.formats:  # the PDFs cannot be printed again here: said, not crashed
        from ..render.pdf import unavailable

        if cannot := unavailable():
            found.diagnostics += cannot
            return found
    computed = compute_results(period, options, with_arrears=carries_arrears(options, period))
    if computed.results is None:
        found.diagnostics += [d for d in computed.diagnostics if d.is_error]
        if not found.differences and has_errors(found.diagnostics):
            return found
        found.differences.append("the inputs no longer compute; see the problems above")
        return found
    # a draft of a closed period is recomputed as one
    results = replace(computed.results, draft=True) if options.draft else computed.results
    # each output made, hashed and let go, as a run writes them: none is held
    hashes = {
        name: sha256_bytes(content)
        for name, content in run_files(
            results, options.formats, options.templates, csv_encoding=options.csv_encoding
        )
    }
    found.files = len(hashes) + 1
    for name, sha in sorted(hashes.items()):
        if name not in outputs:
            found.differences.append(f"the inputs now produce another output: {name}")
        elif sha != outputs[name]:
            found.differences.append(f"the inputs now produce a different {name}")
    for name in sorted(set(outputs) - set(hashes)):
        found.differences.append(f"the inputs no longer produce {name}")
    again = json.loads(
        manifest(results, hashes, options, computed.chart_inputs, computed.policy_files)
    )
    if "pdf" in recorded and recorded["pdf"] != again.get("pdf"):
        printed_with: dict[str, Any] = recorded["pdf"]
        here: dict[str, Any] = again.get("pdf") or {}
        found.differences.append(
            f"the PDFs were printed with {printed_with.get('engine')} and the font "
            f"{printed_with.get('font')} (sha256 {str(printed_with.get('font_sha256'))[:12]}…); "
            f"this machine has {here.get('engine')} and {here.get('font')} (sha256 "
            f"{str(here.get('font_sha256'))[:12]}…): its PDFs differ"
        )
    if _stable(again) != _stable(recorded):
        found.differences.append("manifest.json differs from the manifest the inputs produce")
    return _collapsed(found)


def _collapsed(found: Verification, shown: int = 5) -> Verification:
    """One finding per file, and the outputs the inputs now produce differently in one line.

    An output edited by hand is said once (not also "produces a different"); when more than a few
    outputs differ (an input change reaches the provenance of every report), they are counted.
    """
    prefix = "the inputs now produce a different "
    edited = {d.split(": ", 1)[1] for d in found.differences if d.startswith("output edited")}
    different = [
        d[len(prefix) :]
        for d in found.differences
        if d.startswith(prefix) and d[len(prefix) :] not in edited
    ]
    kept = [d for d in found.differences if not d.startswith(prefix)]
    if len(different) > shown:
        more = len(different) - shown
        kept.append(
            f"the inputs now produce {len(different)} different outputs: "
            f"{', '.join(different[:shown])} and {more} more"
        )
    else:
        kept += [prefix + name for name in different]
    found.differences = kept
    return found
