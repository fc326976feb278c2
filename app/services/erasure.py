"""Deleting a member on request (SPEC §12): everything about the number goes except the consent
ledger, which holds no content and must outlive the member. A deleted member who texts again is
new. Twilio's copies (messages, recordings) are queued for deletion there by the sweep.

The retention job (app/services/retention.py) forgets long-inactive members the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.db import erased, utcnow
from app.models import (
    CallbackRequest,
    InboundMessage,
    Member,
    OutboxItem,
    OutboxKind,
    Rsvp,
    RsvpStatus,
)
from app.phones import number_hash
from app.services import conversations, recordings, rsvps, twilio_deletions


@dataclass(frozen=True)
class Erased:
    """What went, as counts (never content): shown by ``phoneline member delete``."""

    rsvps: int
    callbacks: int
    messages: int  # outbox rows and inbound message records


def forget_member(
    session: Session, member: Member, secret: str, keep_message_sid: str | None = None
) -> Erased:
    """``keep_message_sid``: the inbound record of the text asking for this, kept (it holds only
    a hash and the confirmation) so a retried webhook still gets the same reply."""
    phone = member.phone
    for rsvp_id in session.scalars(
        select(Rsvp.id).where(Rsvp.member_id == member.id, Rsvp.status != RsvpStatus.CANCELLED)
    ).all():
        rsvps.cancel(session, rsvp_id)  # frees seats for the waitlist
    sent = _forget_outbox(session, member)
    callbacks = _forget_callbacks(session, member)
    rsvp_rows = _count(session.execute(delete(Rsvp).where(Rsvp.member_id == member.id)))
    received = _forget_inbound(session, number_hash(phone, secret), keep_message_sid or "")
    conversations.forget(session, phone)
    session.delete(member)
    session.flush()
    erased(session)
    return Erased(rsvps=rsvp_rows, callbacks=callbacks, messages=sent + received)


def _forget_outbox(session: Session, member: Member) -> int:
    mine = or_(OutboxItem.recipient == member.phone, OutboxItem.member_id == member.id)
    now = utcnow()
    for sid in session.scalars(
        select(OutboxItem.twilio_sid).where(
            mine, OutboxItem.kind == OutboxKind.SMS, OutboxItem.twilio_sid.is_not(None)
        )
    ).all():
        if sid:
            twilio_deletions.queue_message(session, sid, now)
    return _count(session.execute(delete(OutboxItem).where(mine)))


def _forget_callbacks(session: Session, member: Member) -> int:
    for sid in session.scalars(
        select(CallbackRequest.recording_sid).where(
            CallbackRequest.member_id == member.id, CallbackRequest.recording_sid.is_not(None)
        )
    ).all():
        if sid:  # Twilio's copy goes too, by the sweep (a view never calls Twilio)
            recordings.delete_at_twilio(session, sid, utcnow())
    return _count(
        session.execute(delete(CallbackRequest).where(CallbackRequest.member_id == member.id))
    )


def _forget_inbound(session: Session, sender_hash: str, keep_message_sid: str) -> int:
    theirs = (
        InboundMessage.sender_hash == sender_hash,
        InboundMessage.message_sid != keep_message_sid,
    )
    now = utcnow()
    for sid in session.scalars(select(InboundMessage.message_sid).where(*theirs)).all():
        twilio_deletions.queue_message(session, sid, now)
    return _count(session.execute(delete(InboundMessage).where(*theirs)))


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
