"""Tombstones of the webhooks the line handled (security review M2).

Twilio's signatures never expire: a captured request validates for as long as the auth token
that signed it is in use. ``MessageSid`` idempotency rows go with the member's data (erasure,
``RETENTION_MESSAGES``), so without something that outlives them a replayed text would
re-create a member who asked to be forgotten. A tombstone is a keyed hash of the SID (useless
without ``SECRET_KEY``, and no link to a number) and the day it came. It goes ``HORIZON`` after
that day: a deployment rotates its auth token well within it (docs/security.md), after which
older captures no longer validate at all.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import HandledSid

HORIZON = timedelta(days=730)
SMS, CALL = "sms", "call"


def sid_hash(sid: str, secret: str) -> str:
    # Its own prefix, so the hash of a SID can never equal a number's hash (app.phones).
    return hmac.new(secret.encode(), f"sid:{sid}".encode(), hashlib.sha256).hexdigest()


def seen_on(session: Session, sid: str, secret: str) -> date | None:
    """The day this SID was handled, or None if it never was (or long ago)."""
    return session.scalar(
        select(HandledSid.received_on).where(HandledSid.sid_hash == sid_hash(sid, secret))
    )


def record(session: Session, kind: str, sid: str, secret: str, now: datetime) -> None:
    """Keep the tombstone, in the transaction that handles the request (it goes if that fails);
    one already there is kept as it is."""
    try:
        with session.begin_nested():
            session.add(
                HandledSid(sid_hash=sid_hash(sid, secret), kind=kind, received_on=now.date())
            )
    except IntegrityError:
        pass


def forget_old(session: Session, now: datetime, limit: int) -> int:
    """Tombstones past ``HORIZON``, a batch at a time (``ix_handled_sids_received_on``)."""
    ids = session.scalars(
        select(HandledSid.id)
        .where(HandledSid.received_on < (now - HORIZON).date())
        .order_by(HandledSid.received_on)
        .limit(limit)
    ).all()
    if ids:
        session.execute(delete(HandledSid).where(HandledSid.id.in_(ids)))
    return len(ids)
