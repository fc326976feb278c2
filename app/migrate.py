"""Alembic, driven from the app's own database handle (``phoneline init``, ``phoneline db``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from app.db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database: Database) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.engine.url.render_as_string(False))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Create or upgrade the schema; idempotent. The transaction is committed here because
    alembic leaves it to the caller that passed the connection."""
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def current(database: Database) -> None:
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.current(config, verbose=True)


def revision(database: Database, message: str) -> None:
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
