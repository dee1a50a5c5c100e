"""Alembic environment: migrations run against the connection we are handed.

``policywatch.store.migrate`` passes an open connection in
``config.attributes``; the ``alembic`` command line instead builds an engine
from the URL in ``alembic.ini`` or ``POLICYWATCH_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import policywatch.store.tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from policywatch.config import get_settings

config = context.config
target_metadata = SQLModel.metadata

# Tables and columns made by raw SQL in migrations, not by SQLModel: skip them
# when comparing the database with the models.
SEARCH_ONLY_NAMES = {"document_fts", "search_vector"}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave full-text search structures out of autogenerate comparisons."""
    if name is None:
        return True
    return not (name in SEARCH_ONLY_NAMES or name.startswith("document_fts"))


def run_migrations(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url
    section = config.get_section(config.config_ini_section, {})
    section["sqlalchemy.url"] = url
    engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run_migrations(conn)
        conn.commit()


if context.is_offline_mode():
    raise SystemExit("PolicyWatch migrations run online only: use `policywatch db upgrade`.")
run_online()
