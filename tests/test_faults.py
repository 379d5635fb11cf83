"""Faults: a run killed at any moment, two runs at once, a disk that fills up, huge formulas.

Each leaves the earlier outputs byte for byte as they were and nothing that breaks the next run.
"""

from __future__ import annotations

import array
import hashlib
import resource
import shutil
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from innerpay.outputs import Content, write_run

from .conftest import CASES, run_cli

POLICY_CASES = sorted((CASES / "policy").glob("*.yaml"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def compute(home: Path, *extra: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        [sys.executable, "-m", "innerpay.cli", "compute", "--period", "2024-05", *extra],
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def done(run: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a run; its exit code and stderr (its pipes closed)."""
    _, err = run.communicate(timeout=300)
    return run.returncode, err


def grow(company: Path, copies: int) -> None:
    """Many more employees in 2024-05, so that rendering takes a while."""
    employees = company / "fixtures" / "2024-05" / "employees.csv"
    lines = employees.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    extra = []
    for n in range(copies):
        for row in rows:
            cells = row.split(",")
            cells[0] = f"X{n:04d}{cells[0]}"
            extra.append(",".join(cells))
    employees.write_text("\n".join([header, *rows, *extra]) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "policy_case",
    [p for p in POLICY_CASES if ": error: " in p.read_text(encoding="utf-8")],
    ids=lambda p: p.stem,
)
def test_a_bad_policy_writes_nothing(company: Path, policy_case: Path) -> None:
    for old in (company / "policies").glob("*.yaml"):
        old.unlink()
    shutil.copy(policy_case, company / "policies" / policy_case.name)
    ran = run_cli(["compute", "--period", "2024-05"])
    assert ran.code == 3
    assert "Traceback" not in ran.stderr
    assert not (company / "out").exists()


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            "+".join(["base_salary"] * 200_000),  # over a policy value's limit
            "83:16: error: a value of 2,399,999 characters; a policy's values are at most 65,536 "
            "(MAX_SCALAR_CHARS)",
        ),
        (
            "+".join(["base_salary"] * 5_000),
            "83:16: error: formula is 59999 characters long; at most 2000",
        ),
        (
            "(" * 10_000 + "1" + ")" * 10_000,
            "83:16: error: formula is 20001 characters long; at most 2000",
        ),
        (
            "(" * 300 + "1" + ")" * 300,
            "83:216: error: formula cannot be parsed: too many nested parentheses",
        ),
        ("-" * 1500 + "1", "83:16: error: formula is too large: more than 400 parts"),
    ],
)
def test_huge_and_deep_formulas_are_refused_at_once(
    company: Path, formula: str, message: str
) -> None:
    policy = company / "policies" / "2024-05.yaml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "formula: prorate(base_salary)", f"formula: {formula}"
        ),
        encoding="utf-8",
    )
    started = time.monotonic()
    ran = run_cli(["validate"])
    assert (
        time.monotonic() - started < 30
    )  # refused, not computed (a generous bound, not a benchmark)
    assert ran.code == 3
    assert f"policies/2024-05.yaml:{message}" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_run_killed_at_any_moment_leaves_the_earlier_outputs(company: Path) -> None:
    grow(company, 60)  # about 1,900 employees: a few seconds of rendering and writing
    assert done(compute(company))[0] == 0
    before = files_of(company / "out" / "2024-05")
    # change an input, so that a complete second run would change the outputs
    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(
        adjustments.read_text(encoding="utf-8").replace("500.00", "600.00"), encoding="utf-8"
    )
    started = time.monotonic()
    assert done(compute(company))[0] == 0
    duration = time.monotonic() - started
    after = files_of(company / "out" / "2024-05")
    assert after != before
    # restore the first run's outputs exactly, then kill runs at moments spread over a run
    shutil.rmtree(company / "out" / "2024-05")
    (company / "out" / "2024-05").mkdir()
    for name, content in before.items():
        target = company / "out" / "2024-05" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for fraction in (0.15, 0.35, 0.55, 0.75, 0.9):
        victim = compute(company)
        time.sleep(duration * fraction)
        victim.send_signal(signal.SIGKILL)
        done(victim)
        # all of the earlier run, or (killed after it finished) all of the new one; never a mix
        assert files_of(company / "out" / "2024-05") in (before, after), fraction
    # the next run is not hindered by what the killed ones left, and clears it
    assert done(compute(company))[0] == 0
    assert files_of(company / "out" / "2024-05") == after
    assert sorted(p.name for p in (company / "out").iterdir()) == [".innerpay.lock", "2024-05"]


def test_two_runs_at_once_one_waits_out_with_6(company: Path) -> None:
    grow(company, 20)
    assert done(compute(company))[0] == 0  # the output folder exists: runs lock at once
    runs = [compute(company) for _ in range(2)]
    results = [done(run) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 6], results
    loser = next(err for code, err in results if code == 6)
    assert loser == (
        "out: error: busy: another innerpay run holds the lock on this output folder; "
        "wait for it to finish\n"
    )


def test_a_full_disk_is_a_clear_error_and_changes_nothing(company: Path) -> None:
    assert done(compute(company))[0] == 0
    before = files_of(company / "out" / "2024-05")

    def small_files() -> None:  # runs in the child: writes past 4 KiB fail as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    adjustments = company / "fixtures" / "2024-05" / "adjustments.csv"
    adjustments.write_text(
        adjustments.read_text(encoding="utf-8").replace("500.00", "600.00"), encoding="utf-8"
    )
    code, err = done(compute(company, preexec_fn=small_files))
    assert code == 7, err
    assert err == (
        "out: error: cannot write the output: a file is larger than this system allows "
        "(is the disk full?); nothing was changed\n"
    )
    assert files_of(company / "out" / "2024-05") == before
    assert sorted(p.name for p in (company / "out").iterdir()) == [".innerpay.lock", "2024-05"]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["validate"], 0),
        (["chain"], 0),
        (["schema"], 0),
        (["test"], 0),
        (["compute", "--period", "2099-01"], 4),
    ],
)
def test_no_traceback_from_the_installed_command(company: Path, args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "innerpay.cli", *args],
        cwd=company,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr


def test_each_output_is_let_go_once_written(tmp_path: Path) -> None:
    """A run writes its files as they come: the first is freed before the second is made."""
    refs: list[weakref.ref[array.array[int]]] = []
    alive: list[bool] = []

    def files() -> Iterator[tuple[str, Content]]:
        piece = array.array("B", b"first\n")
        refs.append(weakref.ref(piece))
        yield "a.txt", (piece,)
        del piece
        alive.append(refs[0]() is not None)
        yield "b/c.txt", b"second\n"

    hashes: list[dict[str, str]] = []

    def manifest(outputs: dict[str, str]) -> bytes:
        hashes.append(outputs)
        return b"{}\n"

    write_run(str(tmp_path), "2024-05", files(), manifest)
    assert alive == [False]
    assert hashes == [
        {
            "a.txt": hashlib.sha256(b"first\n").hexdigest(),
            "b/c.txt": hashlib.sha256(b"second\n").hexdigest(),
        }
    ]
    assert files_of(tmp_path / "2024-05") == {
        "a.txt": b"first\n",
        "b/c.txt": b"second\n",
        "manifest.json": b"{}\n",
    }


def test_a_file_that_fails_to_be_made_changes_nothing(tmp_path: Path) -> None:
    write_run(str(tmp_path), "2024-05", [("a.txt", b"earlier\n")], lambda outputs: b"{}\n")
    before = files_of(tmp_path)

    def files() -> Iterator[tuple[str, Content]]:
        yield "a.txt", b"later\n"
        raise RuntimeError("the second file could not be made")

    with pytest.raises(RuntimeError):
        write_run(str(tmp_path), "2024-05", files(), lambda outputs: b"{}\n")
    assert files_of(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024-05"]
