"""The store: SQLModel tables, Alembic migrations, writes and read queries.

One code path serves the embedded SQLite default and PostgreSQL, selected by
``POLICYWATCH_DATABASE_URL``. Tables live in ``tables``, every write in
``writes`` (keyword-only, idempotent), every read in ``queries``, and schema
changes only in ``migrations`` (Alembic), run by ``migrate``.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from policywatch.config import Settings
from policywatch.errors import PolicyWatchError
from policywatch.store import migrate
from policywatch.store.db import make_engine, session_scope

__all__ = ["connect", "make_engine", "session_scope"]


def connect(settings: Settings, *, upgrade: bool = False) -> Engine:
    """An engine for the configured store, checked to be at the code's schema.

    With ``upgrade`` the schema is migrated first (crawl and demo do this, so a
    first run needs no separate step); otherwise an out-of-date schema is a
    clear error rather than a confusing SQL failure later.
    """
    engine = make_engine(settings.resolved_database_url)
    try:
        if upgrade:
            migrate.upgrade(engine)
        elif not migrate.is_up_to_date(engine):
            raise PolicyWatchError(
                "the database schema is not up to date: run `policywatch db upgrade` "
                f"(database: {engine.url.render_as_string(hide_password=True)})"
            )
    except PolicyWatchError:
        raise
    except Exception as exc:  # connection refused, bad URL, permissions...
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise PolicyWatchError(
            f"cannot open the store at {engine.url.render_as_string(hide_password=True)}: {reason}"
        ) from exc
    return engine
