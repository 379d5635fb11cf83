"""Policies: YAML text → strict values (``yamlread``) → schema checked (``schema``) → the model
with every formula compiled (``model``) → meaning checked (``checks``) → the versions of a
folder and the one in force (``versions``)."""

from .model import (
    Customer,
    Department,
    FieldKind,
    LineKind,
    Metric,
    PayLine,
    Policy,
    Promotion,
    VoteGate,
)
from .versions import PolicySet, load_policies, load_policy_file, load_version, version_in_force

__all__ = [
    "Customer",
    "Department",
    "FieldKind",
    "LineKind",
    "Metric",
    "PayLine",
    "Policy",
    "PolicySet",
    "Promotion",
    "VoteGate",
    "load_policies",
    "load_policy_file",
    "load_version",
    "version_in_force",
]
