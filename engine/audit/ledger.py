"""The ledger of paid periods, and the arrears a retroactive policy change causes.

`innerpay close` records a computed period as paid in ``<out>/ledger.json`` (who closed it and the
manifest's sha256).  A closed period is never overwritten.  When a policy version that reaches back
over closed periods changes what they would pay, the next computed period carries the difference
per employee as arrears lines (补发 / 扣回), naming the period corrected; the closed outputs stay
untouched.  What was paid for a closed period is its own net (without the arrears it carried for
earlier periods) plus every arrear already carried for it by later closed periods, so arrears are
never paid twice.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..errors import Diagnostic, InnerpayError, Kind, Source, error, has_errors, warning
from ..evaluate.results import Arrear, Results
from ..outputs import input_key, io_error, locked
from ..periods import Period, PeriodError
from ..policy import LineKind, Policy, PolicySet

LEDGER = "ledger.json"
LEDGER_FORMAT = 1


@dataclass(frozen=True)
class Closed:
    """A period recorded as paid."""

    period: Period
    closed_by: str
    manifest_sha256: str
    version: str
    totals: dict[str, str] = field(default_factory=dict)  # what the closer approved: employees,
    # gross, deductions, net (a ledger written before totals were recorded has none)
    folder: str = ""  # the paid run's folder, relative to the data folder the ledger is in

    def run(self, data: str) -> str:
        """The paid run's folder."""
        return os.path.normpath(os.path.join(data, self.folder))


def ledger_path(data: str) -> str:
    """``<data>/ledger.json``: closing is a record of the company, kept with its data, not of
    an output folder."""
    return os.path.join(data, LEDGER)


