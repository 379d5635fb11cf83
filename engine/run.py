"""A run: the whole pipeline for one period, from folders to files (the CLI's one call).

``policies → version in force → period data (+ earlier periods' metric tables) → evaluate →
render → manifest``.  Everything that touches the disk is here or in :mod:`innerpay.outputs`; the
steps in between are pure.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import dataclass, field, replace
from typing import Any

from .audit.ledger import arrears_for, read_ledger, refuse_closed, unpaid_arrears
from .data import PeriodData, load_period, load_tables
from .data.lint import departments_without_employees, text_literals
from .data.tables import AUTO
from .errors import Diagnostic, InnerpayError, Kind, Severity, Source, error, has_errors
from .evaluate import Arrear, History, Results, YearToDate, evaluate
from .evaluate.pay import idle_lines
from .outputs import input_key, locked, unmade, write_run
from .periods import Period
from .policy import Policy, PolicySet, load_policies, version_in_force
from .progress import Progress, quietly
from .render import FORMATS, run_files, template_sha256
from .render.files import CSV_ENCODINGS
from .version import __version__
from .ytd import year_to_date

TREND_MONTHS = 6


@dataclass(frozen=True)
class RunOptions:
    """Where a run reads and writes, and how."""

    policies: str = "policies"
    data: str = "fixtures"
    out: str = "out"
    formats: tuple[str, ...] = FORMATS
    templates: str | None = None
    encoding: str = "utf-8"
    strict: bool = False
    csv_encoding: str = CSV_ENCODINGS[0]  # payroll.csv's
    root: str = "."  # what the manifest's paths are relative to (verify: where the run was)
    draft: bool = False  # a closed period computed again: <out>/<period>-draft, marked

    def folder_name(self, period: Period) -> str:
        """The run's folder in ``out``: the period, or ``<period>-draft`` for a draft."""
        return f"{period}-draft" if self.draft else str(period)

    def key(self, path: str) -> str:
        """A file as the manifest names it: relative to :attr:`root`, however it was spelled
        (``./fixtures/…``, ``fixtures//…`` and its absolute path name one file alike)."""
        return input_key(path, self.root)


@dataclass
class Computed:
    """What :func:`compute_results` found: results (None on errors) and every diagnostic.

    Also what it read, for `explain`: the policy, the period data and the earlier periods.
    """

    results: Results | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policy: Policy | None = None
    data: PeriodData | None = None
    history: dict[Period, History] = field(default_factory=dict)
    chart_inputs: dict[str, str] = field(default_factory=dict)  # read for the HTML chart only
    policy_files: dict[str, str] = field(default_factory=dict)  # every version read: its hash


def strictly(diagnostics: list[Diagnostic], strict: bool) -> list[Diagnostic]:
    """Under --strict every warning is an error of the same kind."""
    if not strict:
        return diagnostics
    return [
        Diagnostic(d.source, d.message, Severity.ERROR, d.kind) if not d.is_error else d
        for d in diagnostics
    ]


def earlier_options(options: RunOptions, month: Period) -> RunOptions:
    """The options to read an earlier month with: its files in the encoding its own run read
    them in (its manifest's), else each file in its own (``auto``: UTF-8, else GB18030), so a
    month exported in GB18030 sits beside UTF-8 months whatever ``--encoding`` this run has."""
    encoding = AUTO
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        path = os.path.join(options.out, str(month), "manifest.json")
        with open(path, encoding="utf-8") as handle:
            recorded = json.load(handle)["options"]["encoding"]
        if isinstance(recorded, str):
            encoding = recorded
    return replace(options, encoding=encoding)


