"""crisis texts counted on urgent callback requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot alter a table in place; on PostgreSQL these are plain
    # ALTER TABLE statements. The server default fills the rows already there.
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("crisis_texts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("crisis_told_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("crisis_alert_at", app.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_callback_crisis_alert", ["crisis_alert_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callback_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_crisis_alert")
        batch_op.drop_column("crisis_alert_at")
        batch_op.drop_column("crisis_told_at")
        batch_op.drop_column("crisis_texts")
