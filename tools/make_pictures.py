"""The README's pictures, made from the real reports of the reference company.

    python tools/make_pictures.py [--chromium /usr/bin/chromium]

Computes 2024-05 of the reference company (policies/, fixtures/) into a temporary folder, and
has headless Chromium draw a pay slip (a mid-month hire: the proration is said on its lines)
and the department appraisal page to docs/payslip.png and docs/departments.png.  Run it again
whenever a template or the reference company changes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from innerpay.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PICTURES = {  # the report, the picture, its width and height in CSS pixels
    "payslips/E006.html": ("payslip.png", 900, 820),
    "departments.html": ("departments.png", 900, 1150),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "out"
        ran = CliRunner().invoke(cli, ["compute", "--period", "2024-05", "--policies",
                                       str(ROOT / "policies"), "--data", str(ROOT / "fixtures"),
                                       "--out", str(out), "--format", "html"])  # fmt: skip
        if ran.exit_code != 0:
            print(ran.output, file=sys.stderr)
            return ran.exit_code
        for report, (picture, width, height) in PICTURES.items():
            target = ROOT / "docs" / picture
            subprocess.run(
                [args.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--hide-scrollbars",
                 f"--user-data-dir={Path(work) / 'profile'}", f"--window-size={width},{height}",
                 f"--screenshot={target}", (out / "2024-05" / report).as_uri()],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            print(f"{target.relative_to(ROOT)} from {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