def load_history(
    policies: PolicySet, period: Period, options: RunOptions, depth: int, needed: int
) -> tuple[dict[Period, History], dict[str, str], dict[str, str], list[Diagnostic]]:
    """The metric tables of up to ``depth`` earlier periods, each with the version in force then.

    The first ``needed`` may decide a review flag: their problems are this run's and their files
    are inputs of the results.  Those further back only draw the HTML report's chart: one that
    cannot be read ends the chart, and their files are named in the manifest only.
    """
    history: dict[Period, History] = {}
    inputs: dict[str, str] = {}
    chart_inputs: dict[str, str] = {}
    problems: list[Diagnostic] = []
    earlier = period
    for back in range(1, depth + 1):
        earlier = earlier.previous()
        policy = policies.in_force(earlier)
        if policy is None:
            break
        past, found = load_tables(
            options.data, earlier, policy, earlier_options(options, earlier).encoding
        )
        if back <= needed:
            problems += found
        elif has_errors(found):
            break
        if past is None:
            break
        history[earlier] = History(earlier, policy, past.tables, past.table_files)
        read = inputs if back <= needed else chart_inputs
        read |= {options.key(path): sha for path, sha in past.inputs.items()}
        read[options.key(policy.file)] = policy.sha256
    return history, inputs, chart_inputs, problems


def reads_alike(one: Policy, other: Policy) -> bool:
    """Whether two versions read a period's data alike (the same fields, departments and metric
    columns, the same streak length), so that one reading serves both (`diff`)."""

    def reading(policy: Policy) -> tuple[object, ...]:
        metrics = tuple(
            (m.id, m.table, m.success.text, m.weight.text if m.weight else None)
            for m in policy.metrics.values()
        )
        records = tuple(
            (t.name, t.employee, t.optional, tuple((s.name, *(f.text for f in s.formulas))
                                                   for s in t.sums))
            for t in policy.records.values()
        )  # fmt: skip
        return (
            tuple(policy.employee_fields.items()),
            tuple(sorted(policy.departments)),
            metrics,
            policy.below_target_periods,
            records,
            tuple(policy.adjustment_categories),
            bool(policy.earlier_names),  # the earlier months are read only for ytd()
        )

    return reading(one) == reading(other)


def recompute(computed: Computed, policy: Policy, reads: bool = False) -> Computed:
    """The period of ``computed`` evaluated under another version that reads its data alike
    (:func:`reads_alike`): nothing read again."""
    assert computed.results is not None and computed.data is not None
    earlier = computed.results.earlier  # the earlier months are as paid, whatever the version
    results, problems = evaluate(
        policy, computed.data, computed.history, earlier=earlier, reads=reads
    )
    if results is not None:
        results = replace(results, inputs=computed.results.inputs)
    return Computed(
        results, problems, policy, computed.data, computed.history, computed.chart_inputs
    )


