"""Store tests, run on SQLite and PostgreSQL."""
