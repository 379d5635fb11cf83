"""Write the reference company's period data into fixtures/ (deterministic; run from the repo root).

The committed fixtures are this script's output: `python tools/make_fixtures.py` rewrites them
byte for byte.  Each month is designed so that every rule of SPEC.md shows somewhere; the comments
say where.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
from decimal import Decimal

ROOT = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
MONTHS = [f"2024-{m:02d}" for m in range(1, 7)]

# id, name, department, role, base_salary, grade, hired_on, left_on
EMPLOYEES = [
    ("E001", "王强 Wang Qiang", "sales", "manager", "22000.00", 5, "2016-03-01", ""),
    ("E002", "李娜 Li Na", "sales", "staff", "9800.00", 3, "2019-07-15", ""),
    ("E003", "张伟 Zhang Wei", "sales", "staff", "8600.00", 2, "2020-02-10", ""),
    ("E004", "刘洋 Liu Yang", "sales", "staff", "8600.00", 2, "2021-05-06", ""),
    ("E005", "陈静 Chen Jing", "sales", "staff", "7350.50", 1, "2022-09-01", ""),
    # leaves on 2024-05-20: paid 20 of 31 days in May, gone from June
    ("E006", "杨帆 Yang Fan", "sales", "staff", "9100.00", 3, "2018-11-12", "2024-05-20"),
    ("E007", "赵敏 Zhao Min", "material_control", "manager", "20000.00", 5, "2015-08-03", ""),
    ("E008", "黄磊 Huang Lei", "material_control", "staff", "8200.00", 2, "2019-04-01", ""),
    ("E009", "周婷 Zhou Ting", "material_control", "staff", "7900.00", 2, "2020-06-15", ""),
    ("E010", "吴昊 Wu Hao", "material_control", "staff", "7600.75", 1, "2022-03-21", ""),
    ("E011", "徐丽 Xu Li", "material_control", "staff", "7400.00", 1, "2023-01-09", ""),
    ("E012", "孙浩 Sun Hao", "production", "manager", "21000.00", 5, "2014-10-20", ""),
    ("E013", "马超 Ma Chao", "production", "staff", "9200.00", 3, "2017-02-27", ""),
    ("E014", "朱琳 Zhu Lin", "production", "staff", "8800.00", 3, "2018-09-03", ""),
    ("E015", "胡军 Hu Jun", "production", "staff", "7800.00", 2, "2020-12-01", ""),
    ("E016", "郭静 Guo Jing", "production", "staff", "7600.00", 2, "2021-04-12", ""),
    ("E017", "何平 He Ping", "production", "staff", "7500.00", 1, "2022-07-18", ""),
    ("E018", "高翔 Gao Xiang", "production", "staff", "7300.25", 1, "2023-03-06", ""),
    ("E019", "罗刚 Luo Gang", "purchasing", "manager", "19500.00", 5, "2016-06-06", ""),
    ("E020", "梁雪 Liang Xue", "purchasing", "staff", "8300.00", 3, "2019-10-08", ""),
    ("E021", "宋佳 Song Jia", "purchasing", "staff", "7900.00", 2, "2020-08-17", ""),
    ("E022", "郑凯 Zheng Kai", "purchasing", "staff", "7700.00", 2, "2021-11-22", ""),
    ("E023", "谢芳 Xie Fang", "purchasing", "staff", "7650.00", 1, "2023-02-13", ""),
    ("E024", "韩梅 Han Mei", "finance", "manager", "20500.00", 5, "2015-01-05", ""),
    ("E025", "唐宁 Tang Ning", "finance", "staff", "8900.00", 3, "2018-03-19", ""),
    ("E026", "冯娟 Feng Juan", "finance", "staff", "8400.00", 2, "2020-05-25", ""),
    ("E027", "于洋 Yu Yang", "finance", "staff", "8100.00", 2, "2021-09-13", ""),
    ("E028", "董洁 Dong Jie", "administration", "manager", "15000.00", 4, "2017-04-10", ""),
    ("E029", "曹颖 Cao Ying", "administration", "staff", "6800.00", 1, "2022-11-07", ""),
    # hired on 2024-02-19: 11 of 29 days in February (a leap year)
    ("E030", "萧然 Xiao Ran", "production", "staff", "7000.00", 1, "2024-02-19", ""),
    # hired on 2024-05-15: 17 of 31 days in May
    ("E031", "林峰 Lin Feng", "production", "staff", "7000.00", 1, "2024-05-15", ""),
]

# Successful rows out of all rows per month; None = no rows (when_empty applies).
# Targets: shipping 0.95, delivery 0.90, purchase 0.90, payment 0.95, collection 0.90 (by amount).
SHIPMENTS = {
    "01": (20, 20),
    "02": (19, 20),
    "03": (20, 20),
    "04": (19, 20),
    "05": (19, 20),
    "06": (18, 20),
}
# 02: Spring Festival shutdown, no orders (when_empty 1.0); 03 missed; 05 exactly at target
PRODUCTION = {
    "01": (10, 10),
    "02": None,
    "03": (8, 10),
    "04": (10, 11),
    "05": (9, 10),
    "06": (10, 10),
}
# 03, 04, 05 missed: three in a row, so purchasing is flagged below_target in 2024-05
PURCHASES = {
    "01": (12, 12),
    "02": (11, 12),
    "03": (10, 12),
    "04": (9, 12),
    "05": (10, 12),
    "06": (12, 12),
}
PAYMENTS = {
    "01": (10, 10),
    "02": (10, 10),
    "03": (10, 10),
    "04": (10, 10),
    "05": (10, 10),
    "06": (9, 10),
}
# Receivables: amounts, and the invoices (by index) that were not collected by their due date.
INVOICE_AMOUNTS = [
    "128000.00",
    "56000.00",
    "43250.50",
    "98000.00",
    "15600.00",
    "72000.00",
    "31999.99",
    "64000.00",
]
LATE_INVOICES = {"01": [4], "02": [], "03": [6], "04": [1, 2], "05": [4], "06": []}
UNCOLLECTED = {"01": [], "02": [], "03": [], "04": [2], "05": [4], "06": []}


def write(path: pathlib.Path, header: list[str], rows: list[list[object]]) -> None:
    """One CSV file, UTF-8 without BOM, LF line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def day(month: str, d: int) -> dt.date:
    return dt.date(2024, int(month), d)


