"""The JSON Schemas' checks, compiled by fastjsonschema ahead of time (``python
tools/compile_schemas.py`` writes them; ``tests/test_schema.py`` checks they are current)."""
