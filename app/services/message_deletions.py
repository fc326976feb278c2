"""Messages to delete at Twilio (SPEC §12): Twilio keeps every message's body and numbers, so
when a record goes here (retention or erasure) its SID is queued and the sweep deletes Twilio's
copy through the gateway. Only the SID is kept, so nothing waits for Twilio."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import MessageDeletion


def queue(session: Session, message_sid: str, now: datetime) -> None:
    try:
        with session.begin_nested():
            session.add(MessageDeletion(message_sid=message_sid, due_at=now))
    except IntegrityError:
        pass  # already queued


def due(session: Session, now: datetime, limit: int) -> list[MessageDeletion]:
    return list(
        session.scalars(
            select(MessageDeletion)
            .where(MessageDeletion.due_at <= now)
            .order_by(MessageDeletion.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)  # two sweeping workers take different rows
        )
    )
