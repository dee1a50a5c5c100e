"""Reproducible performance runs.

Each benchmark prints its figures next to a baseline measured in the same
process, so the numbers mean something on a shared, noisy machine.
"""
