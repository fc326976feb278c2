"""Sweep tasks deleting copies at Twilio (SPEC §12): recordings and messages whose records went
here. Idempotent: deleting what Twilio no longer has (404) counts as done; other errors retry
later, a bounded number of times."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.gateway import Gateway, GatewayError
from app.models import MessageDeletion, RecordingDeletion
from app.services import twilio_deletions
from app.services.twilio_deletions import Pending

log = logging.getLogger(__name__)

BATCH = 20
RETRY_DELETE = timedelta(minutes=10)
MAX_DELETE_ATTEMPTS = 50


def delete_recordings(session: Session, now: datetime) -> int:
    due = twilio_deletions.due(session, RecordingDeletion, now, BATCH)
    return _delete_each(
        session, due, lambda row: _gateway().delete_recording(row.recording_sid), now
    )


def delete_messages(session: Session, now: datetime) -> int:
    due = twilio_deletions.due(session, MessageDeletion, now, BATCH)
    return _delete_each(session, due, lambda row: _gateway().delete_message(row.message_sid), now)


def _delete_each(
    session: Session, rows: Sequence[Pending], delete: Callable[[Pending], None], now: datetime
) -> int:
    for row in rows:
        try:
            delete(row)
        except GatewayError as error:
            if error.status != 404 and row.attempts < MAX_DELETE_ATTEMPTS:
                row.attempts += 1
                row.due_at = now + RETRY_DELETE
                log.info("delete at twilio %s id=%s code=%s", row.__tablename__, row.id, error.code)
                continue
        session.delete(row)
    return len(rows)


def _gateway() -> Gateway:
    gateway = phoneline().gateway
    assert gateway is not None
    return gateway
