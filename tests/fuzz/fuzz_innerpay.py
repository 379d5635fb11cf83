"""Coverage-guided fuzzing of the policy loader, the formula compiler, the .xlsx reader and
verify's reading of a manifest (atheris).

    pip install atheris
    python tests/fuzz/fuzz_innerpay.py -max_total_time=300 "$(mktemp -d)" policies tests/cases/policy

libFuzzer writes new inputs into the first folder only; the others seed it.  Any exception other
than a diagnostic (or a FormulaError while evaluating) is a finding.
"""

from __future__ import annotations

import pathlib
import sys

import atheris

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the repository root

with atheris.instrument_imports():
    from tests.fuzz.targets import (
        check_formula_text,
        check_manifest_text,
        check_policy_text,
        check_xlsx_bytes,
    )


def TestOneInput(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    target = provider.ConsumeIntInRange(0, 3)
    if target == 0:
        check_formula_text(provider.ConsumeUnicodeNoSurrogates(600))
    elif target == 1:
        check_policy_text(provider.ConsumeUnicodeNoSurrogates(len(data)))
    elif target == 2:
        check_xlsx_bytes(provider.ConsumeBytes(len(data)))
    else:
        check_manifest_text(provider.ConsumeUnicodeNoSurrogates(len(data)))


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
