"""Run Alembic migrations from code, so ``policywatch db upgrade`` works anywhere.

The top-level ``alembic.ini`` is for developers using the ``alembic`` command;
this module builds the same configuration in memory from the package's own
migrations folder, so an installed copy needs no ini file in the working
directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

#: Full-text search structures made by raw SQL in migrations, not by SQLModel.
SEARCH_ONLY_NAMES = {"document_fts", "search_vector", "ix_documentversion_search_vector"}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave full-text search structures out of schema comparisons (autogenerate, tests)."""
    if name is None:
        return True
    return not (name in SEARCH_ONLY_NAMES or name.startswith("document_fts"))


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema at ``engine`` up to ``revision`` (default: the newest)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to ``revision`` (default: an empty database)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision(s) the database is at, comma-joined, or None for an empty database."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def head_revision() -> str | None:
    """The newest revision(s) shipped with this code, comma-joined.

    Normally one; parallel branches of work may leave several heads until a
    merge revision joins them, and upgrading to ``heads`` handles both.
    """
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return ",".join(sorted(script.get_heads())) or None


def is_up_to_date(engine: Engine) -> bool:
    """True when the database schema matches this code's newest revision(s)."""
    return current_revision(engine) == head_revision()