def in_period(month: str, hired: str, left: str) -> bool:
    first = day(month, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return dt.date.fromisoformat(hired) <= last and (
        not left or dt.date.fromisoformat(left) >= first
    )


def outcome_rows(
    month: str, counts: tuple[int, int] | None, prefix: str
) -> list[tuple[str, dt.date, str]]:
    """(id, due date, done date or '') rows: the first `ok` on time, then late, then missing."""
    if counts is None:
        return []
    ok, total = counts
    rows = []
    for i in range(total):
        due = day(month, 2 + (i * 26) // max(total, 1))
        if i < ok:
            done = str(due - dt.timedelta(days=i % 3))
        elif (i - ok) % 2 == 0:
            done = str(due + dt.timedelta(days=2))  # late
        else:
            done = ""  # not done at all: the empty cell the success formula guards against
        rows.append((f"{prefix}-{month}{i + 1:03d}", due, done))
    return rows


def main() -> None:
    customers = ["华东电器 Huadong Electric", "星河科技 Xinghe Tech", "远航机械 Yuanhang Machinery"]
    materials = ["钢板 Steel plate", "电机 Motor", "轴承 Bearing", "线缆 Cable"]
    suppliers = ["宝钢 Baosteel", "正泰 Chint", "人本 C&U"]
    for month in MONTHS:
        folder = ROOT / f"2024-{month[-2:]}"
        mm = month[-2:]
        write(
            folder / "employees.csv",
            ["id", "name", "department", "role", "base_salary", "grade", "hired_on", "left_on"],
            [list(e) for e in EMPLOYEES if in_period(mm, e[6], e[7])],
        )
        write(
            folder / "shipments.csv",
            ["order_id", "department", "customer", "promised_on", "shipped_on"],
            [
                [i, "material_control", customers[n % 3], due, done]
                for n, (i, due, done) in enumerate(outcome_rows(mm, SHIPMENTS[mm], "SO"))
            ],
        )
        write(
            folder / "production_orders.csv",
            ["order_id", "department", "product", "due_on", "delivered_on"],
            [
                [i, "production", f"控制柜 Cabinet {chr(65 + n % 4)}", due, done]
                for n, (i, due, done) in enumerate(outcome_rows(mm, PRODUCTION[mm], "MO"))
            ],
        )
        write(
            folder / "purchase_requests.csv",
            ["request_id", "department", "material", "needed_by", "received_on"],
            [
                [i, "purchasing", materials[n % 4], due, done]
                for n, (i, due, done) in enumerate(outcome_rows(mm, PURCHASES[mm], "PR"))
            ],
        )
        write(
            folder / "supplier_payments.csv",
            ["payment_id", "department", "supplier", "amount", "due_on", "paid_on"],
            [
                [
                    i,
                    "finance",
                    suppliers[n % 3],
                    f"{20000 + 3517 * n}.{(n * 37) % 100:02d}",
                    due,
                    done,
                ]
                for n, (i, due, done) in enumerate(outcome_rows(mm, PAYMENTS[mm], "PAY"))
            ],
        )
        receivables = []
        for n, amount in enumerate(INVOICE_AMOUNTS):
            due = day(mm, 3 + 3 * n)
            if n in UNCOLLECTED[mm]:
                collected = ""
            elif n in LATE_INVOICES[mm]:
                collected = str(due + dt.timedelta(days=5))
            else:
                collected = str(due - dt.timedelta(days=n % 4))
            receivables.append(
                [f"INV-{mm}{n + 1:03d}", "sales", customers[n % 3], amount, due, collected]
            )
        write(
            folder / "receivables.csv",
            ["invoice_id", "department", "customer", "amount", "due_on", "collected_on"],
            receivables,
        )
        if mm == "05":
            write_election(folder)
            write(
                folder / "adjustments.csv",
                ["employee", "label", "amount", "kind", "reason", "approved_by"],
                [
                    [
                        "E013",
                        "差旅补差 Travel expense correction",
                        "500.00",
                        "earning",
                        "April travel claim paid short",
                        "E024 韩梅 Han Mei",
                    ],
                    [
                        "E003",
                        "预支扣回 Advance clawback",
                        "300.00",
                        "deduction",
                        "Salary advance of 2024-03, third of three",
                        "E024 韩梅 Han Mei",
                    ],
                ],
            )
    check()


def write_election(folder: pathlib.Path) -> None:
    """2024-05: a winner, a tie, a candidate failing each of A, B and C, every void kind."""
    write(
        folder / "candidates.csv",
        ["candidate", "position"],
        [
            ["E013", "生产部经理 Production manager"],  # eligible, rank 1
            ["E014", "生产部经理 Production manager"],  # eligible, tied with E015 (rank 2)
            ["E015", "生产部经理 Production manager"],
            ["E020", "采购部经理 Purchasing manager"],  # fails A: purchasing is below target
            ["E002", "销售主管 Sales supervisor"],  # fails B: the customer (finance) votes no
            ["E004", "销售主管 Sales supervisor"],  # fails C: own turnout 2 of 5
            [
                "E029",
                "行政主管 Administration supervisor",
            ],  # no internal customer: A and B cannot pass
        ],
    )
    ballots = [
        # E013: customer material_control 4 yes 1 no; own 6 yes 1 no
        *[["E013", v, "yes"] for v in ("E007", "E008", "E009", "E010")],
        ["E013", "E011", "no"],
        *[["E013", v, "yes"] for v in ("E012", "E014", "E015", "E017", "E018", "E030")],
        ["E013", "E031", "no"],
        ["E013", "E016", "maybe"],  # void: not yes or no
        ["E013", "E999", "yes"],  # void: unknown voter
        ["E013", "E025", "yes"],  # void: finance is neither customer nor own department
        # E014 and E015: the same counts, so the same score: a tie
        ["E014", "E007", "yes"],
        ["E014", "E008", "yes"],
        ["E014", "E009", "no"],
        ["E014", "E012", "yes"],
        ["E014", "E013", "no"],
        ["E014", "E016", "yes"],
        ["E014", "E018", "yes"],
        ["E014", "E030", "yes"],
        ["E014", "E014", "yes"],  # void: self-vote
        ["E015", "E007", "yes"],
        ["E015", "E010", "yes"],
        ["E015", "E011", "no"],
        ["E015", "E012", "yes"],
        ["E015", "E013", "no"],
        ["E015", "E016", "yes"],
        ["E015", "E018", "yes"],
        ["E015", "E031", "yes"],
        ["E015", "E017", "yes"],
        ["E015", "E017", "yes"],  # void, both: a double vote
        # E020: elected by both, but purchasing misses its metric
        *[["E020", v, "yes"] for v in ("E012", "E013", "E016", "E018", "E030", "E031")],
        *[["E020", v, "yes"] for v in ("E019", "E021", "E022")],
        # E002: the customer department says no
        ["E002", "E024", "no"],
        ["E002", "E025", "yes"],
        ["E002", "E026", "no"],
        *[["E002", v, "yes"] for v in ("E001", "E003", "E005", "E006")],
        # E004: too few of the own department vote
        *[["E004", v, "yes"] for v in ("E024", "E025", "E027")],
        ["E004", "E001", "yes"],
        ["E004", "E003", "yes"],
        # E029: administration has no internal customer
        ["E029", "E028", "yes"],
    ]
    write(folder / "ballots.csv", ["candidate", "voter", "vote"], ballots)


def check() -> None:
    """The designed collection rates: 2024-04 below 0.90, the others at or above."""
    for mm in ("01", "02", "03", "04", "05", "06"):
        total = sum(Decimal(a) for a in INVOICE_AMOUNTS)
        bad = set(LATE_INVOICES[mm]) | set(UNCOLLECTED[mm])
        good = sum(Decimal(a) for n, a in enumerate(INVOICE_AMOUNTS) if n not in bad)
        assert (good / total >= Decimal("0.90")) == (mm != "04"), (mm, good / total)


if __name__ == "__main__":
    main()
