"""The policy document: its JSON Schema (:data:`POLICY_SCHEMA`), key by key, with the
descriptions and examples that editors show while HR types (`innerpay schema` prints it).

:mod:`innerpay.policy.schema` checks a document against it; what a schema cannot say (references,
names, cycles) is :mod:`innerpay.policy.checks`'.
"""

from __future__ import annotations

from typing import Any

# Each pattern ends with (?![\s\S]), the end of the text in every regex dialect: Python's $
# (jsonschema's, fastjsonschema's) also matches before a final newline, so "team_award\n"
# would pass as a name and put a newline in payroll.csv's header.
END = r"(?![\s\S])"
IDENT = "^[a-z][a-z0-9_]*" + END
PERIOD = "^[0-9]{4}-(0[1-9]|1[0-2])" + END
CURRENCY = "^[A-Z]{3}" + END

PATTERN_TEXT = {
    IDENT: "a lower-case name of letters, digits and _ (like delivery_rate)",
    PERIOD: "a month written YYYY-MM (like 2024-05)",
    CURRENCY: "a three-letter currency code (like CNY)",
}


#: The rounding modes a pay line may name (the policy's own: half_up or half_even).
ROUNDING_MODES = ["half_up", "half_even", "floor", "ceiling", "truncate"]


def key(description: str, examples: list[Any], **schema: Any) -> dict[str, Any]:
    """A key's schema, with the description and examples that editors show while HR types."""
    return {**schema, "description": description, "examples": examples}


def _rate(description: str, example: float = 0.90) -> dict[str, Any]:
    return key(description, [example], type="number", minimum=0, maximum=1)


_STEP_TABLE = key(
    "A step table: rows [threshold, value]; the row with the greatest threshold <= x applies. "
    "Rows sorted by threshold (either way), no threshold twice.",
    [[[0.95, 1.20], [0.90, 1.00], [0.00, 0.50]]],
    type="array",
    minItems=1,
    items={
        "type": "array",
        "prefixItems": [{"type": "number"}, {"type": "number"}],
        "minItems": 2,
        "maxItems": 2,
    },
)


_BAND_TABLE = key(
    "A band table, written like a published tax table: rows of {up_to: bound, column: value, "
    "...}, the bounds ascending and inclusive (x <= up_to), the last row without up_to (every x "
    "above). band(table, x, \"column\") reads a column of the row x falls in.",
    [[{"up_to": 36000, "rate": 0.03, "quick_deduction": 0},
      {"up_to": 144000, "rate": 0.10, "quick_deduction": 2520},
      {"rate": 0.20, "quick_deduction": 16920}]],
    type="array",
    minItems=1,
    items={
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": IDENT},
        "additionalProperties": {"type": "number"},
    },
)  # fmt: skip


def _formula(description: str, examples: list[Any]) -> dict[str, Any]:
    return key(
        f"{description} A single expression (SPEC.md, Formulas); a plain number is a constant.",
        examples,
        type=["string", "number"],
        minLength=1,
    )


_CUSTOMER = key(
    "An internal customer that appraises this department on one metric with a target, or an "
    "external customer ({external: name}) that appraises nothing.",
    [
        {"department": "material_control", "metric": "delivery_rate", "target": 0.90},
        {"external": "市场 The market"},
    ],
    type="object",
    additionalProperties=False,
    properties={
        "department": key(
            "The customer department (its id under departments).",
            ["material_control"],
            type="string",
            pattern=IDENT,
        ),
        "metric": key(
            "The metric it appraises (its id under metrics).",
            ["delivery_rate"],
            type="string",
            pattern=IDENT,
        ),
        "target": _rate("The target: met when metric >= target (inclusive)."),
        "weight": key(
            "Weight of this customer in the department score (default: equal weights).",
            [0.6],
            type="number",
            exclusiveMinimum=0,
        ),
        "external": key(
            "An outside customer: counts as a customer, appraises nothing.",
            ["市场 The market"],
            type="string",
            minLength=1,
        ),
    },
)


