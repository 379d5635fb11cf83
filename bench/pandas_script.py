"""What an expert writes with pandas: pyarrow's CSV reader, pyarrow dtypes, vectorised, floats.

python bench/pandas_script.py WORK_DIR OUT_CSV

The same job as innerpay's run for the benchmark's policy: the on-time rate of every department
(delivered_on and delivered_on <= due_on, over all rows), the bonus from the step table, the
insurance, gross, deductions and net of every employee (each line rounded to the cent, as pandas
rounds floats: so some amounts are a cent off), and the elections (valid ballots by electorate,
shares, turnouts, the three gates, the weighted score); payroll.csv with every line.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pandas as pd

READ = {"engine": "pyarrow", "dtype_backend": "pyarrow"}
STEPS = [(0.98, 0.30), (0.95, 0.20), (0.90, 0.10), (0.00, 0.00)]
GATE_SHARE, GATE_TURNOUT, GATE_METRIC = 0.50, 0.60, 0.90


def customers_of(departments: pd.Index) -> pd.Series:
    """Each department's customer: the next in its loop of five (as bench/generate.py makes)."""
    number = departments.str.slice(1).astype(int)
    customer = (number // 5) * 5 + (number % 5 + 1) % 5
    return pd.Series(["d" + f"{c:04d}" for c in customer], index=departments)


def main(work: pathlib.Path, out: pathlib.Path) -> None:
    folder = work / "data" / "2024-05"
    deliveries = pd.read_csv(
        folder / "deliveries.csv", usecols=["department", "due_on", "delivered_on"], **READ
    )
    on_time = (deliveries.delivered_on <= deliveries.due_on).fillna(False)
    score = on_time.groupby(deliveries.department).mean()
    factor = pd.Series(
        np.select([score >= t for t, _ in STEPS], [v for _, v in STEPS], 0.0), index=score.index
    )

    employees = pd.read_csv(folder / "employees.csv", **READ)
    salary = employees.base_salary.astype("float64")
    payroll = pd.DataFrame({"id": employees.id, "name": employees.name,
                            "department": employees.department})  # fmt: skip
    payroll["base"] = salary.round(2)
    payroll["bonus"] = (salary * employees.department.map(factor).astype("float64")).round(2)
    payroll["insurance"] = (salary * 0.105).round(2)
    payroll["gross"] = payroll.base + payroll.bonus
    payroll["deductions"] = payroll.insurance
    payroll["net"] = (payroll.gross - payroll.deductions).round(2)
    payroll.to_csv(out, index=False)

    # the elections: a ballot counts when the voter is in the candidate's customer or own
    # department, not the candidate, and cast once for that candidate
    candidates = pd.read_csv(folder / "candidates.csv", **READ)
    ballots = pd.read_csv(folder / "ballots.csv", **READ)
    department = employees.set_index("id").department
    headcount = department.value_counts()
    candidates["department"] = candidates.candidate.map(department)
    customer = customers_of(pd.Index(headcount.index))
    candidates["customer"] = candidates.department.map(customer)
    ballots = ballots.merge(candidates[["candidate", "department", "customer"]], on="candidate")
    ballots["voter_department"] = ballots.voter.map(department)
    once = ~ballots.duplicated(["candidate", "voter"], keep=False)
    valid = once & ballots.vote.isin(["yes", "no"]) & (ballots.voter != ballots.candidate)
    ballots["electorate"] = np.where(
        ballots.voter_department == ballots.customer,
        "customer",
        np.where(ballots.voter_department == ballots.department, "own", ""),
    )
    ballots["yes"] = ballots.vote == "yes"
    counted = ballots[valid & (ballots.electorate != "")]
    tally = counted.groupby(["candidate", "electorate"]).yes.agg(valid="size", yes="sum")
    tally = tally.unstack("electorate").fillna(0)
    result = candidates.set_index("candidate")
    for side, size in (
        ("customer", result.customer.map(headcount)),
        ("own", result.department.map(headcount) - 1),
    ):
        result[f"{side}_share"] = tally[("yes", side)] / tally[("valid", side)]
        result[f"{side}_turnout"] = tally[("valid", side)] / size
    result["metric"] = result.department.map(score)
    result["eligible"] = (
        (result.metric >= GATE_METRIC)
        & (result.customer_share >= GATE_SHARE)
        & (result.customer_turnout >= GATE_TURNOUT)
        & (result.own_share >= GATE_SHARE)
        & (result.own_turnout >= GATE_TURNOUT)
    )
    result["score"] = 0.4 * result.metric + 0.3 * result.customer_share + 0.3 * result.own_share
    result.to_csv(out.with_suffix(".promotion.csv"))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
