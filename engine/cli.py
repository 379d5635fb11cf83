"""The command line: each command parses options, calls one engine function, prints, exits.

Exit status (SPEC.md): 0 success; 1 found what it looks for; 2 wrong usage; 3 a policy or template
problem; 4 a problem in the period data; 5 refused by a control; 6 busy.  Beyond the contract: 7 the
output could not be written (a full disk, no permission), 70 an internal fault.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import getpass
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import click

from . import process
from .audit.diff import DIFF_FORMATS, diff_results, render_diff
from .audit.explain import explain as explain_employee
from .audit.explain import render_text as render_explanation
from .audit.ledger import close_period, ledger_path, read_ledger
from .audit.verify import verify_run
from .cases import CASES_SCHEMA, run_cases
from .chain import CHAIN_FORMATS, render_chain
from .errors import Diagnostic, InnerpayError, exit_code, has_errors, sort_key, terminal_safe
from .periods import Period, PeriodError
from .policy import Policy, load_policies, load_version, version_in_force
from .policy.schema import schema_json
from .progress import Counted, Progress, quietly
from .render import ALL_FORMATS, FORMATS, dumps
from .render.files import CSV_ENCODINGS
from .run import (
    Computed,
    RunOptions,
    compute_results,
    output_folder,
    reads_alike,
    recompute,
    run_compute,
    strictly,
)
from .scaffold import init_repository
from .version import __version__

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL_FAULT = 70


def report(diagnostics: list[Diagnostic]) -> None:
    """Print every diagnostic to stderr, in file order."""
    for d in sorted(diagnostics, key=sort_key):
        click.echo(terminal_safe(str(d)), err=True)


def finish(diagnostics: list[Diagnostic], strict: bool = False) -> None:
    """Print diagnostics and exit with the status their gravest error calls for (0 if none)."""
    report(diagnostics)
    code = exit_code(diagnostics, strict)
    if code:
        sys.exit(code)


def parse_period(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Period | None:
    """`--period YYYY-MM` → Period; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise click.BadParameter(str(exc)) from None


