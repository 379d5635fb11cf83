"""The default Jinja2 templates of innerpay, shipped as package data (a user may override them)."""
