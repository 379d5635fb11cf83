"""Period data: the files of ``<data>/<period>/`` read, typed and checked against the policy.

The step before evaluation.  Reads the folder as SPEC.md (Period data) lays it out: the roster
(:mod:`innerpay.data.roster`), every metric table reduced to its tallies as it is read
(:mod:`innerpay.data.tally`), the candidates, the ballots (as columns: a large company casts
hundreds of thousands) and the adjustments.  Every bad cell is a diagnostic with file, row and
column.  Nothing here computes pay.
"""

from __future__ import annotations

import os
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ..errors import Diagnostic, Source, suggest
from ..formulas.vectors import Rows, Values, Vector
from ..periods import Period
from ..policy.model import Approvers, LineKind, Policy
from ..progress import Progress, quietly
from . import columns
from .cells import CellError, parse_money, texts
from .reading import find_table, read_table, stream_table
from .records import RecordSums, absent, no_records, sum_records
from .roster import FIXED, Roster, empty_roster, type_roster
from .tables import Decline, Stream, Table, data_error, require
from .tally import Tallies, needed_columns, tally_stream

EMPLOYEES = "employees"
CANDIDATES = "candidates"
BALLOTS = "ballots"
ADJUSTMENTS = "adjustments"
OPTIONAL = (CANDIDATES, BALLOTS, ADJUSTMENTS)
#: The columns each small table must have (adjustments: and `category` where the policy
#: declares categories).
REQUIRED = {
    EMPLOYEES: FIXED,
    CANDIDATES: ("candidate", "position"),
    BALLOTS: ("candidate", "voter", "vote"),
    ADJUSTMENTS: ("employee", "label", "amount", "kind", "reason", "approved_by"),
}


@dataclass(frozen=True)
class Candidate:
    """A candidate standing for a position this period."""

    id: str
    position: str
    source: Source


@dataclass(frozen=True)
class Ballots:
    """The ballots as cast, as columns in file order; validity is for the election rules."""

    path: str
    candidate: Vector
    voter: Vector
    vote: Vector
    lines: Sequence[int]

    def __len__(self) -> int:
        return len(self.lines)


def no_ballots(path: str = "ballots.csv") -> Ballots:
    """No ballot cast."""
    return Ballots(path, Values([]), Values([]), Values([]), [])


@dataclass(frozen=True)
class Adjustment:
    """A one-off line on a slip (a correction, a hold, a clawback), with reason and approver."""

    employee: str
    label: str
    amount: Decimal
    kind: LineKind
    reason: str
    approved_by: str
    source: Source
    category: str | None = None  # one of the policy's adjustment categories, where it has some

    @property
    def signed(self) -> Decimal:
        """The amount as it changes net pay (a deduction negative)."""
        return self.kind.signed(self.amount)


@dataclass(frozen=True)
class PeriodData:
    """Everything read for one period."""

    period: Period
    folder: str
    roster: Roster
    # metric table → appraised department → metric → its sums (the rows are not kept)
    tables: dict[str, Tallies] = field(default_factory=dict)
    candidates: tuple[Candidate, ...] = ()
    ballots: Ballots = field(default_factory=no_ballots)
    adjustments: tuple[Adjustment, ...] = ()
    inputs: dict[str, str] = field(default_factory=dict)  # file → sha256
    table_files: dict[str, str] = field(default_factory=dict)  # metric table → file read
    records: dict[str, RecordSums] = field(default_factory=dict)  # record table → its sums
    encodings: dict[str, str] = field(default_factory=dict)  # file read in another than UTF-8


def period_folder(data_dir: str, period: Period) -> str:
    """``<data>/<period>``."""
    return os.path.join(data_dir, str(period))


# --- the small tables, row by row ----------------------------------------------------------------


def _records(
    table: Table | None, required: list[str], problems: list[Diagnostic]
) -> list[tuple[int, dict[str, str], list[Diagnostic]]]:
    """The rows of an optional table, as {column: cell}, each with the problems of its empty
    required cells."""
    if table is None or not require(table, required, "required", problems):
        return []
    cells = {name: texts(column) for name, column in table.rows.columns.items()}
    found = []
    for k, line in enumerate(table.rows.lines):
        record = {name: values[k] for name, values in cells.items()}
        empty = [
            data_error(table.at(line, name), f"{name} is empty")
            for name in required
            if not record[name].strip()
        ]
        problems += empty
        found.append((line, record, empty))
    return found


