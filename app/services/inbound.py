"""Inbound message records: ``MessageSid`` idempotency, so a retried webhook gets the same reply
and causes no second effect."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import InboundMessage
from app.phones import number_hash


def recorded_reply(session: Session, message_sid: str) -> str | None:
    row = session.scalar(select(InboundMessage).where(InboundMessage.message_sid == message_sid))
    return None if row is None else (row.reply or "")


def record(session: Session, message_sid: str, sender: str, reply: str, secret: str) -> None:
    session.add(
        InboundMessage(
            message_sid=message_sid, sender_hash=number_hash(sender, secret), reply=reply
        )
    )
