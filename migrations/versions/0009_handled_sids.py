"""tombstones of handled MessageSids and CallSids (security review M2)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handled_sids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sid_hash"),
    )
    with op.batch_alter_table("handled_sids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_handled_sids_received_on"), ["received_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handled_sids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_handled_sids_received_on"))
    op.drop_table("handled_sids")
