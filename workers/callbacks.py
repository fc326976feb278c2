"""Sweep tasks for callback requests (SPEC §10): escalation of unclaimed requests, the "written
again" alerts of urgent ones whose window is over, and expiry of old codes. Each reads through
an index and is idempotent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.services import callbacks


def escalate_callbacks(session: Session, now: datetime) -> int:
    ext = phoneline()
    return callbacks.escalate_due(session, ext.config, ext.prompts, now)


def alert_crisis_texts(session: Session, now: datetime) -> int:
    return callbacks.alert_crisis_texts_due(session, phoneline().prompts, now)


def expire_callbacks(session: Session, now: datetime) -> int:
    retention = phoneline().config.retention_recordings.elapsed
    return callbacks.expire_overdue(session, now, retention)
