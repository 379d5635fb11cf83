"""Audit: `diff` (two versions on the same data), `explain` (where a number comes from),
`verify` (a past run recomputed, byte for byte) and `ledger` (closed periods and their arrears)."""
