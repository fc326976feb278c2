"""console sessions that can be ended; callback request ids never reused on SQLite

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows that point at a callback request. Rebuilding that table on SQLite drops the old one, and
# with foreign keys on (they always are here, and cannot be turned off inside the migration's
# transaction) a DROP first deletes every row, which sets these links to NULL: keep them aside.
_LINKS = (("outbox", "callback_id"), ("staff_notices", "callback_id"))


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("disabled_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
    _rebuild_callback_requests(autoincrement=True)


def downgrade() -> None:
    _rebuild_callback_requests(autoincrement=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("session_epoch")


def _rebuild_callback_requests(autoincrement: bool) -> None:
    """SQLite only: AUTOINCREMENT is part of the table's definition. PostgreSQL's sequences
    never hand out an id twice, so there is nothing to do there."""
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    kept = {
        (table, column): connection.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        ).all()
        for table, column in _LINKS
    }
    with op.batch_alter_table(
        "callback_requests",
        recreate="always",
        table_kwargs={"sqlite_autoincrement": autoincrement},
    ):
        pass
    for (table, column), rows in kept.items():
        for row_id, callback_id in rows:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :c WHERE id = :i"),  # noqa: S608
                {"c": callback_id, "i": row_id},
            )
