"""Sweep tasks for callback recordings (SPEC §10, §12): fetch what Twilio finished recording,
store it encrypted, and delete recordings at Twilio once they are due to go.

Each task reads through an index and is idempotent: two workers fetching one recording store
the same audio; deleting one already deleted at Twilio (404) counts as done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.gateway import Gateway, GatewayError
from app.models import CallbackRequest, RecordingDeletion
from app.services import recordings

log = logging.getLogger(__name__)

BATCH = 20
RETRY_DELETE = timedelta(minutes=10)
MAX_DELETE_ATTEMPTS = 50
READY = "completed"
GONE = ("absent", "failed", "deleted")


def _gateway() -> Gateway:
    gateway = phoneline().gateway
    assert gateway is not None
    return gateway


def fetch_recordings(session: Session, now: datetime) -> int:
    due = recordings.fetch_due(session, now, BATCH)
    for request in due:
        _fetch(session, request, now)
    return len(due)


def _fetch(session: Session, request: CallbackRequest, now: datetime) -> None:
    sid = request.recording_sid
    if not sid or request.recording is not None:
        request.recording_fetch_at = None
        return
    gateway = _gateway()
    try:
        info = gateway.fetch_recording(sid)
        if info.status != READY:
            _not_ready(request, info.status, now)
            return
        audio = gateway.fetch_recording_audio(sid)
    except GatewayError as error:
        log.info("recording fetch callback=%s error code=%s", request.id, error.code)
        if error.permanent:
            request.recording_fetch_at = None
        else:
            recordings.retry_fetch(request, now)
        return
    recordings.stored(request, recordings.seal(phoneline().config.secret_key, request.id, audio))
    log.info("recording stored callback=%s bytes=%s", request.id, len(audio))


def _not_ready(request: CallbackRequest, status: str, now: datetime) -> None:
    if status in GONE:
        request.recording_fetch_at = None
    else:
        recordings.retry_fetch(request, now)


def purge_recordings(session: Session, now: datetime) -> int:
    return recordings.purge_due(session, now)


def delete_at_twilio(session: Session, now: datetime) -> int:
    due = recordings.deletions_due(session, now, BATCH)
    for row in due:
        _delete(session, row, now)
    return len(due)


def _delete(session: Session, row: RecordingDeletion, now: datetime) -> None:
    try:
        _gateway().delete_recording(row.recording_sid)
    except GatewayError as error:
        if error.status != 404 and row.attempts < MAX_DELETE_ATTEMPTS:
            row.attempts += 1
            row.due_at = now + RETRY_DELETE
            log.info("recording delete id=%s error code=%s", row.id, error.code)
            return
    session.delete(row)
