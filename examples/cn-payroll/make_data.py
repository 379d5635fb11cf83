"""Write the example company's data for 2024-01 to 2024-12 (deterministic: a fixed seed).

    python examples/cn-payroll/make_data.py

Eleven people in the five departments of the internal customer loop: a mid-year hire (March),
a leaver (September), a worker paid below the minimum wage, contribution bases below the floor
and above the ceiling, overtime and unpaid leave from attendance, the annual bonus paid in
February, and a taxable and a tax-exempt adjustment in July.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import pathlib
import random
from collections.abc import Sequence

Row = tuple[str, ...]

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
YEAR = 2024

EMPLOYEES_CSV = """\
id,name,department,role,base_salary,hired_on,left_on,si_base_avg,special_additional
E01,王芳 Wang Fang,sales,manager,25000.00,2019-03-01,,25000.00,2000.00
E02,李强 Li Qiang,sales,sales rep,9000.00,2021-07-12,,9000.00,1000.00
E03,张伟 Zhang Wei,material_control,manager,15000.00,2018-05-02,,15000.00,3000.00
E04,刘洋 Liu Yang,material_control,planner,7000.00,2022-02-14,,7000.00,0.00
E05,陈静 Chen Jing,production,manager,14000.00,2017-09-01,,14000.00,2000.00
E06,杨磊 Yang Lei,production,worker,2300.00,2023-04-03,,3800.00,0.00
E07,赵敏 Zhao Min,production,worker,5200.00,2020-11-16,,5200.00,1000.00
E08,黄涛 Huang Tao,purchasing,manager,13000.00,2016-06-20,2024-09-20,13000.00,2000.00
E09,周丽 Zhou Li,finance,manager,16000.00,2015-01-05,,16000.00,1500.00
E10,吴刚 Wu Gang,purchasing,buyer,8000.00,2024-03-15,,8000.00,0.00
E11,孙悦 Sun Yue,finance,accountant,7500.00,2022-08-08,,7500.00,1000.00
"""
HEADER, *ROWS = EMPLOYEES_CSV.splitlines()
EMPLOYEES = [tuple(row.split(",")) for row in ROWS]

BONUS = {"E01": "36000.00", "E03": "36000.06", "E05": "24000.00", "E09": "36001.00",
         "E02": "12000.00"}  # fmt: skip

ADJUSTMENTS = {  # month → rows
    7: [
        ("E06", "高温补贴 Summer heat allowance", "300.00", "earning", "taxable",
         "July heat allowance for the shop floor", "周丽 Zhou Li"),
        ("E04", "差旅补助 Travel allowance", "450.00", "earning", "tax_exempt",
         "Supplier audit in Suzhou", "张伟 Zhang Wei"),
    ]
}  # fmt: skip

#: metric table → (appraised department, its columns)
METRIC_TABLES = {
    "shipments": ("material_control", "shipment_no,department,promised_on,shipped_on"),
    "production_orders": ("production", "order_no,department,due_on,delivered_on"),
    "purchase_orders": ("purchasing", "po_no,department,needed_on,received_on,amount"),
    "supplier_payments": ("finance", "invoice_no,department,due_on,paid_on,amount"),
    "receivables": ("sales", "invoice_no,department,due_on,collected_on,amount"),
}


def employed(row: tuple[str, ...], month: int) -> bool:
    hired = dt.date.fromisoformat(row[5])
    first = dt.date(YEAR, month, 1)
    last = dt.date(YEAR, month, calendar.monthrange(YEAR, month)[1])
    if hired > last:
        return False
    return not (row[6] and dt.date.fromisoformat(row[6]) < first)


def write(path: pathlib.Path, header: Row, rows: Sequence[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def attendance(month: int, staff: list[Row], rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    days = calendar.monthrange(YEAR, month)[1]
    for person in staff:
        emp_id, role = person[0], person[3]
        if role == "worker":  # the shop floor works overtime every month
            for _ in range(rng.randint(2, 5)):
                day = dt.date(YEAR, month, rng.randint(1, days))
                kind = "restday_ot" if day.weekday() >= 5 else "weekday_ot"
                rows.append((emp_id, day.isoformat(), kind, str(rng.choice([2, 3, 4, 8]))))
            if month in (2, 10):  # Spring Festival, National Day
                rows.append((emp_id, f"{YEAR}-{month:02d}-{10 if month == 2 else 2:02d}",
                             "holiday_ot", "8"))  # fmt: skip
        elif role in ("planner", "buyer") and month % 3 == 0:
            rows.append((emp_id, f"{YEAR}-{month:02d}-20", "weekday_ot", "3"))
    if month == 4:  # two days of unpaid leave
        rows += [("E07", f"2024-04-0{day}", "unpaid_leave", "8") for day in (8, 9)]
    if month == 8:
        rows.append(("E04", "2024-08-16", "unpaid_leave", "8"))
    return sorted(rows, key=lambda r: (r[1], r[0], r[2]))


def metric_rows(table: str, month: int, rng: random.Random) -> list[tuple[str, ...]]:
    department, header = METRIC_TABLES[table]
    columns = header.split(",")
    days = calendar.monthrange(YEAR, month)[1]
    rate = rng.choice([0.82, 0.88, 0.91, 0.93, 0.96, 0.98])
    rows = []
    for k in range(rng.randint(12, 20)):
        due = dt.date(YEAR, month, rng.randint(1, days))
        on_time = rng.random() < rate
        done = due - dt.timedelta(days=rng.randint(0, 3)) if on_time else due + dt.timedelta(
            days=rng.randint(1, 9))  # fmt: skip
        done_text = "" if (not on_time and rng.random() < 0.3) else done.isoformat()
        key = f"{table[:2].upper()}{YEAR}{month:02d}{k + 1:03d}"
        row = [key, department, due.isoformat(), done_text]
        if len(columns) == 5:
            row.append(f"{rng.randint(5, 200) * 1000}.00")
        rows.append(tuple(row))
    return rows


def main() -> None:
    rng = random.Random(2024)
    for month in range(1, 13):
        folder = DATA / f"{YEAR}-{month:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        staff = [row for row in EMPLOYEES if employed(row, month)]
        employees = []
        for row in staff:
            left = row[6] if row[6] and dt.date.fromisoformat(row[6]).month == month else ""
            employees.append((*row[:6], left, *row[7:]))
        write(folder / "employees.csv", tuple(HEADER.split(",")), employees)
        write(folder / "attendance.csv", ("employee", "date", "kind", "hours"),
              attendance(month, staff, rng))  # fmt: skip
        if month == 2:
            write(folder / "bonus.csv", ("employee", "amount"), sorted(BONUS.items()))
        if month in ADJUSTMENTS:
            write(folder / "adjustments.csv", ("employee", "label", "amount", "kind", "category",
                  "reason", "approved_by"), ADJUSTMENTS[month])  # fmt: skip
        for table, (_, header) in METRIC_TABLES.items():
            write(folder / f"{table}.csv", tuple(header.split(",")), metric_rows(table, month, rng))


if __name__ == "__main__":
    main()
