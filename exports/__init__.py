"""Exports: the tagged corpus as reproducible file sets.

It writes JSONL, CSV, Parquet and SQLite exports with a datasheet and a
manifest of filters, counts, hashes and model versions. (Filled in by the
exports issue.)
"""
