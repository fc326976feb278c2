"""Sweep tasks for callback recordings (SPEC §10, §12): fetch what Twilio finished recording,
and store it encrypted. Deleting them at Twilio: workers/twilio_deletions.py.

Each task reads through an index and is idempotent: two workers fetching one recording store
the same audio.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.gateway import Gateway, GatewayError
from app.models import CallbackRequest
from app.services import recordings

log = logging.getLogger(__name__)

BATCH = 20
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