def compute_results(
    period: Period,
    options: RunOptions,
    policies: PolicySet | None = None,
    policy: Policy | None = None,
    with_arrears: bool = True,
    progress: Progress = quietly,
    earlier: YearToDate | None = None,
    lint: bool = False,
    reads: bool = False,
    aside: frozenset[str] = frozenset(),
) -> Computed:
    """Load and evaluate one period; no output is written.

    ``policy`` replaces the version in force (for `diff`); ``with_arrears`` adds the arrears for
    closed periods recorded in ``<out>/ledger.json``.  A policy that reads ``ytd(x)`` is given
    the earlier months of the year (``earlier``, or found by :func:`~innerpay.ytd.year_to_date`).
    ``lint`` adds the warnings of `validate --period` (a line that applies to nobody); ``reads``
    keeps what each employee's lines read, and ``aside`` sets aside the rows of another
    version's departments (both for `diff`).
    """
    problems: list[Diagnostic] = []
    if policies is None:
        policies, found = load_policies(options.policies)
        if has_errors(found):
            return Computed(None, found)
        # Policy warnings (a department without a customer) are validate's to report; the
        # department is flagged in the results all the same.
    if policy is None:
        policy, found = version_in_force(policies, period, options.policies)
        problems += found
        if policy is None:
            return Computed(None, problems)
    data, found = load_period(options.data, period, policy, options.encoding, progress, aside)
    problems += found
    if data is not None:
        problems += text_literals(policy, data.roster)
        if lint:
            problems += departments_without_employees(policy, data.roster)
    if data is None or has_errors(problems):
        return Computed(None, strictly(problems, options.strict))
    needed = (policy.below_target_periods or 1) - 1
    depth = max(needed, TREND_MONTHS - 1) if "html" in options.formats else needed
    history, read, chart_inputs, found = load_history(policies, period, options, depth, needed)
    problems += found
    arrears: tuple[Arrear, ...] = ()
    if with_arrears:
        known = policies

        def recompute(closed: Period) -> tuple[Results | None, list[Diagnostic]]:
            again = compute_results(
                closed, earlier_options(options, closed), known, with_arrears=False
            )
            return again.results, again.diagnostics

        arrears, closed_inputs, found = arrears_for(
            period, options.data, policies, recompute, policies.earlier_names
        )
        problems += found
        read |= closed_inputs
    if policy.earlier_names and earlier is None and not has_errors(problems):
        known_policies = policies

        def compute_month(
            month: Period, before: YearToDate
        ) -> tuple[Results | None, list[Diagnostic]]:
            again = compute_results(
                month, earlier_options(options, month), known_policies, earlier=before
            )
            return again.results, [d for d in again.diagnostics if d.is_error]  # its own warnings
            # are its run's to say

        earlier, found = year_to_date(period, policy, policies, options.data, options.out,
                                      options.encoding, compute_month)  # fmt: skip
        problems += found
    if earlier is not None:
        read |= earlier.inputs
    if has_errors(problems):
        return Computed(None, problems)
    results, found = evaluate(
        policy, data, history, arrears, progress=progress, earlier=earlier, lint=lint, reads=reads
    )
    problems += found
    if lint and results is not None:
        problems += idle_lines(results.employees)
    if results is not None:
        problems += unpaid_arrears(arrears, results)
    problems = strictly(problems, options.strict)
    if results is None or has_errors(problems):
        return Computed(None, problems)
    inputs = {options.key(policy.file): policy.sha256,
              **{options.key(path): sha for path, sha in data.inputs.items()}, **read}  # fmt: skip
    results = replace(
        results, inputs=dict(sorted(inputs.items())), policy_file=options.key(policy.file)
    )
    policy_files = {options.key(p.file): p.sha256 for p in policies.policies}
    return Computed(results, problems, policy, data, history, chart_inputs, policy_files)


def _git(directory: str, *args: str) -> str | None:
    """What a git command prints about the repository holding ``directory`` (None: no git, no
    repository, or it failed)."""
    try:
        done = subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True,
                              timeout=10, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def git_commit(directory: str) -> str | None:
    """The commit of the git repository holding ``directory``, if any (for the manifest only)."""
    commit = (_git(directory, "rev-parse", "HEAD") or "").strip()
    return commit if len(commit) == 40 else None


def git_clean(directory: str) -> bool | None:
    """Whether the policies folder's files are as committed (no change, nothing untracked), if
    it is in a git repository: a run from a changed tree is not the commit's run."""
    status = _git(directory, "status", "--porcelain", "--", ".")
    return None if status is None else not status.strip()


