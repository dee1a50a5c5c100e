"""Alembic revisions: the only way the PolicyWatch schema is made."""
