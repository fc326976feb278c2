"""Sweep tasks for callback requests (SPEC §10): escalation of unclaimed requests and expiry of
old codes. Both read through an index and are idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.services import callbacks


def escalate_callbacks(session: Session, now: datetime) -> int:
    ext = phoneline()
    return callbacks.escalate_due(session, ext.config, ext.prompts, now)


def expire_callbacks(session: Session, now: datetime) -> int:
    retention = phoneline().config.retention_recordings.elapsed
    return callbacks.expire_overdue(session, now, retention)
