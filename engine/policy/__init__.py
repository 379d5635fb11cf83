"""Policies: YAML text → strict values (``yamlread``) → schema checked (``schema``) → the model
with every formula compiled (``model``) → meaning checked (``checks``) → the versions of a
folder and the one in force (``versions``)."""

from .model import (
    Check,
    Customer,
    Department,
    FieldKind,
    LineKind,
    Metric,
    PayLine,
    Policy,
    Promotion,
    RecordSum,
    RecordTable,
    VoteGate,
)
from .versions import PolicySet, load_policies, load_policy_file, load_version, version_in_force

__all__ = [
    "Check",
    "Customer",
    "Department",
    "FieldKind",
    "LineKind",
    "Metric",
    "PayLine",
    "Policy",
    "PolicySet",
    "Promotion",
    "RecordSum",
    "RecordTable",
    "VoteGate",
    "load_policies",
    "load_policy_file",
    "load_version",
    "version_in_force",
]
