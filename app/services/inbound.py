"""Inbound message records: ``MessageSid`` idempotency, so a retried webhook gets the same reply
and causes no second effect; and the per-sender counts the flood guard reads.

A text is claimed by inserting its row before anything else happens in the same transaction. The
unique ``message_sid`` is the arbiter: a concurrent duplicate blocks on the winner's insert
(PostgreSQL) or on the write lock (SQLite), then fails, and reads the reply the winner stored.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import InboundMessage
from app.phones import number_hash


def recorded_reply(session: Session, message_sid: str) -> str | None:
    row = session.scalar(select(InboundMessage).where(InboundMessage.message_sid == message_sid))
    return None if row is None else (row.reply or "")


def claim(session: Session, message_sid: str, sender: str, secret: str, now: datetime) -> bool:
    """Insert this message's row; False when another request already holds it."""
    try:
        with session.begin_nested():
            session.add(
                InboundMessage(
                    message_sid=message_sid,
                    sender_hash=number_hash(sender, secret),
                    received_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def store_reply(session: Session, message_sid: str, reply: str) -> None:
    session.execute(
        update(InboundMessage).where(InboundMessage.message_sid == message_sid).values(reply=reply)
    )


def count_since(session: Session, sender: str, secret: str, since: datetime) -> int:
    """Texts from this number since ``since`` (served by ``ix_inbound_sender_time``)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.sender_hash == number_hash(sender, secret),
                InboundMessage.received_at >= since,
            )
        )
        or 0
    )
