"""Deterministic generator of the embedded demo city (see data/README.md)."""