def type_candidates(
    table: Table | None, employees: Container[str], problems: list[Diagnostic]
) -> tuple[Candidate, ...]:
    """candidates.csv: each an employee of the period, once."""
    assert table is None or isinstance(table, Table)
    found: dict[str, Candidate] = {}
    for line, record, empty in _records(table, list(REQUIRED[CANDIDATES]), problems):
        if empty:
            continue
        assert table is not None
        cid = record["candidate"]
        if cid not in employees:
            problems.append(
                data_error(
                    table.at(line, "candidate"),
                    f"candidate '{cid}' is not an employee this period",
                    cid,
                )
            )
        elif cid in found:
            first = found[cid].source.line
            problems.append(
                data_error(
                    table.at(line, "candidate"),
                    f"candidate '{cid}' is listed twice (first at line {first})",
                )
            )
        else:
            found[cid] = Candidate(cid, record["position"].strip(), Source(table.path, line))
    return tuple(sorted(found.values(), key=lambda c: c.id))


def approver_of(text: str, roster: Roster) -> str | None:
    """The employee an adjustment's ``approved_by`` names: its first word where that is an id
    of the period (``E024 韩梅 Han Mei``), else the one employee whose name it is."""
    words = text.split()
    if words and words[0] in roster:
        return words[0]
    at = [k for k, name in enumerate(roster.column("name").values()) if name == text]
    return roster.ids[at[0]] if len(at) == 1 else None


def _approval(record: dict[str, str], roster: Roster, approvers: Approvers | None) -> str | None:
    """What is wrong with an adjustment's approver, if anything: the employee themself, or,
    where the policy names who may approve, someone else."""
    employee, text = record["employee"].strip(), record["approved_by"].strip()
    approver = approver_of(text, roster)
    if approver == employee:
        return (f"adjustment for {employee} is approved by {employee} themself: an adjustment "
                "needs another approver")  # fmt: skip
    if approvers is None:
        return None
    if approver is None:
        return (f"approved_by '{text}' names no employee of this period: write the approver's "
                "id first (as in 'E024 韩梅 Han Mei'), so that adjustment_approvers can be "
                "held")  # fmt: skip
    at = roster.index(approver)
    role = roster.column("role").values()[at] if at is not None else None
    if approver in approvers.people or role in approvers.roles:
        return None
    return (
        f"{approver} ({role}) may not approve adjustments: the policy's "
        f"adjustment_approvers are {approvers}"
    )


def type_adjustments(
    table: Table | None,
    employees: Roster,
    problems: list[Diagnostic],
    categories: Mapping[str, str] | None = None,
    approvers: Approvers | None = None,
) -> tuple[Adjustment, ...]:
    """adjustments.csv: one-off lines with their reason and approver (and their category, where
    the policy declares categories); the approver is never the employee, and one the policy's
    ``adjustment_approvers`` name where it names any."""
    required = list(REQUIRED[ADJUSTMENTS])
    if categories:
        required.append("category")
    result: list[Adjustment] = []
    for line, record, empty in _records(table, required, problems):
        assert table is not None
        mine: list[Diagnostic] = []
        if record["employee"] and record["employee"] not in employees:
            mine.append(
                data_error(
                    table.at(line, "employee"),
                    f"adjustment for '{record['employee']}', who is not an employee this period",
                    record["employee"],
                )
            )
        if record["employee"] in employees and record["approved_by"]:
            wrong = _approval(record, employees, approvers)
            if wrong:
                mine.append(data_error(table.at(line, "approved_by"), wrong))
        category = record.get("category", "").strip() or None
        if categories and category and category not in categories:
            mine.append(
                data_error(
                    table.at(line, "category"),
                    f"category '{category}' is not one of the policy's adjustment categories "
                    f"({', '.join(categories)}){suggest(category, categories)}",
                )
            )
        if not categories and category:
            mine.append(
                data_error(
                    table.at(line, "category"),
                    f"category '{category}': the policy declares no adjustment categories "
                    "(adjustment_categories)",
                )
            )
        if record["kind"] and record["kind"] not in (LineKind.EARNING, LineKind.DEDUCTION):
            mine.append(
                data_error(
                    table.at(line, "kind"),
                    f"kind '{record['kind']}' must be earning or deduction",
                )
            )
        amount = None
        if record["amount"]:
            try:
                amount = parse_money(record["amount"])
            except CellError as exc:
                mine.append(data_error(table.at(line, "amount"), f"amount: {exc}"))
            if amount is not None and amount < 0:
                mine.append(data_error(table.at(line, "amount"), f"amount {record['amount']} is "
                    "negative: write it positive, and the kind says which way it goes (a "
                    "deduction takes it off)"))  # fmt: skip
        problems += mine
        if mine or empty or amount is None:
            continue
        result.append(
            Adjustment(
                employee=record["employee"],
                label=record["label"].strip(),
                amount=amount,
                kind=LineKind(record["kind"]),
                reason=record["reason"].strip(),
                approved_by=record["approved_by"].strip(),
                source=Source(table.path, line),
                category=category,
            )
        )
    return tuple(result)


