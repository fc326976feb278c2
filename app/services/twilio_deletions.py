"""Copies at Twilio to delete (SPEC §12): a recording, or a message (Twilio keeps its body and
numbers). When the record goes here (retention, erasure) its SID is queued; the sweep deletes
Twilio's copy through the gateway (workers/twilio_deletions.py). Only the SID is kept, so
nothing here waits for Twilio."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import MessageDeletion, RecordingDeletion

Pending = TypeVar("Pending", RecordingDeletion, MessageDeletion)


def queue_recording(session: Session, recording_sid: str, now: datetime) -> None:
    _queue(session, RecordingDeletion(recording_sid=recording_sid, due_at=now))


def queue_message(session: Session, message_sid: str, now: datetime) -> None:
    _queue(session, MessageDeletion(message_sid=message_sid, due_at=now))


def _queue(session: Session, row: RecordingDeletion | MessageDeletion) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        pass  # already queued


def due(session: Session, model: type[Pending], now: datetime, limit: int) -> list[Pending]:
    return list(
        session.scalars(
            select(model)
            .where(model.due_at <= now)
            .order_by(model.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)  # two sweeping workers take different rows
        )
    )
