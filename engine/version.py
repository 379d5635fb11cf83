"""innerpay's version (a module of its own: every layer may read it without importing the rest)."""

__version__ = "0.1.0"