def type_ballots(table: Table | None, standing: set[str], problems: list[Diagnostic]) -> Ballots:
    """ballots.csv as cast (the voter and the vote without surrounding spaces); a ballot with an
    empty cell or for someone not in candidates.csv is a problem and left out."""
    if table is None:
        return no_ballots()
    if not require(table, REQUIRED[BALLOTS], "required", problems):
        return no_ballots(table.path)
    rows = table.rows
    candidate = rows.columns["candidate"]
    voter = columns.stripped(rows.columns["voter"])
    vote = columns.stripped(rows.columns["vote"])
    bad: set[int] = set()
    for name, column in (("candidate", columns.stripped(candidate)), ("voter", voter),
                         ("vote", vote)):  # fmt: skip
        for row in columns.empty(column):
            bad.add(row)
            problems.append(data_error(table.at(rows.lines[row], name), f"{name} is empty"))
    for row in columns.outside(candidate, sorted(standing)):
        if row in bad:
            continue
        bad.add(row)
        problems.append(
            data_error(
                table.at(rows.lines[row], "candidate"),
                f"ballot for '{candidate.at(row)}', who is not in candidates.csv",
                str(candidate.at(row)),
            )
        )
    if not bad:
        return Ballots(table.path, candidate, voter, vote, rows.lines)
    keep = Rows.of_positions(rows.size, [k for k in range(rows.size) if k not in bad])
    lines = [rows.lines[k] for k in keep.positions()]
    return Ballots(table.path, candidate.take(keep), voter.take(keep), vote.take(keep), lines)


# --- a period ------------------------------------------------------------------------------------


def metric_tables(policy: Policy) -> list[str]:
    """The tables the policy's metrics are counted over, sorted."""
    return sorted({m.table for m in policy.metrics.values()})


def assemble(
    period: Period,
    folder: str,
    tables: dict[str, Table | None],
    streams: dict[str, Stream | None],
    tallies: dict[str, Tallies],
    policy: Policy,
    problems: list[Diagnostic],
    absent_is_empty: bool = False,
    aside: frozenset[str] = frozenset(),
) -> PeriodData:
    """Type the tables of a period (read from files or given inline) into PeriodData;
    ``tallies`` holds the metric tables already counted, ``streams`` those still to count.
    A record table not given is an error unless it is optional (or ``absent_is_empty``: a test
    case gives only the tables it is about).  The employees and rows of the departments
    ``aside`` (another version's, for `diff`) are set aside, and so is what names them."""
    employees = tables.get(EMPLOYEES)
    roster = (
        type_roster(employees, policy, problems, aside, period)
        if employees is not None
        else empty_roster(find_table(folder, EMPLOYEES)[0], policy)  # its .csv or .xlsx
    )
    counted = dict(tallies)
    for name in metric_tables(policy):
        stream = streams.get(name)
        if name not in counted:
            counted[name] = (
                tally_stream(stream, name, policy, problems, aside=aside) if stream else {}
            )
    about: list[Diagnostic] = []  # the problems of the tables that name employees
    candidates = type_candidates(tables.get(CANDIDATES), roster, about)
    ballots = type_ballots(tables.get(BALLOTS), {c.id for c in candidates}, about)
    adjustments = type_adjustments(
        tables.get(ADJUSTMENTS), roster, about, policy.adjustment_categories, policy.approvers
    )
    records: dict[str, RecordSums] = {}
    for name, record_table in sorted(policy.records.items()):
        given = tables.get(name)
        if given is not None:
            records[name] = sum_records(given, record_table, policy, roster.ids, about)
            continue
        path = os.path.join(folder, f"{name}.csv")
        if not (record_table.optional or absent_is_empty):
            about.append(absent(record_table, path, policy))
        records[name] = no_records(record_table, path)
    if roster.aside:  # what names an employee set aside is another version's, not a problem
        about = [d for d in about if d.about not in roster.aside]
    problems[:] = root_causes_first(problems, about, roster, employees is None)
    read = [t for t in tables.values() if t is not None]
    read_streams = [s for s in streams.values() if s is not None]
    return PeriodData(
        period=period,
        folder=folder,
        roster=roster,
        tables=counted,
        candidates=candidates,
        ballots=ballots,
        adjustments=adjustments,
        inputs=dict(
            sorted([(t.path, t.sha256) for t in read] + [(s.path, s.sha256) for s in read_streams])
        ),
        table_files={
            name: (s.path if s else os.path.join(folder, f"{name}.csv"))
            for name in counted
            for s in [streams.get(name)]
        },
        records=records,
        encodings={
            path: used
            for path, used in [(t.path, t.encoding) for t in read]
            + [(s.path, s.encoding) for s in read_streams]
            if used not in ("utf-8", "utf8", "UTF-8")
        },
    )