def parse_formats(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    """`--format md,html` → ('md', 'html'), checked against the known formats."""
    chosen = tuple(dict.fromkeys(f.strip() for f in value.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in ALL_FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown format {', '.join(repr(u) for u in unknown) or '(none)'}; "
            f"choose from {','.join(ALL_FORMATS)}"
        )
    return chosen


def policies_option(f: F) -> F:
    """--policies DIR."""
    return click.option(
        "--policies",
        default="policies",
        show_default=True,
        metavar="DIR",
        help="Folder of policy versions (*.yaml).",
    )(f)


def data_option(f: F) -> F:
    """--data DIR."""
    return click.option(
        "--data",
        default=None,
        metavar="DIR",
        help="Folder of period data, one subfolder per period (default: fixtures, or data where "
        "there is no fixtures folder but a data folder).",
    )(f)


def default_data(data: str | None) -> str:
    """--data as given; by default `fixtures`, or `data` (an `innerpay init` repository)."""
    if data is not None:
        return data
    if not os.path.isdir("fixtures") and os.path.isdir("data"):
        return "data"
    return "fixtures"


def strict_option(f: F) -> F:
    """--strict."""
    return click.option("--strict", is_flag=True, help="Treat warnings as errors.")(f)


def parse_encoding(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """--encoding: a codec Python knows, or ``auto``; else a usage error (exit 2)."""
    if value == "auto":
        return value
    try:
        found = codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(
            f"unknown encoding '{value}'; for example utf-8 or gb18030"
        ) from None
    if not getattr(found, "_is_text_encoding", True):  # rot13, base64, hex: not a file's text
        raise click.BadParameter(f"'{value}' is a transform, not a text encoding; for example "
                                 "utf-8 or gb18030")  # fmt: skip
    return value


def encoding_option(f: F) -> F:
    """--encoding ENC."""
    return click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        callback=parse_encoding,
        help="Encoding of the CSV files (e.g. gb18030 for exports from Chinese Excel), or "
        "auto: each file UTF-8 (with or without a BOM), else GB18030, recorded in the manifest.",
    )(f)


def guarded(f: F) -> F:
    """An internal fault says so in one line; the traceback only with --debug."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:
            ctx = click.get_current_context()
            if ctx.find_root().params.get("debug"):
                traceback.print_exc()
            click.echo(
                f"innerpay: internal error: {type(exc).__name__}: {exc} "
                "(this is a bug in innerpay; run with --debug for the traceback)",
                err=True,
            )
            sys.exit(INTERNAL_FAULT)

    return wrapper  # type: ignore[return-value]


@click.group(name="innerpay", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="innerpay")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
def cli(debug: bool) -> None:
    """innerpay: rules-as-code pay and promotion for the internal customer mechanism (内部顾客机制).

    HR keeps the policy as versioned YAML; `innerpay compute --period 2024-05` applies the version
    in force to the period's data and writes pay slips, payroll.csv, the department appraisal and
    the promotion-eligibility report.
    """


@cli.command()
@policies_option
@data_option
@click.option(
    "--period", callback=parse_period, metavar="YYYY-MM", help="Also check this period's data."
)
@encoding_option
@strict_option
@click.argument("files", nargs=-1, metavar="[FILES]...")
@guarded
def validate(
    policies: str,
    data: str | None,
    period: Period | None,
    encoding: str,
    strict: bool,
    files: tuple[str, ...],
) -> None:
    """Check every policy version (schema and meaning); with --period, also that period's data;
    FILES (as a pre-commit hook passes the changed files): the data of each period a file of
    the data folder is in.

    Reports every problem at once as `path:line:col: error: message`.  Exit 3 for a policy
    problem, 4 for a data problem, 0 when all is well (warnings included, unless --strict).
    """
    folder = default_data(data)
    periods = sorted({*([period] if period else []), *periods_of(files, folder)})
    if data is not None and not periods:
        raise click.UsageError("--data needs --period: which period's data to check?")
    policy_set, diagnostics = load_policies(policies)
    for month in periods if not has_errors(diagnostics) else []:
        options = RunOptions(policies=policies, data=folder, encoding=encoding)
        computed = compute_results(month, options, policy_set, lint=True)
        diagnostics += [d for d in computed.diagnostics if d not in diagnostics]
    diagnostics = strictly(diagnostics, strict)
    finish(diagnostics, strict)
    versions = ", ".join(p.version for p in policy_set.policies)
    checked = f"; data of {', '.join(map(str, periods))} checked" if periods else ""
    count = len(policy_set.policies)
    noun = "version" if count == 1 else "versions"
    click.echo(f"ok: {count} policy {noun} valid ({versions}){checked}")


def periods_of(files: tuple[str, ...], data: str) -> set[Period]:
    """The periods whose data folder (``<data>/<YYYY-MM>/``) holds one of ``files`` (other
    files, a policy say, name no period)."""
    found: set[Period] = set()
    root = os.path.abspath(data)
    for file in files:
        inside = os.path.relpath(os.path.abspath(file), root).split(os.sep)
        if len(inside) > 1 and inside[0] != os.pardir:
            with contextlib.suppress(PeriodError):
                found.add(Period.parse(inside[0]))
    return found


@cli.command()
@click.option(
    "--period",
    required=True,
    callback=parse_period,
    metavar="YYYY-MM",
    help="The period to compute.",
)
@policies_option
@data_option
@click.option("--out", default="out", show_default=True, metavar="DIR", help="Output folder.")
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    callback=parse_formats,
    help="Comma-separated output formats.",
)
@click.option(
    "--templates",
    default=None,
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of templates overriding the defaults, file by file.",
)
@encoding_option
@click.option(
    "--draft",
    is_flag=True,
    help="Compute a closed period again, into <out>/<period>-draft, every output marked as a "
    "draft that pays nobody (the paid run is never overwritten).",
)
@click.option(
    "--csv-encoding",
    type=click.Choice(CSV_ENCODINGS),
    default=CSV_ENCODINGS[0],
    show_default=True,
    help="payroll.csv's encoding: UTF-8 with a BOM (Chinese Excel reads it right), UTF-8 "
    "without one, or GB18030.",
)
@strict_option
@guarded
def compute(
    period: Period,
    policies: str,
    data: str | None,
    out: str,
    formats: tuple[str, ...],
    templates: str | None,
    encoding: str,
    draft: bool,
    csv_encoding: str,
    strict: bool,
) -> None:
    """Compute a period with the policy version in force and write its outputs.

    Writes <out>/<period>/: payslips/, payroll.csv, departments.md/.html, promotion.md/.html,
    payroll-summary.md/.html, results.json and manifest.json; all or nothing.
    """
    options = RunOptions(
        policies=policies,
        data=default_data(data),
        out=out,
        formats=formats,
        templates=templates,
        encoding=encoding,
        strict=strict,
        csv_encoding=csv_encoding,
        draft=draft,
    )
    results, diagnostics = run_compute(period, options, _progress())
    finish(diagnostics, strict)
    assert results is not None
    click.echo(
        f"{period}: policy {results.policy.version}, {len(results.employees)} employees, "
        f"net {results.total_net:,.2f} {results.policy.currency} → {output_folder(options, period)}"
    )
    if results.earlier is not None and results.earlier.months:
        months = "; ".join(f"{m.label} {m.source.describe(m)}" for m in results.earlier.months)
        click.echo(f"  year to date from: {months}")


def _progress() -> Progress:
    """Progress bars on stderr when it is a terminal (paying, rendering); nothing otherwise."""
    if not sys.stderr.isatty():
        return quietly

    def show(label: str, items: Counted) -> Iterator[Any]:
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield from bar

    return show


@cli.command()
@click.option("--cases", is_flag=True, help="The schema of policy test case files instead.")
@guarded
def schema(cases: bool) -> None:
    """Print the policy JSON Schema (editors use it to complete and check keys)."""
    click.echo(schema_json(CASES_SCHEMA if cases else None), nl=False)


@cli.command()
@policies_option
@click.option(
    "--period",
    callback=parse_period,
    metavar="YYYY-MM",
    help="Use the version in force then (default: the latest).",
)
@click.option(
    "--format", "fmt", type=click.Choice(CHAIN_FORMATS), default="text", show_default=True
)
@guarded
def chain(policies: str, period: Period | None, fmt: str) -> None:
    """Show who appraises whom on what, the loops, and departments without a customer."""
    policy_set, diagnostics = load_policies(policies)
    finish([d for d in diagnostics if d.is_error])  # warnings are validate's business
    if period is None:
        policy = policy_set.policies[-1]
    else:
        found, problems = version_in_force(policy_set, period, policies)
        finish(problems)
        assert found is not None
        policy = found
    click.echo(render_chain(policy, fmt), nl=False)


@cli.command()
@click.option("--period", required=True, callback=parse_period, metavar="YYYY-MM")
@click.option("--employee", "employee_id", required=True, metavar="ID", help="The employee.")
@click.option("--line", "line_id", default=None, metavar="LINE", help="Only this pay line.")
@click.option("--json", "as_json", is_flag=True, help="The versioned structure, as JSON.")
@policies_option
@data_option
@click.option(
    "--out", default="out", show_default=True, metavar="DIR", help="Output folder (for the ledger)."
)
@encoding_option
@guarded
def explain(
    period: Period,
    employee_id: str,
    line_id: str | None,
    as_json: bool,
    policies: str,
    data: str | None,
    out: str,
    encoding: str,
) -> None:
    """Show how each pay line, the department score and any promotion result of one employee
    was computed: formulas with their policy file:line, every input with its value and origin,
    the rounding, and each gate as actual against required."""
    options = RunOptions(policies=policies, data=default_data(data), out=out, encoding=encoding)
    computed = compute_results(period, options)
    errors = [d for d in computed.diagnostics if d.is_error]
    finish(errors)
    assert computed.results is not None and computed.data is not None
    explanation, problems = explain_employee(computed.results, computed.data, employee_id, line_id)
    finish(problems)
    assert explanation is not None
    if as_json:
        click.echo(dumps(explanation).decode(), nl=False)
    else:
        click.echo(render_explanation(explanation), nl=False)


@cli.command()
@click.option("--period", required=True, callback=parse_period, metavar="YYYY-MM")
@click.option(
    "--base", required=True, metavar="VERSION", help="Label, policy file or GIT-REF:path."
)
@click.option(
    "--head", required=True, metavar="VERSION", help="Label, policy file or GIT-REF:path."
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when any result differs.")
@click.option("--format", "fmt", type=click.Choice(DIFF_FORMATS), default="text", show_default=True)
@policies_option
@data_option
@encoding_option
@guarded
def diff(
    period: Period,
    base: str,
    head: str,
    exit_code: bool,
    fmt: str,
    policies: str,
    data: str | None,
    encoding: str,
) -> None:
    """Compute a period under two policy versions on the same data and show what changes.

    Per employee and line the base, head and delta with the policy change behind it; totals per
    department and company; department appraisals; promotion changes.  A VERSION is a version
    label, a policy file, or GIT-REF:path (read through git, nothing checked out).
    """
    policy_set, problems = load_policies(policies)
    finish([d for d in problems if d.is_error])
    options = RunOptions(policies=policies, data=default_data(data), encoding=encoding)
    versions: list[Policy] = []
    for spec in (base, head):
        policy, found = load_version(spec, policy_set, policies)
        finish([d for d in found if d.is_error])
        assert policy is not None
        versions.append(policy)
    sides: list[Computed] = []
    for (side, spec), policy, other in zip((("base", base), ("head", head)), versions,
                                           versions[::-1], strict=True):  # fmt: skip
        # the employees of a department the other version alone has are added or removed
        aside = frozenset(other.departments) - frozenset(policy.departments)
        if sides and sides[0].policy is not None and reads_alike(sides[0].policy, policy):
            computed = recompute(sides[0], policy, reads=True)  # the data read once serves both
        else:
            computed = compute_results(period, options, policy_set, policy, with_arrears=False,
                                       reads=True, aside=aside)  # fmt: skip
        errors = [d for d in computed.diagnostics if d.is_error]
        if errors:  # say which side cannot compute the period, before why
            click.echo(f"diff: the {side} version {policy.version} ({spec}) cannot compute "
                       f"{period}:", err=True)  # fmt: skip
        finish(errors)
        assert computed.results is not None
        sides.append(computed)
    assert sides[0].results is not None and sides[1].results is not None
    result = diff_results(sides[0].results, sides[1].results)
    pending: list[str] = []
    for piece in render_diff(result, fmt):  # written a few thousand pieces at a time
        pending.append(piece)
        if len(pending) >= 4096:
            click.echo("".join(pending), nl=False)
            pending.clear()
    click.echo("".join(pending), nl=False)
    if exit_code and result.differs:
        sys.exit(1)


@cli.command()
@click.argument("folder", metavar="OUT_DIR/PERIOD")
@guarded
def verify(folder: str) -> None:
    """Recompute a past run from the inputs its manifest names and confirm every output byte
    for byte.  Exit 0 when all matches, 1 with the list of what differs (an input changed since
    the run, an output edited by hand, an output the inputs no longer produce).  Run it from the
    folder the run was made in: the manifest's paths are relative to it."""
    found = verify_run(folder)
    report(found.diagnostics)
    if found.differences:
        for difference in found.differences:
            click.echo(terminal_safe(f"{folder}: {difference}"))
        click.echo(f"verify: {len(found.differences)} difference(s)")
        sys.exit(1)
    code = exit_code(found.diagnostics)
    if code:
        sys.exit(code)
    click.echo(f"ok: {folder} matches its inputs byte for byte ({found.files} files)")


@cli.command(name="test")
@click.argument("paths", nargs=-1, metavar="[PATH...]")
@policies_option
@guarded
def test_cases(paths: tuple[str, ...], policies: str) -> None:
    """Run the policy test cases HR writes in YAML (default: <policies>/tests/).

    Each case gives a period, the version, small inline data and the values it expects; values
    are compared exactly, as Decimals.  A failure prints the case's file:line, the value's path,
    expected against actual.  Exit 1 when any case fails.
    """
    policy_set, problems = load_policies(policies)
    finish([d for d in problems if d.is_error])
    outcome = run_cases(list(paths) or [os.path.join(policies, "tests")], policy_set, policies)
    report(outcome.diagnostics)
    for line in outcome.failed:
        click.echo(line)
    click.echo(f"innerpay test: {outcome.passed} passed, {outcome.failed_cases} failed")
    code = exit_code(outcome.diagnostics)
    if code:
        sys.exit(code)
    if outcome.failed_cases:
        sys.exit(1)


@cli.command()
@click.argument("directory", metavar="DIR")
@guarded
def init(directory: str) -> None:
    """Start a new HR policy repository in DIR: the reference policy as a starting point, a
    data folder, test cases, the JSON Schemas for editors, a pre-commit config and a README."""
    finish(init_repository(directory))
    click.echo(
        f"created {directory}: cd {directory} && innerpay validate && innerpay test && "
        "innerpay compute --period 2024-05"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment
        return "unknown"


@cli.command()
@click.option(
    "--period", required=True, callback=parse_period, metavar="YYYY-MM", help="The period to close."
)
@click.option("--out", default="out", show_default=True, metavar="DIR", help="Output folder.")
@data_option
@click.option("--by", "closed_by", default=None, help="Who closes it (default: the user name).")
@guarded
def close(period: Period, out: str, data: str | None, closed_by: str | None) -> None:
    """Record a computed period as paid; a closed period is never computed again (except as a
    marked draft, compute --draft).

    The ledger is <data>/ledger.json: closing is a record of the company, kept with its data,
    whatever folder a later run writes to.  A later policy version, or a change to a closed
    period's data, is settled as arrears lines (补发 / 扣回) in the next computed period.
    """
    if closed_by is not None and not closed_by.strip():
        raise click.BadParameter("say who closes the period", param_hint="--by")
    who = (closed_by or _user()).strip()
    try:
        problems = close_period(out, period, who, default_data(data))
    except InnerpayError as exc:
        problems = exc.diagnostics
    finish(problems)
    entries, _ = read_ledger(default_data(data))
    totals = entries[period].totals
    click.echo(f"{period} closed by {who}: {totals['employees']} employees, gross "
               f"{Decimal(totals['gross']):,.2f}, deductions {Decimal(totals['deductions']):,.2f}, "
               f"net {Decimal(totals['net']):,.2f} (ledger "
               f"{ledger_path(default_data(data))})")  # fmt: skip


def main() -> None:
    """The console script."""
    process.prepare_command()
    cli(prog_name="innerpay")


if __name__ == "__main__":  # pragma: no cover
    main()
