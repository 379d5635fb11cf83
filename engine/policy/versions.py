"""Loading policies: from a folder of YAML files to checked :class:`Policy` versions.

``load → schema → model → checks`` for each file, then the checks across versions (labels and
`effective_from` unique).  Every step returns diagnostics; nothing raises for a problem in the
input.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
from dataclasses import dataclass, replace

from ..errors import Diagnostic, Kind, Source, error, has_errors, suggest, warning
from ..limits import MAX_POLICY_BYTES, bounded_read
from ..periods import Period
from .checks import check_parameters_used, check_policy, customer_loops
from .model import Policy, build_policy
from .schema import check_schema
from .yamlread import read_yaml

POLICY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class PolicySet:
    """Every version of a company's policy, ordered by `effective_from`."""

    policies: tuple[Policy, ...]

    def in_force(self, period: Period) -> Policy | None:
        """The version with the greatest `effective_from` <= period, or None."""
        found = None
        for policy in self.policies:
            if policy.effective_from <= period:
                found = policy
        return found

    def by_version(self, label: str) -> Policy | None:
        """The version with this label, or None."""
        return next((p for p in self.policies if p.version == label), None)

    @property
    def earlier_names(self) -> frozenset[str]:
        """The names any version reads year to date (what an earlier month must keep)."""
        return frozenset(n for p in self.policies for n in p.earlier_names)


def read_text(path: str) -> tuple[str | None, bytes, list[Diagnostic]]:
    """A policy file's text (UTF-8, BOM allowed) and its bytes, or a diagnostic (a regular
    file, within :data:`~innerpay.limits.MAX_POLICY_BYTES`)."""
    raw, why = bounded_read(path, MAX_POLICY_BYTES, "policy file")
    if raw is None:
        return None, b"", [error(Source(path), why)]
    try:
        return raw.decode("utf-8-sig"), raw, []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return (
            None,
            raw,
            [error(Source(path, line), f"not UTF-8: undecodable byte at offset {exc.start}")],
        )


def load_policy_text(text: str, file: str, sha256: str) -> tuple[Policy | None, list[Diagnostic]]:
    """One policy version from its text: strict YAML, schema, model, semantic checks."""
    doc, problems = read_yaml(text, file)
    if has_errors(problems):
        return None, problems
    if not isinstance(doc.data, dict):
        return None, [
            *problems,
            error(Source(file, 1, 1), "a policy file must be a mapping of keys"),
        ]
    problems += check_schema(doc)
    if has_errors(problems):
        return None, problems
    policy, found = build_policy(doc, sha256)
    problems += found
    if policy is None:
        return None, problems
    policy, found = check_policy(policy)
    problems += found
    if has_errors(problems):
        return None, problems  # and an unread parameter may only follow from them: unsaid
    return policy, problems + check_parameters_used(policy)


def load_policy_file(path: str) -> tuple[Policy | None, list[Diagnostic]]:
    """One policy version from a file."""
    text, raw, problems = read_text(path)
    if text is None:
        return None, problems
    return load_policy_text(text, path, hashlib.sha256(raw).hexdigest())


