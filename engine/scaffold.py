"""`innerpay init`: a new HR policy repository that validates, tests and computes out of the box.

It copies the reference company (its policy versions and test cases, six months of data, the
JSON Schemas the policies' modelines name, the policy language reference), and writes a
pre-commit configuration and a README for HR.  It never writes into a folder that already
holds files.
"""

from __future__ import annotations

import os
import shutil

from .errors import Diagnostic, Kind, Source, error

HR_README = """\
# Our pay and promotion policy (innerpay)

This repository holds the company's policy for the internal customer mechanism (内部顾客机制)
as versioned YAML, and the data of each month. innerpay checks it and computes the pay slips.

```sh
innerpay validate                    # is every policy version right? (every problem at once)
innerpay test                        # do our own examples still give the expected pay?
innerpay compute --period 2024-05    # pay slips and reports of a month, into out/2024-05/
```

## Layout

- `policies/*.yaml`: one file per policy version; the version in force for a month is the one
  with the latest `effective_from` on or before it. Your editor completes and checks keys
  (the first line of each file names `schema/policy.schema.json`).
- `policies/tests/*.yaml`: test cases: a month, a few employees, the values we expect.
- `data/<YYYY-MM>/`: `employees.csv` and one table per metric (`.csv` or `.xlsx`), and when
  needed `candidates.csv`, `ballots.csv`, `adjustments.csv`.
- `out/`: what innerpay writes (not kept in git).
- `docs/policy-language.md`: every key, name, function and operator a policy may use, with
  examples.

## Changing the policy

1. Copy the latest version to a new file, give it a new `version` and `effective_from`.
2. `innerpay validate`, then `innerpay diff --period 2024-05 --base 2024.05 --head <new>` to see
   what the change does to every employee.
3. Add or update a case in `policies/tests/`, run `innerpay test`, commit.

`pre-commit install` runs `innerpay validate` (every policy version, and the data of each month
whose folder the commit changes) and `innerpay test` before every commit.
"""

PRE_COMMIT = """\
# Runs innerpay's checks before every commit: `pre-commit install` once.
repos:
  - repo: local
    hooks:
      - id: innerpay-validate
        name: innerpay validate
        entry: innerpay validate
        language: system
        files: ^(policies/|data/[0-9]{4}-[0-9]{2}/)
        pass_filenames: true  # the changed data files: each one's month is checked too
      - id: innerpay-test
        name: innerpay test
        entry: innerpay test
        language: system
        files: ^policies/
        pass_filenames: false
"""

GITIGNORE = "out/\n"


def reference() -> str:
    """The reference company shipped with the package."""
    from importlib import resources  # only `init` needs it (20 ms at every start)

    return str(resources.files("innerpay") / "reference")


def init_repository(target: str) -> list[Diagnostic]:
    """Scaffold a new HR repository in ``target`` (which must be new or empty)."""
    if os.path.exists(target) and (not os.path.isdir(target) or os.listdir(target)):
        return [
            error(
                Source(target),
                "the folder is not empty; init writes only into a new or empty folder",
                Kind.USAGE,
            )
        ]
    source = reference()
    os.makedirs(target, exist_ok=True)
    shutil.copytree(os.path.join(source, "policies"), os.path.join(target, "policies"))
    shutil.copytree(os.path.join(source, "fixtures"), os.path.join(target, "data"))
    shutil.copytree(os.path.join(source, "schema"), os.path.join(target, "schema"))
    os.makedirs(os.path.join(target, "docs"))
    shutil.copy(
        os.path.join(source, "docs", "policy-language.md"),
        os.path.join(target, "docs", "policy-language.md"),
    )
    files = {"README.md": HR_README, ".pre-commit-config.yaml": PRE_COMMIT, ".gitignore": GITIGNORE}
    for name, text in files.items():
        with open(os.path.join(target, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    return []
