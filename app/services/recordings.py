"""Callback recordings (SPEC §10, §12): kept encrypted, heard only by the claiming facilitator
and coordinators, deleted here and at Twilio ``RETENTION_RECORDINGS`` after the request closes.

The key is derived from ``SECRET_KEY`` with HKDF, and each recording is sealed with AES-GCM bound
to its request's id, so a ciphertext copied onto another row does not open. Playback in the
facilitator's call goes through a short-lived signed URL (Twilio's ``<Play>`` is not signed
like a webhook), issued only inside the claiming facilitator's own call.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import OPEN_CALLBACK_STATES, CallbackRequest
from app.services import twilio_deletions

_FORMAT = b"v1"
_NONCE = 12
# Twilio fetches a <Play> URL the moment it reaches it in the facilitator's call, so a few
# minutes is plenty; the link is useless to whoever finds it later in a log.
PLAYBACK_LIFETIME = timedelta(minutes=5)


def _key(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def seal(secret: str, callback_id: int, audio: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    aead = AESGCM(_key(secret, b"phoneline recordings v1"))
    return _FORMAT + nonce + aead.encrypt(nonce, audio, _bound(callback_id))


def unseal(secret: str, callback_id: int, sealed: bytes) -> bytes:
    """The audio; raises ``cryptography.exceptions.InvalidTag`` if the key or row is wrong."""
    if not sealed.startswith(_FORMAT):
        raise ValueError("unknown recording format")
    nonce, body = sealed[2 : 2 + _NONCE], sealed[2 + _NONCE :]
    return AESGCM(_key(secret, b"phoneline recordings v1")).decrypt(
        nonce, body, _bound(callback_id)
    )


def _bound(callback_id: int) -> bytes:
    return f"callback:{callback_id}".encode()


# --- who may hear it ---------------------------------------------------------------------------


def may_hear(request: CallbackRequest, *, facilitator_id: int | None, coordinator: bool) -> bool:
    """Coordinators, and the facilitator who holds the request now; nobody else."""
    if coordinator:
        return True
    return (
        facilitator_id is not None
        and request.claimed_by_id == facilitator_id
        and request.status in OPEN_CALLBACK_STATES
    )


def audio_for(
    session: Session,
    secret: str,
    callback_id: int,
    *,
    facilitator_id: int | None = None,
    coordinator: bool = False,
) -> bytes | None:
    request = session.get(CallbackRequest, callback_id)
    if request is None or request.recording is None:
        return None
    if not may_hear(request, facilitator_id=facilitator_id, coordinator=coordinator):
        return None
    return unseal(secret, callback_id, request.recording)


def playback_token(secret: str, request: CallbackRequest, expires: int) -> str:
    """Bound to the request, its recording and the claim it was issued under: a link outlives
    none of them. If the request is erased and its id reused, or released and claimed again, or
    its recording replaced, the old link opens nothing."""
    claimed_at = int(request.claimed_at.timestamp()) if request.claimed_at else 0
    message = (
        f"{request.id}:{request.recording_sid}:{request.claimed_by_id}:{claimed_at}:{expires}"
    ).encode()
    return hmac.new(_key(secret, b"phoneline playback v2"), message, hashlib.sha256).hexdigest()


def playback_query(secret: str, request: CallbackRequest, now: datetime) -> str:
    expires = int((now + PLAYBACK_LIFETIME).timestamp())
    return f"e={expires}&s={playback_token(secret, request, expires)}"


def playback_audio(
    session: Session, secret: str, callback_id: int, expires: int, token: str, now: datetime
) -> bytes | None:
    """The audio for a playback link that is signed for this very claim and recording, not
    expired, while the request is still held; None for anything else."""
    if expires < now.timestamp() or not _well_formed(token):
        return None
    request = session.get(CallbackRequest, callback_id)
    if request is None or request.recording is None or request.claimed_by_id is None:
        return None
    expected = playback_token(secret, request, expires)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return audio_for(session, secret, callback_id, facilitator_id=request.claimed_by_id)


def _well_formed(token: str) -> bool:
    # A signature is 64 hex characters; anything else (non-ASCII included) is refused here.
    return len(token) == 64 and all(ch in "0123456789abcdef" for ch in token)


# --- when to fetch and when to delete ---------------------------------------------------------

RETRY_FETCH = timedelta(seconds=30)
MAX_FETCH_ATTEMPTS = 20


def fetch_soon(request: CallbackRequest, now: datetime) -> None:
    """The recording may be ready at Twilio: the sweep looks for it from ``now``."""
    if request.recording_sid and request.recording is None:
        request.recording_fetch_at = now


def by_sid(session: Session, recording_sid: str) -> CallbackRequest | None:
    return session.scalar(
        select(CallbackRequest).where(CallbackRequest.recording_sid == recording_sid).limit(1)
    )


def fetch_due(session: Session, now: datetime, limit: int) -> list[CallbackRequest]:
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(CallbackRequest.recording_fetch_at <= now)
            .order_by(CallbackRequest.recording_fetch_at)
            .limit(limit)
            .with_for_update(skip_locked=True)  # two sweeping workers take different rows
        )
    )


def stored(request: CallbackRequest, sealed: bytes) -> None:
    request.recording = sealed
    request.recording_fetch_at = None


def retry_fetch(request: CallbackRequest, now: datetime) -> None:
    request.recording_fetch_attempts += 1
    give_up = request.recording_fetch_attempts >= MAX_FETCH_ATTEMPTS
    request.recording_fetch_at = None if give_up else now + RETRY_FETCH


def purge_due(session: Session, now: datetime, limit: int = 200) -> int:
    """Requests closed ``RETENTION_RECORDINGS`` ago lose their recording here, and its SID is
    queued for deletion at Twilio."""
    rows = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.recording_purge_at <= now)
        .order_by(CallbackRequest.recording_purge_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for request in rows:
        forget(session, request, now)
    return len(rows)


def forget(session: Session, request: CallbackRequest, now: datetime) -> None:
    """Drop the audio and the SID here; Twilio's copy is deleted by the sweep."""
    if request.recording_sid:
        delete_at_twilio(session, request.recording_sid, now)
    request.recording = None
    request.recording_sid = None
    request.recording_fetch_at = None
    request.recording_purge_at = None


def delete_at_twilio(session: Session, recording_sid: str, now: datetime) -> None:
    twilio_deletions.queue_recording(session, recording_sid, now)