def _vote_gate(description: str) -> dict[str, Any]:
    return key(
        description,
        [{"min_share": 0.50, "min_turnout": 0.60}],
        type="object",
        additionalProperties=False,
        required=["min_share", "min_turnout"],
        properties={
            "min_share": _rate("Yes votes ÷ valid ballots must reach this.", 0.50),
            "min_turnout": _rate("Valid ballots ÷ electorate must reach this.", 0.60),
        },
    )


_METRIC = key(
    "A rate a customer appraises: Σ weight of rows meeting success ÷ Σ weight of all rows of the "
    "appraised department.",
    [{"label": "交货率 Delivery rate", "table": "production_orders",
      "success": "delivered_on and delivered_on <= due_on"}],
    type="object",
    additionalProperties=False,
    required=["label", "table", "success"],
    properties={
        "label": key("The metric's name in reports.", ["交货率 Delivery rate"], type="string"),
        "table": key(
            "The data table: <data>/<period>/<table>.csv (or .xlsx); its department column names "
            "the appraised department.",
            ["production_orders"],
            type="string",
            pattern=IDENT,
        ),
        "success": _formula(
            "A row meeting this counts toward the rate; it reads the table's columns.",
            ["delivered_on and delivered_on <= due_on"],
        ),
        "weight": _formula("Weigh rows by this instead of counting them.", ["amount"]),
        "when_empty": key(
            "The value when the department has no rows; without it, no rows is an error.",
            [1.0],
            type="number",
        ),
    },
)  # fmt: skip

_PAY_LINE = key(
    "A line of the pay slip, computed for every employee.",
    [{"id": "base", "label": "基本工资 Base pay", "formula": "prorate(base_salary)"}],
    type="object",
    additionalProperties=False,
    required=["id", "label", "formula"],
    properties={
        "id": key("The line's name; later lines read it.", ["base"], type="string", pattern=IDENT),
        "label": key("The line's name on the slip.", ["基本工资 Base pay"], type="string",
                     minLength=1),
        "kind": key("earning (default), deduction, or value: computed, shown on the slip and "
                    "read by later lines, but not paid.", ["deduction"],
                    enum=["earning", "deduction", "value"]),
        "rounding": key("How this line is rounded (default: the policy's rounding).", ["half_up"],
                        enum=ROUNDING_MODES),
        "unit": key("What this line is rounded to: 0.01 (default, the cent), 1 (the whole yuan), "
                    "or another power of ten down to 0.0000000001.", [1],
                    type="number", exclusiveMinimum=0, maximum=1),
        "settled": key("true for a line that is final once paid (the income tax withheld): a "
                       "closed month is never revalued on it; arrears carry the other lines' "
                       "differences.", [True], type="boolean"),
        "when": _formula("The line applies when this is true; otherwise it is 0.00 and left off "
                         "the slip.", ['role == "manager"']),
        "formula": _formula("The amount, rounded to 0.01 with the policy's rounding (or the "
                            "line's own rounding and unit).",
                            ["base_salary * bonus_ratio * step(performance_factor, score)"]),
        "note": key("The sentence under the line on a pay slip, for the employee: text with "
                    "formulas in braces, each shown as its value ({score:%} a percentage, "
                    "{base:money} an amount, {grade} as it is; {{ and }} are braces); one "
                    "text, or zh and en.",
                    [{"zh": "部门得分 {score:%} → 系数 {step(performance_factor, score)} × "
                            "{bonus_ratio:%} × 基本工资",
                      "en": "department score {score:%} → factor "
                            "{step(performance_factor, score)} × {bonus_ratio:%} of base pay"}],
                    anyOf=[{"type": "string", "minLength": 1},
                           {"type": "object", "additionalProperties": False, "minProperties": 1,
                            "properties": {"zh": {"type": "string", "minLength": 1},
                                           "en": {"type": "string", "minLength": 1}}}]),
    },
)  # fmt: skip