def manifest(
    results: Results,
    outputs: dict[str, str],
    options: RunOptions,
    chart_inputs: dict[str, str],
    policy_files: dict[str, str],
) -> bytes:
    """The manifest: every input and output (``outputs``: path → sha256), every policy version
    read (``policy_files``), the options, the engine version, the git commit of the policies
    and whether their tree was clean."""
    templates = {**chart_inputs, **{
        key if key.startswith("innerpay:") else options.key(key): sha
        for key, sha in template_sha256(options.templates).items()
    }}  # fmt: skip
    folder = output_folder(options, results.period)
    data: dict[str, Any] = {
        "innerpay": __version__,
        "period": str(results.period),
        "policy": {
            "version": results.policy.version,
            "file": results.policy_file,
            "sha256": results.policy.sha256,
        },
        "options": {
            "policies": options.key(options.policies),
            "data": options.key(options.data),
            "formats": list(options.formats),
            "templates": options.key(options.templates) if options.templates else None,
            "encoding": options.encoding,
            "strict": options.strict,
            "csv_encoding": options.csv_encoding,
        },
        # where the paths above and below are relative to, from the run's own folder: verify
        # finds the inputs from wherever it is run
        "root": input_key(options.root, folder),
        "git_commit": git_commit(options.policies),
        "git_clean": git_clean(options.policies),
        **({"draft": True} if options.draft else {}),
        "policies": dict(sorted(policy_files.items())),
        "inputs": dict(sorted({**results.inputs, **templates}.items())),
        "outputs": dict(sorted(outputs.items())),
    }
    if "pdf" in options.formats:  # what the PDFs were printed with (their bytes depend on it)
        from .render.pdf import record

        data["pdf"] = record()
    if results.encodings:  # the files --encoding auto found in another encoding than UTF-8
        data["encodings"] = dict(sorted((options.key(p), e) for p, e in results.encodings.items()))
    if results.earlier is not None:  # which earlier results the run used, with their hashes
        data["year_to_date"] = {
            month.label: {
                "source": str(month.source),
                "version": month.version,
                "inputs": dict(sorted(month.inputs.items())),
            }
            for month in results.earlier.months
        }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def inputs_within(options: RunOptions) -> list[Diagnostic]:
    """An output folder that is, or holds, a folder the run reads (data, policies, templates) is
    refused: a run would replace its own inputs (``--out fixtures`` writes 2024-05/ over the
    period's data)."""
    out = os.path.abspath(options.out)
    for what, folder in (("data", options.data), ("policies", options.policies),
                         ("templates", options.templates)):  # fmt: skip
        if folder is None:
            continue
        inside = os.path.abspath(folder)
        if inside == out or inside.startswith(out.rstrip(os.sep) + os.sep):
            return [error(Source(options.out), f"the output folder holds the {what} folder "
                          f"{folder}: a run would write over its own inputs; choose another "
                          "--out", Kind.USAGE)]  # fmt: skip
    return []


def carries_arrears(options: RunOptions, period: Period) -> bool:
    """Whether a run of ``period`` carries the arrears of the closed periods before it: not a
    draft of a closed period (the next open period carries them)."""
    return not (options.draft and period in read_ledger(options.data)[0])


def run_compute(
    period: Period, options: RunOptions, progress: Progress = quietly
) -> tuple[Results | None, list[Diagnostic]]:
    """`innerpay compute`: compute, render and write the period's outputs, all or nothing.

    The lock is taken before computing when the output folder exists (so that a second run exits
    at once), and only for rendering and writing when it does not (so that a failed run creates
    nothing: a template problem met while writing removes the folder again).
    """
    overlap = inputs_within(options)
    if overlap:
        return None, overlap
    if "pdf" in options.formats:  # this machine can print them: said before any work
        from .render.pdf import unavailable

        if cannot := unavailable():
            return None, cannot
    early = os.path.isdir(options.out)
    try:
        with locked(options.out) if early else contextlib.nullcontext():
            refused = refuse_closed(options.data, period, options.draft, options.out)
            if refused:
                return None, refused
            computed = compute_results(
                period, options, progress=progress, with_arrears=carries_arrears(options, period)
            )
            if computed.results is None:
                return None, computed.diagnostics
            results = computed.results
            if options.draft:
                results = replace(results, draft=True)
            # each made as the one before is written: a run holds one output at a time
            files = run_files(
                results, options.formats, options.templates, progress, options.csv_encoding
            )
            with contextlib.nullcontext() if early else locked(options.out):
                try:
                    # closed meanwhile by another run? said again under the lock
                    refused = refuse_closed(options.data, period, options.draft, options.out)
                    if refused:
                        raise InnerpayError(refused)
                    write_run(
                        options.out,
                        options.folder_name(period),
                        files,
                        lambda outputs: manifest(
                            results, outputs, options, computed.chart_inputs, computed.policy_files
                        ),
                    )
                except InnerpayError:
                    if not early:  # a template problem: the folder this run made goes too
                        unmade(options.out)
                    raise
    except InnerpayError as exc:
        return None, exc.diagnostics
    return computed.results, computed.diagnostics


def output_folder(options: RunOptions, period: Period) -> str:
    """``<out>/<period>`` (a draft: ``<out>/<period>-draft``)."""
    return os.path.join(options.out, options.folder_name(period))


__all__ = ["Kind", "RunOptions", "compute_results", "run_compute"]
