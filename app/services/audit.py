"""The audit log (SPEC §12, §13): who did what to which row, and when. Never content: no
number, no message text, no note; targets are ``kind:id`` and details are counts and flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.crisis import CrisisMatch
from app.db import utcnow
from app.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now or utcnow(), actor=actor, action=action, target=target, details=details or {}
    )
    session.add(entry)
    session.flush()
    return entry


def crisis_match(
    session: Session,
    channel: str,
    found: CrisisMatch,
    *,
    request_id: int | None,
    answered: bool,
    now: datetime,
) -> AuditEntry:
    """Which rule of which phrase list matched, on which channel, and whether the member was
    answered: enough to review the matcher and the reply ceiling, nothing of what was said."""
    details = {
        "rule": found.rule,
        "category": found.category,
        "list_version": found.version,
        "answered": answered,
    }
    target = f"callback:{request_id}" if request_id is not None else None
    return record(session, channel, "crisis.match", target, details, now)


def recent(session: Session, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