_RECORD_SUM = key(
    "A per-employee total of a record table: sum: a formula over each row (hours), or count: a "
    "condition (counts the rows where it is true); with when, only the rows where it is true.",
    [{"sum": "hours", "when": 'kind == "weekday_ot"'}, {"count": 'kind == "late"'}],
    type="object",
    additionalProperties=False,
    properties={
        "sum": _formula("Summed over the employee's rows.", ["hours"]),
        "count": _formula("The employee's rows where this is true are counted.",
                          ['kind == "late"']),
        "when": _formula("Only the rows where this is true count.", ['kind == "weekday_ot"']),
    },
)  # fmt: skip

_RECORD_TABLE = key(
    "A table of records per employee (<data>/<period>/<table>.csv or .xlsx): its rows are "
    "summed or counted per employee into names that pay formulas read.",
    [{"sums": {"weekday_ot_hours": _RECORD_SUM["examples"][0]}}],
    type="object",
    additionalProperties=False,
    required=["sums"],
    properties={
        "employee": key("The column naming the employee (default: employee).", ["employee"],
                        type="string", pattern=IDENT),
        "optional": key("true: a month without the file has no records (the annual bonus file "
                        "exists only in the month it is paid); false (default): the file is "
                        "required.", [True], type="boolean"),
        "sums": key("The names this table gives, each a sum or a count per employee.",
                    [{"weekday_ot_hours": _RECORD_SUM["examples"][0]}], type="object",
                    minProperties=1, propertyNames={"pattern": IDENT},
                    additionalProperties=_RECORD_SUM),
    },
)  # fmt: skip

_CHECK = key(
    "A condition checked for every employee once pay is computed: where it is true, the message "
    "is a warning (on the slip, in the run summary and the reports) or an error (the run stops, "
    "naming the employees).",
    [{"id": "negative_net", "when": "net < 0", "message": "net pay below zero",
      "severity": "error"}],
    type="object",
    additionalProperties=False,
    required=["id", "when", "message"],
    properties={
        "id": key("The check's name.", ["negative_net"], type="string", pattern=IDENT),
        "when": _formula("True for an employee who fails the check; it reads what pay formulas "
                         "read, every line, and gross, deductions and net.", ["net < 0"]),
        "message": key("What is wrong, in words.", ["net pay below zero"], type="string",
                       minLength=1),
        "severity": key("warning (default) or error.", ["error"], enum=["warning", "error"]),
    },
)  # fmt: skip

_DEPARTMENT_EXAMPLE = {"name": "生产部 Production", "customers": [_CUSTOMER["examples"][0]]}