def root_causes_first(
    problems: list[Diagnostic], about: list[Diagnostic], roster: Roster, unread: bool
) -> list[Diagnostic]:
    """The problems of the tables that name employees, without those that only follow from a
    problem of employees.csv (an employee whose row was left out is "not an employee"; a file
    that could not be read has no employees at all): the root problem says how many it hides."""
    roots = [d for d in problems if d.is_error and d.source.file == roster.path]
    if unread and roots:  # every employee named elsewhere follows from the file
        hidden = [d for d in about if d.is_error]
        return _counted(problems, {roots[0]: len(hidden)}) + [d for d in about if not d.is_error]
    counts: dict[Diagnostic, int] = {}
    kept: list[Diagnostic] = []
    by_source = {d.source: d for d in roots}
    for d in about:
        cause = roster.left_out.get(d.about) if d.about is not None else None
        root = by_source.get(cause) if cause is not None else None
        if root is not None and d.is_error:
            counts[root] = counts.get(root, 0) + 1
        else:
            kept.append(d)
    return _counted(problems, counts) + kept


def _counted(problems: list[Diagnostic], counts: dict[Diagnostic, int]) -> list[Diagnostic]:
    def said(d: Diagnostic) -> Diagnostic:
        n = counts.get(d, 0)
        if not n:
            return d
        noun = "error that follows" if n == 1 else "errors that follow"
        return replace(d, message=f"{d.message} (and {n} {noun} from this, not shown)")

    return [said(d) for d in problems]


def count_table(
    folder: str,
    name: str,
    policy: Policy,
    encoding: str,
    problems: list[Diagnostic],
    progress: Progress = quietly,
    aside: frozenset[str] = frozenset(),
) -> tuple[Stream | None, Tallies]:
    """A metric table of a folder, read and counted (the arrow reader's blocks, or the csv
    module's where the arrow reader declines: then the whole table again)."""
    path, found = find_table(folder, name)
    if found:
        problems += found
        return None, {}
    for fast in (True, False):
        found = []
        stream, found = stream_table(path, ["department", *needed_columns(policy, name)], encoding,
                                     fast, policy.layout(name))  # fmt: skip
        if stream is None:
            problems += found
            return None, {}
        try:
            tallies = tally_stream(stream, name, policy, found, progress, aside)
        except Decline:
            continue
        problems += found
        return stream, tallies
    raise AssertionError("the csv module never declines")  # pragma: no cover


def _read(
    folder: str, name: str, encoding: str, policy: Policy, problems: list[Diagnostic]
) -> Table | None:
    """A small table of a folder (an optional or record table that is not there: None)."""
    path, found = find_table(folder, name)
    problems += found
    if found:
        return None
    if name != EMPLOYEES and not os.path.exists(path):
        return None
    record_table = policy.records.get(name)
    wanted = REQUIRED.get(name) or (
        (record_table.employee, *record_table.columns) if record_table else ()
    )
    table, found = read_table(path, encoding, policy.layout(name), wanted)
    problems += found
    return table


def load_period(
    data_dir: str,
    period: Period,
    policy: Policy,
    encoding: str = "utf-8",
    progress: Progress = quietly,
    aside: frozenset[str] = frozenset(),
) -> tuple[PeriodData | None, list[Diagnostic]]:
    """Read and check every file of ``<data>/<period>`` against ``policy`` (the rows of the
    departments ``aside``, another version's, set aside: see :func:`assemble`)."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, [data_error(Source(folder), f"no data folder for period {period}")]
    problems: list[Diagnostic] = []
    tables = {
        name: _read(folder, name, encoding, policy, problems)
        for name in (EMPLOYEES, *OPTIONAL, *sorted(policy.records))
    }  # an absent record table is assembled as none, or an error
    streams: dict[str, Stream | None] = {}
    tallies: dict[str, Tallies] = {}
    for name in metric_tables(policy):
        streams[name], tallies[name] = count_table(folder, name, policy, encoding, problems,
                                                   progress, aside)  # fmt: skip
    return assemble(period, folder, tables, streams, tallies, policy, problems,
                    aside=aside), problems  # fmt: skip


def load_tables(
    data_dir: str, period: Period, policy: Policy, encoding: str = "utf-8"
) -> tuple[PeriodData | None, list[Diagnostic]]:
    """Only the metric tables of a period (for review streaks over earlier periods)."""
    folder = period_folder(data_dir, period)
    if not os.path.isdir(folder):
        return None, []
    problems: list[Diagnostic] = []
    streams: dict[str, Stream | None] = {}
    tallies: dict[str, Tallies] = {}
    for name in metric_tables(policy):
        streams[name], tallies[name] = count_table(folder, name, policy, encoding, problems)
    return assemble(period, folder, {}, streams, tallies, policy, problems), problems
