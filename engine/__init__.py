"""innerpay: rules-as-code for the internal customer mechanism (内部顾客机制)."""

__version__ = "0.1.0"