_COMPANY = key(
    "Who pays, and when: the pay slip's heading and pay date.",
    [{"name": "华南精密制造有限公司 Huanan Precision Manufacturing Co., Ltd.",
      "pay_day": 10}],
    type="object",
    additionalProperties=False,
    required=["name"],
    properties={
        "name": key("The company's name on every slip.", ["华南精密制造有限公司"],
                    type="string", minLength=1),
        "pay_day": key("The day of the month pay is paid (a day past the month's end "
                       "is its last day).", [10], type="integer", minimum=1,
                       maximum=31),
        "pay_month": key("The month a period's pay is paid in: next (default: May's "
                         "pay on 10 June) or same.", ["next"], enum=["next", "same"]),
    },
)  # fmt: skip

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:innerpay:policy:1",
    "title": "innerpay policy",
    "description": "One complete version of a company's internal customer pay and promotion "
    "policy.",
    "type": "object",
    "additionalProperties": False,
    "required": ["innerpay", "version", "effective_from", "rounding", "departments", "pay"],
    "properties": {
        "innerpay": key("Format of this file; always 1.", [1], const=1),
        "version": key(
            'Label, unique across the policies folder. Quote it: "2024.05".',
            ["2024.05"],
            type="string",
            minLength=1,
        ),
        "effective_from": key(
            "First period this version governs (YYYY-MM); it governs until the next version.",
            ["2024-05"],
            type="string",
            pattern=PERIOD,
        ),
        "title": key("A title for reports.", ["内部顾客机制 薪酬与晋升制度"], type="string"),
        "company": _COMPANY,
        "currency": key("ISO 4217 currency code.", ["CNY"], type="string", pattern=CURRENCY),
        "rounding": key(
            "How every pay line is rounded to 0.01 (a line may say otherwise).",
            ["half_up"],
            enum=["half_up", "half_even"],
        ),
        "parameters": key(
            "Constants, step tables and band tables that formulas may use, by name.",
            [{"bonus_ratio": 0.30, "performance_factor": [[0.95, 1.20], [0.00, 0.50]]}],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties={"anyOf": [{"type": "number"}, _STEP_TABLE, _BAND_TABLE]},
        ),
        "employee_fields": key(
            "Columns of employees.csv that formulas use, beyond id, name, department and role, "
            "with their type.",
            [{"base_salary": "money", "grade": "integer"}],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties={"enum": ["money", "decimal", "integer", "text", "date"]},
        ),
        "domains": key(
            "The values a text column of employees.csv may hold (role, or a text field), each "
            "with its label: a formula comparing the column with another text, and a row with "
            "another value, are errors.",
            [{"role": {"manager": "经理 Manager", "staff": "员工 Staff"}}],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties={
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "string"},
            },
        ),
        "files": key(
            "Period files laid out as HR keeps them, by table (employees, candidates, ballots, "
            "adjustments, a metric or record table): the file's own column names mapped to "
            "innerpay's, and the sheet of a workbook to read (else the first visible sheet that "
            "has the columns).",
            [
                {
                    "employees": {
                        "columns": {"工号": "id", "姓名": "name", "部门": "department"},
                        "sheet": "员工",
                    }
                }
            ],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties=key(
                "How one table's file is laid out.",
                [{"columns": {"工号": "id"}, "sheet": "员工"}],
                type="object",
                additionalProperties=False,
                properties={
                    "columns": key(
                        "The file's own column names, each mapped to innerpay's name.",
                        [{"工号": "id", "基本工资": "base_salary"}],
                        type="object",
                        minProperties=1,
                        propertyNames={"minLength": 1},
                        additionalProperties={"type": "string", "pattern": IDENT},
                    ),
                    "sheet": key(
                        "The sheet of a workbook to read (a hidden one too).",
                        ["员工"],
                        type="string",
                        minLength=1,
                    ),
                    "trim": key(
                        "employees: compare a role or text field without the spaces at its "
                        "ends (else a space there is an error).",
                        [True],
                        type="boolean",
                    ),
                },
            ),
        ),
        "metrics": key(
            "What customers appraise, computed for each appraised department, by name.",
            [{"delivery_rate": _METRIC["examples"][0]}],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties=_METRIC,
        ),
        "departments": key(
            "Every department, by id, with the customers that appraise it.",
            [{"production": _DEPARTMENT_EXAMPLE}],
            type="object",
            minProperties=1,
            propertyNames={"pattern": IDENT},
            additionalProperties=key(
                "A department.",
                [_DEPARTMENT_EXAMPLE],
                type="object",
                additionalProperties=False,
                required=["name"],
                properties={
                    "name": key("Shown in reports.", ["生产部 Production"], type="string",
                                minLength=1),
                    "customers": key(
                        "Who appraises this department; none (or []) means no customer, and the "
                        "department is flagged no_customer.",
                        [[_CUSTOMER["examples"][0]]],
                        type="array",
                        items=_CUSTOMER,
                    ),
                },
            ),
        ),
        "pay": key(
            "The pay slip.",
            [{"lines": _PAY_LINE["examples"]}],
            type="object",
            additionalProperties=False,
            required=["lines"],
            properties={
                "lines": key(
                    "Pay lines, computed in dependency order, shown in the order written.",
                    [_PAY_LINE["examples"]],
                    type="array",
                    minItems=1,
                    items=_PAY_LINE,
                )
            },
        ),
        "records": key(
            "Tables of records per employee (attendance, piece-work output), by table name.",
            [{"attendance": _RECORD_TABLE["examples"][0]}],
            type="object",
            propertyNames={"pattern": IDENT},
            additionalProperties=_RECORD_TABLE,
        ),
        "adjustment_categories": key(
            "The categories an adjustment may carry (adjustments.csv's category column), with "
            "their labels; formulas sum them with adjustments(\"category\").",
            [{"taxable": "应税 Taxable", "tax_exempt": "免税 Tax-exempt"}],
            type="object",
            minProperties=1,
            propertyNames={"pattern": IDENT},
            additionalProperties={"type": "string", "minLength": 1},
        ),
        "adjustment_approvers": key(
            "Who may approve an adjustment (adjustments.csv's approved_by, which names the "
            "approver's id first): employees of these roles, or these people. An approver is "
            "never the employee the adjustment pays.",
            [{"roles": ["manager"], "people": ["E024"]}],
            type="object",
            minProperties=1,
            additionalProperties=False,
            properties={
                "roles": key(
                    "Roles whose employees may approve.",
                    [["manager", "hr"]],
                    type="array",
                    minItems=1,
                    items={"type": "string", "minLength": 1},
                ),
                "people": key(
                    "Employees (by id) who may approve.",
                    [["E024"]],
                    type="array",
                    minItems=1,
                    items={"type": "string", "minLength": 1},
                ),
            },
        ),
        "checks": key(
            "Conditions checked for every employee once pay is computed.",
            [_CHECK["examples"]],
            type="array",
            items=_CHECK,
        ),
        "promotion": key(
            "Promotion eligibility: the three gates, all together, and the ranking weights.",
            [{"gates": {"metric": {"min": 0.90},
                        "customer_vote": {"min_share": 0.50, "min_turnout": 0.60},
                        "own_vote": {"min_share": 0.50, "min_turnout": 0.60}},
              "weights": {"metric": 0.4, "customer_vote": 0.3, "own_vote": 0.3}}],
            type="object",
            additionalProperties=False,
            required=["gates", "weights"],
            properties={
                "gates": key(
                    "A: the metric; B: the customer vote; C: the own department's vote.",
                    [{"metric": {"min": 0.90}}],
                    type="object",
                    additionalProperties=False,
                    required=["metric", "customer_vote", "own_vote"],
                    properties={
                        "metric": key(
                            "A: the score of the candidate's department.",
                            [{"min": 0.90}],
                            type="object",
                            additionalProperties=False,
                            required=["min"],
                            properties={"min": _rate("The score must reach this.")},
                        ),
                        "customer_vote": _vote_gate("B: elected by the customer department(s)."),
                        "own_vote": _vote_gate("C: elected by the candidate's own department."),
                    },
                ),
                "min_voters_shown": key(
                    "Ballot secrecy: the share, counts and turnout of an electorate smaller than "
                    "this are withheld from the reports (the gates are decided on them all the "
                    "same).",
                    [3],
                    type="integer",
                    minimum=1,
                ),
                "weights": key(
                    "Rank eligible candidates by w_metric × score + w_customer × customer share "
                    "+ w_own × own share.",
                    [{"metric": 0.4, "customer_vote": 0.3, "own_vote": 0.3}],
                    type="object",
                    additionalProperties=False,
                    required=["metric", "customer_vote", "own_vote"],
                    properties={
                        "metric": key("Weight of the department score.", [0.4], type="number",
                                      minimum=0),
                        "customer_vote": key("Weight of the customer share.", [0.3],
                                             type="number", minimum=0),
                        "own_vote": key("Weight of the own share.", [0.3], type="number",
                                        minimum=0),
                    },
                ),
            },
        ),
        "review": key(
            "Review flags for optimisation or elimination (优化/淘汰).",
            [{"below_target_periods": 3}],
            type="object",
            additionalProperties=False,
            properties={
                "below_target_periods": key(
                    "A department below target this many periods in a row is flagged "
                    "below_target.",
                    [3],
                    type="integer",
                    minimum=1,
                )
            },
        ),
    },
}  # fmt: skip