def policy_files(directory: str) -> list[str]:
    """The policy files of a folder (not its subfolders), sorted by name."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(POLICY_SUFFIXES))
    return [os.path.join(directory, n) for n in names]


def load_policies(directory: str) -> tuple[PolicySet, list[Diagnostic]]:
    """Every policy version of a folder, with every problem of every file and across files."""
    if not os.path.isdir(directory):
        return PolicySet(()), [error(Source(directory), "no such policies folder")]
    files = policy_files(directory)
    if not files:
        return PolicySet(()), [error(Source(directory), "no policy files (*.yaml) in this folder")]
    problems: list[Diagnostic] = []
    policies: list[Policy] = []
    for path in files:
        policy, found = load_policy_file(path)
        problems += found
        if policy is not None:
            policies.append(policy)
    problems += check_versions(policies)
    problems += check_broken_loops(policies)
    policies.sort(key=lambda p: (p.effective_from, p.version))
    return PolicySet(tuple(policies)), once_per_run(problems, policies)


def once_per_run(problems: list[Diagnostic], policies: list[Policy]) -> list[Diagnostic]:
    """A warning that several versions give alike (a department without customer kept from one
    version to the next) is said once, at the latest of them, naming the others."""
    order = {p.file: (p.effective_from, p.version) for p in policies}
    alike: dict[str, list[Diagnostic]] = {}
    for d in problems:
        if not d.is_error and d.source.file in order:
            alike.setdefault(d.message, []).append(d)
    kept: list[Diagnostic] = []
    for d in problems:
        same = alike.get(d.message, [])
        if d.is_error or len(same) < 2:
            kept.append(d)
            continue
        latest = max(same, key=lambda x: order[x.source.file])
        if d is latest:
            others = sorted({x.source.file for x in same if x is not d}, key=order.__getitem__)
            kept.append(replace(d, message=f"{d.message} (also in {', '.join(others)})"))
    return kept


def check_versions(policies: list[Policy]) -> list[Diagnostic]:
    """Version labels and `effective_from` are unique across the folder."""
    problems: list[Diagnostic] = []
    labels: dict[str, Policy] = {}
    starts: dict[Period, Policy] = {}
    for policy in sorted(policies, key=lambda p: p.file):
        first = labels.setdefault(policy.version, policy)
        if first is not policy:
            problems.append(
                error(
                    policy.doc.at(("version",)),
                    f"version '{policy.version}' is also the label of {first.file}; "
                    "each version needs its own label",
                )
            )
        first = starts.setdefault(policy.effective_from, policy)
        if first is not policy:
            problems.append(
                error(
                    policy.doc.at(("effective_from",)),
                    f"effective_from {policy.effective_from} is also that of {first.file}; "
                    "two versions cannot take effect in the same period",
                )
            )
    return problems


def check_broken_loops(policies: list[Policy]) -> list[Diagnostic]:
    """A loop of internal customers that the version before had and this one breaks (a
    department's customer changed, or a department gone): a warning at this version, naming
    the loop and what changed."""
    problems: list[Diagnostic] = []
    ordered = sorted(policies, key=lambda p: (p.effective_from, p.version))
    for before, after in itertools.pairwise(ordered):
        now = [set(loop) for loop in customer_loops(after)]
        for loop in customer_loops(before):
            kept = [d for d in loop if d in after.departments]
            if kept and any(set(kept) <= members for members in now):
                continue
            changed = [d for d in kept if after.departments[d].customer_departments
                       != before.departments[d].customer_departments]  # fmt: skip
            gone = [d for d in loop if d not in after.departments]
            what = [f"'{d}' now has the customers "
                    f"{', '.join(after.departments[d].customer_departments) or 'none'}"
                    for d in changed]  # fmt: skip
            what += [f"'{d}' is no longer a department" for d in gone]
            where = (after.doc.key_at(("departments", changed[0], "customers")) if changed
                     else after.doc.key_at(("departments",)))  # fmt: skip
            chain = " → ".join([*loop, loop[0]])
            problems.append(warning(where, f"the loop of internal customers {chain} of version "
                f"{before.version} is broken in version {after.version}: "
                f"{'; '.join(what) or 'it no longer closes'}"))  # fmt: skip
    return problems


def version_in_force(
    policies: PolicySet, period: Period, directory: str
) -> tuple[Policy | None, list[Diagnostic]]:
    """The version in force for ``period``, or a diagnostic saying why there is none."""
    policy = policies.in_force(period)
    if policy is not None:
        return policy, []
    if not policies.policies:
        return None, [error(Source(directory), "no valid policy version")]
    earliest = policies.policies[0]
    return None, [
        error(
            Source(earliest.file, 1, 1),
            f"no policy version is in force for {period}: the earliest, '{earliest.version}', "
            f"takes effect {earliest.effective_from}",
        )
    ]


def _git_show(spec: str) -> tuple[str | None, bytes, str]:
    """The text of ``REF:path`` read through git (nothing checked out), or an error message.
    The spec is never taken for an option (``--output=...`` would make git write a file)."""
    if spec.startswith("-") or any(ord(c) < 32 for c in spec):
        return None, b"", "not a GIT-REF:path (a ref does not start with '-')"
    try:
        done = subprocess.run(["git", "show", "--end-of-options", spec], capture_output=True,
                              timeout=30, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return None, b"", f"git cannot be run: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        return None, b"", reason[0] if reason else "git show failed"
    try:
        return done.stdout.decode("utf-8-sig"), done.stdout, ""
    except UnicodeDecodeError:
        return None, done.stdout, "not UTF-8"


def load_version(
    spec: str, policies: PolicySet, directory: str
) -> tuple[Policy | None, list[Diagnostic]]:
    """A policy named on the command line: a version label, a policy file, or ``GIT-REF:path``."""
    labelled = policies.by_version(spec)
    if labelled is not None:
        return labelled, []
    if os.path.isfile(spec):
        return load_policy_file(spec)
    if ":" in spec:
        text, raw, problem = _git_show(spec)
        if text is None:
            return None, [
                error(Source(spec), f"cannot read {spec} through git: {problem}", Kind.USAGE)
            ]
        return load_policy_text(text, spec, hashlib.sha256(raw).hexdigest())
    labels = [p.version for p in policies.policies]
    return None, [
        error(
            Source(directory),
            f"no version, file or GIT-REF:path '{spec}'{suggest(spec, labels)}; "
            f"versions: {', '.join(labels) or 'none'}",
            Kind.USAGE,
        )
    ]
