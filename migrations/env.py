"""Alembic environment. ``phoneline init`` and ``phoneline db …`` pass an open connection in
``config.attributes["connection"]``; nothing here reads the environment itself."""

from __future__ import annotations

from alembic import context

from app import models  # noqa: F401 - registers every table on Base.metadata
from app.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run phoneline init")
run_migrations_online()
