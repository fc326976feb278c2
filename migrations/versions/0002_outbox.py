"""outbox: indexes for reconciliation, polling and the per-number lookup

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_check", "outbox", ["status", "next_check_at"])
    op.create_index("ix_outbox_recipient", "outbox", ["recipient", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_recipient", table_name="outbox")
    op.drop_index("ix_outbox_check", table_name="outbox")
