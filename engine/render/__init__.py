"""Rendering: results → the files of a run.  ``view`` formats the numbers for people,
``templates`` fills the reports and slips, ``files`` writes every output format once."""

from .files import (
    ALL_FORMATS,
    FORMATS,
    Rendered,
    data_files,
    dumps,
    employee_dict,
    payroll_csv,
    render_files,
    results_dict,
    results_json,
    run_files,
    templated_files,
)
from .templates import template_sha256

__all__ = [
    "ALL_FORMATS",
    "FORMATS",
    "Rendered",
    "data_files",
    "dumps",
    "employee_dict",
    "payroll_csv",
    "render_files",
    "results_dict",
    "results_json",
    "run_files",
    "template_sha256",
    "templated_files",
]
