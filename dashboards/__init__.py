"""The journalist-facing web app: FastAPI HTML pages and a JSON API.

It reads the store through the same query functions as the CLI. (Filled in by
the dashboard issue.)
"""
