"""Formulas: the policy's expressions, parsed once and evaluated over whole columns.

``parse`` (the whitelist; a checked tree) → ``evaluator`` (the tree compiled into functions of a
batch of rows) → ``kernels`` (each operator over columns) → ``values`` (what each operator means
for one value) and ``vectors`` (columns of values).
"""

from .evaluator import Batch, Node, compile_node
from .parse import (
    PAY_FUNCTIONS,
    ROW_FUNCTIONS,
    Formula,
    FormulaError,
    MissingValue,
    StepTable,
    Unavailable,
    compile_formula,
)
from .vectors import Arrow, Const, Fault, Rows, Values, Vector

__all__ = [
    "PAY_FUNCTIONS",
    "ROW_FUNCTIONS",
    "Arrow",
    "Batch",
    "Const",
    "Fault",
    "Formula",
    "FormulaError",
    "MissingValue",
    "Node",
    "Rows",
    "StepTable",
    "Unavailable",
    "Values",
    "Vector",
    "compile_formula",
    "compile_node",
]
