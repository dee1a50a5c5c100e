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
from policywatch.store.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata


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
