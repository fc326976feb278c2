"""Sweep tasks for retention (SPEC §12): one batch of the retention job per sweep, and deleting
messages at Twilio once their records here are gone.

Both are idempotent and read through indexes; deleting a message Twilio no longer has (404)
counts as done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.gateway import GatewayError
from app.models import MessageDeletion
from app.services import audit, message_deletions, retention

log = logging.getLogger(__name__)

BATCH = 20
RETRY_DELETE = timedelta(minutes=10)
MAX_DELETE_ATTEMPTS = 50


def apply_retention(session: Session, now: datetime) -> int:
    done = retention.run_batch(session, retention.Policy.of(phoneline().config), now)
    if any(done.values()):
        audit.record(session, "retention", "retention.run", None, _nonzero(done), now)
    return sum(done.values())


def delete_messages_at_twilio(session: Session, now: datetime) -> int:
    due = message_deletions.due(session, now, BATCH)
    for row in due:
        _delete(session, row, now)
    return len(due)


def _delete(session: Session, row: MessageDeletion, now: datetime) -> None:
    gateway = phoneline().gateway
    assert gateway is not None
    try:
        gateway.delete_message(row.message_sid)
    except GatewayError as error:
        if error.status != 404 and row.attempts < MAX_DELETE_ATTEMPTS:
            row.attempts += 1
            row.due_at = now + RETRY_DELETE
            log.info("message delete id=%s error code=%s", row.id, error.code)
            return
    session.delete(row)


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if n}