def read_ledger(data: str) -> tuple[dict[Period, Closed], list[Diagnostic]]:
    """The closed periods of the company whose data is in ``data`` (none when there is no
    ledger yet)."""
    path = ledger_path(data)
    if not os.path.isfile(path):
        return {}, []
    try:
        with open(path, encoding="utf-8") as handle:
            recorded = json.load(handle)
        entries = {
            Period.parse(key): Closed(
                Period.parse(key),
                str(v["closed_by"]),
                str(v["manifest_sha256"]),
                str(v["version"]),
                {str(k): str(x) for k, x in (v.get("totals") or {}).items()},
                str(v["folder"]),
            )
            for key, v in recorded["closed"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, PeriodError) as exc:
        return {}, [error(Source(path), f"the ledger cannot be read: {exc}", Kind.CONTROL)]
    return entries, []


def _write_ledger(data_dir: str, entries: dict[Period, Closed]) -> None:
    data = {
        "innerpay_ledger": LEDGER_FORMAT,
        "closed": {
            str(p): {
                "closed_by": c.closed_by,
                "manifest_sha256": c.manifest_sha256,
                "version": c.version,
                **({"totals": c.totals} if c.totals else {}),
                "folder": c.folder,
            }
            for p, c in sorted(entries.items())
        },
    }
    path = ledger_path(data_dir)
    temporary = path + ".tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:  # a full disk: the ledger stays as it was, and nothing is left over
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise io_error(path, exc) from None


def refuse_closed(
    data: str, period: Period, draft: bool = False, out: str | None = None
) -> list[Diagnostic]:
    """An error (exit 5) when ``period`` is closed, into whatever folder it would be computed:
    a paid period is recomputed only as a draft, which never overwrites the paid run.  A ledger
    left in the output folder by an earlier innerpay is an error too: its periods are closed."""
    old = os.path.join(out, LEDGER) if out is not None else ""
    if old and os.path.isfile(old) and os.path.abspath(old) != os.path.abspath(ledger_path(data)):
        message = (f"a ledger from an earlier innerpay: closing is now kept with the data; move "
                   f"it to {ledger_path(data)} and give each entry its paid run's folder "
                   '("folder", relative to the data folder)')  # fmt: skip
        return [error(Source(old), message, Kind.CONTROL)]
    entries, problems = read_ledger(data)
    if problems or draft:
        return problems
    closed = entries.get(period)
    if closed is None:
        return []
    return [
        error(
            Source(ledger_path(data)),
            f"period {period} is closed (paid; closed by {closed.closed_by}; the paid run is "
            f"{closed.run(data)}) and is never computed again; a correction goes into the next "
            "period as arrears (compute --draft writes a marked draft beside it)",
            Kind.CONTROL,
        )
    ]


def _sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def paid_run_problems(period: Period, closed: Closed, data: str) -> list[Diagnostic]:
    """Whether a closed period's paid run is what was closed, before anything of it is read
    (arrears, year to date): its manifest is the one the ledger recorded, and its results.json
    the one that manifest recorded.  An edited closed folder is an error (exit 5)."""
    run = closed.run(data)
    manifest_file = os.path.join(run, "manifest.json")
    where = f"the paid run of {period} ({run})"
    try:
        if _hash_of(manifest_file, _key(manifest_file)) != closed.manifest_sha256:
            said = f"its manifest is not the one {ledger_path(data)} recorded"
            return [error(Source(manifest_file), f"{where} is not what was closed: {said}",
                          Kind.CONTROL)]  # fmt: skip
        with open(manifest_file, encoding="utf-8") as handle:
            recorded = json.load(handle)["outputs"]["results.json"]
        path = os.path.join(run, "results.json")
        if _hash_of(path, _key(path)) != recorded:
            return [error(Source(path), f"{where} is not what was closed: results.json was "
                          "changed after the period was closed", Kind.CONTROL)]  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [error(Source(run), f"{where} cannot be read: {exc}", Kind.CONTROL)]
    return []


def _key(path: str) -> tuple[int, int, int] | None:
    """What tells a file changed: its inode, size and time of change."""
    found = _stat(path)
    return None if found is None else (found.st_ino, found.st_size, found.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _hash_of(path: str, key: tuple[int, int, int] | None) -> str:
    """A file's sha256, hashed once while it stays as it is (``key``: see :func:`_key`)."""
    del key
    return _sha256(path)


def closed_results(path: str) -> tuple[dict[str, Any], str]:
    """A closed period's results.json and its sha256 (read once for both): raises OSError or
    ValueError.  Each reader keeps only what it needs of it."""
    with open(path, "rb") as handle:
        raw = handle.read()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class ClosedResults:
    """What a run keeps of a closed period's results: the file read and its hash, the version it
    was paid under, the periods its arrears corrected, the names it recorded, and the amounts
    of the names read year to date (name → employee → amount)."""

    path: str
    sha256: str
    policy_sha256: str
    version: str
    corrected: frozenset[Period]
    names: frozenset[str]
    amounts: dict[str, dict[str, Decimal]]


def closed_summary(path: str, wanted: frozenset[str]) -> ClosedResults:
    """:class:`ClosedResults` of a closed period (``path``: its results.json), read once per run
    for the arrears and the year to date; a file written again is read again.  Raises OSError,
    ValueError, KeyError, TypeError, ArithmeticError or PeriodError for files that are not a
    closed run's."""
    folder = os.path.dirname(path)
    key = tuple(
        (s.st_mtime_ns, s.st_size) if s is not None else None
        for s in (_stat(path), _stat(os.path.join(folder, "payroll.csv")))
    )
    return _closed_summary(path, key, wanted)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


@functools.lru_cache(maxsize=24)
def _closed_summary(path: str, key: object, wanted: frozenset[str]) -> ClosedResults:
    del key  # the files' times and sizes: part of the cache's key only
    # For the arrears alone (nothing read year to date) results.json, as ever; for the year to
    # date, amounts of every employee: payroll.csv where the run wrote one.
    made = summary_from_payroll_csv(os.path.dirname(path), wanted) if wanted else None
    return made if made is not None else summary_from_results_json(path, wanted)


def summary_from_results_json(path: str, wanted: frozenset[str]) -> ClosedResults:
    """:class:`ClosedResults` from a closed period's results.json (the plain way)."""
    stored, sha256 = closed_results(path)
    amounts: dict[str, dict[str, Decimal]] = {name: {} for name in wanted}
    names: set[str] = {"gross", "deductions", "net", "arrears"}
    corrected: set[Period] = set()
    for emp_id, employee in stored["employees"].items():
        lines = employee["lines"]
        names.update(lines)
        carried = employee.get("arrears") or []
        corrected.update(Period.parse(a["period"]) for a in carried)
        for name in wanted:
            if name in lines:
                amounts[name][emp_id] = Decimal(lines[name])
            elif name in ("gross", "deductions", "net"):
                amounts[name][emp_id] = Decimal(employee[name])
            elif name == "arrears" and carried:
                amounts[name][emp_id] = sum((_signed(a) for a in carried), Decimal(0))
    policy = stored["policy"]
    return ClosedResults(path, sha256, str(policy["sha256"]), str(policy["version"]),
                         frozenset(corrected), frozenset(names), amounts)  # fmt: skip


def summary_from_payroll_csv(folder: str, wanted: frozenset[str]) -> ClosedResults | None:
    """:class:`ClosedResults` from a closed run's payroll.csv and manifest (read in C, where
    results.json is parsed in Python: ten times faster), or None where the run wrote no
    payroll.csv.  The file must be the one the manifest recorded."""
    from ..data.cells import texts
    from ..data.reading import read_table

    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    recorded = manifest["outputs"].get("payroll.csv")
    path = os.path.join(folder, "payroll.csv")
    if recorded is None or not os.path.isfile(path):
        return None
    if _sha256(path) != recorded:
        raise ValueError(f"{path} is not the payroll.csv its run recorded (edited since?)")
    table, problems = read_table(path, manifest["options"].get("csv_encoding", "utf-8"))
    if table is None or problems:
        raise ValueError(f"{path} cannot be read: {problems[0].message if problems else ''}")
    header = table.header
    lines = header[3 : header.index("adjustments_earning")]
    cells = {n: texts(table.rows.columns[n]) for n in (*wanted, "id", "arrears_periods",
             "arrears_earning", "arrears_deduction") if n in table.rows.columns}  # fmt: skip
    ids = cells["id"]
    amounts: dict[str, dict[str, Decimal]] = {}
    for name in wanted:
        if name in cells:
            amounts[name] = dict(zip(ids, map(Decimal, cells[name]), strict=True))
        elif name == "arrears":
            carried = zip(ids, cells["arrears_periods"], cells["arrears_earning"],
                          cells["arrears_deduction"], strict=True)  # fmt: skip
            amounts[name] = {e: Decimal(a) - Decimal(d) for e, p, a, d in carried if p}
        else:
            amounts[name] = {}
    corrected = {Period.parse(p) for text in cells["arrears_periods"] for p in text.split()}
    names = {*lines, "gross", "deductions", "net", "arrears"}
    policy = manifest["policy"]
    return ClosedResults(path, table.sha256, str(policy["sha256"]), str(policy["version"]),
                         frozenset(corrected), frozenset(names), amounts)  # fmt: skip


def close_period(out: str, period: Period, closed_by: str, data: str) -> list[Diagnostic]:
    """Record a computed period as paid; its outputs must be exactly what its manifest says."""
    folder = os.path.join(out, str(period))
    manifest_file = os.path.join(folder, "manifest.json")
    with locked(out):
        if not os.path.isfile(manifest_file):
            return [
                error(
                    Source(folder),
                    f"nothing to close: {period} has not been computed into {out}",
                    Kind.USAGE,
                )
            ]
        with open(manifest_file, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if "results.json" not in manifest.get("outputs", {}):
            return [
                error(
                    Source(folder),
                    "a period is closed with its results.json; compute it with the json format",
                    Kind.USAGE,
                )
            ]
        changed = [
            name
            for name, sha in sorted(manifest["outputs"].items())
            if not os.path.isfile(os.path.join(folder, name))
            or _sha256(os.path.join(folder, name)) != sha
        ]
        if changed:
            return [
                error(
                    Source(os.path.join(folder, changed[0])),
                    f"refused: {len(changed)} output(s) differ from the manifest (edited since the "
                    "run?); recompute the period, then close it",
                    Kind.CONTROL,
                )
            ]
        if manifest.get("draft"):
            return [error(Source(folder), f"{folder} is a draft; a period is closed with its "
                          "own run (compute it without --draft)", Kind.USAGE)]  # fmt: skip
        entries, problems = read_ledger(data)
        if problems:
            return problems
        if period in entries:
            return [
                error(
                    Source(ledger_path(data)),
                    f"period {period} is already closed (by {entries[period].closed_by})",
                    Kind.CONTROL,
                )
            ]
        with open(os.path.join(folder, "results.json"), encoding="utf-8") as handle:
            stored = json.load(handle)
        totals = {"employees": str(len(stored["employees"])), **stored["totals"]}
        entries[period] = Closed(period, closed_by, _sha256(manifest_file),
                                 str(manifest["policy"]["version"]), totals,
                                 os.path.relpath(folder, data))  # fmt: skip
        _write_ledger(data, entries)
    return []


# --- arrears -------------------------------------------------------------------------------------


def _signed(arrear: dict[str, Any]) -> Decimal:
    """An arrear as results.json holds it, as it changed net pay."""
    return LineKind(arrear["kind"]).signed(Decimal(arrear["amount"]))


def _settled(policy: Policy | None) -> dict[str, LineKind]:
    """The settled lines of a version (final once paid) and their kinds."""
    if policy is None:
        return {}
    return {x.id: x.kind for x in policy.lines if x.settled and x.kind.paid}


def _of_settled(lines: dict[str, Any], settled: dict[str, LineKind]) -> Decimal:
    """What the settled lines took from (or added to) net pay."""
    total = Decimal(0)
    for line_id, kind in settled.items():
        if line_id in lines:
            total += kind.signed(Decimal(lines[line_id]))
    return total


def _own_net(employee: dict[str, Any], settled: dict[str, LineKind]) -> Decimal:
    """An employee's net in a closed period, without the arrears it carried for earlier ones
    and without its settled lines (never revalued)."""
    carried = sum((_signed(a) for a in employee.get("arrears", [])), Decimal(0))
    return Decimal(employee["net"]) - carried - _of_settled(employee["lines"], settled)


def data_changed(run: str, period: Period, data_dir: str) -> list[str]:
    """The files of a closed period's own data folder that changed (or went) since it was
    computed, by the manifest of its paid run (in the folder ``run``)."""
    try:
        with open(os.path.join(run, "manifest.json"), encoding="utf-8") as handle:
            recorded = json.load(handle)
        inputs = recorded["inputs"]
        root = os.path.normpath(os.path.join(run, recorded["root"])) if "root" in recorded \
            else "."  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return []
    folder = input_key(os.path.join(data_dir, str(period)), root)
    changed = []
    for name, sha in sorted(inputs.items()):
        if os.path.dirname(os.path.normpath(name)) != folder:
            continue
        path = os.path.normpath(os.path.join(root, name))
        if not os.path.isfile(path) or _sha256(path) != sha:
            changed.append(path)
    return changed


Recompute = Callable[[Period], tuple[Results | None, list[Diagnostic]]]


def _unreadable(path: str, exc: Exception) -> Diagnostic:
    return error(Source(path), f"closed results cannot be read: {exc}", Kind.CONTROL)


def _paid(
    runs: dict[Period, str],
    closed: list[Period],
    recorded: dict[Period, tuple[str, str]],
    policies: PolicySet,
) -> tuple[dict[tuple[str, Period], Decimal], list[Diagnostic]]:
    """What each employee was paid for each closed period, settled lines aside: its own net
    plus every arrear later periods carried for it (read only when a period is revalued)."""
    paid: dict[tuple[str, Period], Decimal] = {}
    for c in closed:
        path = os.path.join(runs[c], "results.json")
        try:
            stored, _ = closed_results(path)
            settled = _settled(policies.by_version(recorded[c][1]) or policies.in_force(c))
            for emp_id, employee in stored["employees"].items():
                paid[(emp_id, c)] = paid.get((emp_id, c), Decimal(0)) + _own_net(employee, settled)
                for arrear in employee.get("arrears", []):
                    key = (emp_id, Period.parse(arrear["period"]))
                    paid[key] = paid.get(key, Decimal(0)) + _signed(arrear)
        except (OSError, ValueError, KeyError, TypeError, PeriodError) as exc:
            return {}, [_unreadable(path, exc)]
    return paid, []


def arrears_for(
    period: Period,
    data_dir: str,
    policies: PolicySet,
    recompute: Recompute,
    wanted: frozenset[str] = frozenset(),
) -> tuple[tuple[Arrear, ...], dict[str, str], list[Diagnostic]]:
    """The arrears that ``period`` carries for the closed periods before it.

    Returns them with the inputs read (the closed results) and any problems.  A closed period is
    revalued (recomputed) when the version in force for it now is not the one it was paid under,
    when its own data changed since it was computed, or when arrears were already carried for
    it; each arrear says which.  The closed periods are the company's (the ledger in
    ``data_dir``), each read from its paid run, wherever this run writes.  Settled lines (the
    income tax withheld) are never revalued: the arrears are the difference of net pay without
    them.  ``wanted``: the names the run reads year to date,
    kept of each closed period as it is read (see :func:`closed_summary`).
    """
    entries, problems = read_ledger(data_dir)
    if problems:
        return (), {}, problems
    closed = sorted(p for p in entries if p < period)
    runs = {c: entries[c].run(data_dir) for c in closed}
    recorded: dict[Period, tuple[str, str]] = {}  # closed period → its policy's sha256, version
    corrected: set[Period] = set()
    inputs: dict[str, str] = {}
    for c in closed:
        problems += paid_run_problems(c, entries[c], data_dir)
    if has_errors(problems):
        return (), {}, problems
    for c in closed:  # what is kept of each: see ClosedResults
        path = os.path.join(runs[c], "results.json")
        try:
            summary = closed_summary(path, wanted)
        except (OSError, ValueError, KeyError, TypeError, ArithmeticError, PeriodError) as exc:
            return (), {}, [_unreadable(path, exc)]
        inputs[summary.path] = summary.sha256
        recorded[c] = (summary.policy_sha256, summary.version)
        corrected |= summary.corrected
    revalued: list[tuple[Period, Policy, str]] = []
    for c in closed:
        policy = policies.in_force(c)
        if policy is None:
            continue
        changed = data_changed(runs[c], c, data_dir)
        if changed and c not in corrected:  # said once: until arrears are carried for it
            problems.append(
                warning(Source(changed[0]), f"the data of closed period {c} changed since it was "
                        f"closed ({len(changed)} file(s)): {period} carries the difference as "
                        "arrears", Kind.DATA)
            )  # fmt: skip
        why = []
        if policy.sha256 != recorded[c][0]:
            why.append(f"paid under {recorded[c][1]}, {policy.version} now in force")
        if changed:
            why.append("data changed: " + ", ".join(changed))
        if why or c in corrected:
            revalued.append((c, policy, "; ".join(why) or "corrected before"))
    if not revalued:
        return (), inputs, problems
    paid, failed = _paid(runs, closed, recorded, policies)
    if failed:
        return (), {}, failed
    found: list[Arrear] = []
    for c, policy, because in revalued:
        results, recomputed = recompute(c)
        problems += recomputed
        if results is None:
            continue
        inputs |= results.inputs
        now_settled = _settled(policy)
        for emp_id, employee in results.employees.items():
            lines = {x.id: x.amount for x in employee.lines}
            due = employee.net - _of_settled(lines, now_settled)
            before = paid.get((emp_id, c), Decimal(0))
            delta = due - before
            if delta:
                kind = LineKind.EARNING if delta > 0 else LineKind.DEDUCTION
                found.append(Arrear(emp_id, c, kind, abs(delta), before, due, policy.version,
                                    because))  # fmt: skip
    return tuple(sorted(found, key=lambda a: (a.employee, a.period))), inputs, problems


def unpaid_arrears(arrears: tuple[Arrear, ...], results: Results) -> list[Diagnostic]:
    """Warnings for arrears of people who are not on this period's payroll."""
    return [
        warning(
            Source(f"{results.period}"),
            f"{a.label} of {a.amount} for employee {a.employee}, who is not on the "
            f"{results.period} payroll: settle it by hand",
            Kind.DATA,
        )
        for a in arrears
        if a.employee not in results.employees
    ]


__all__ = ["InnerpayError", "arrears_for", "close_period", "read_ledger", "refuse_closed"]
