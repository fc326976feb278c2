"""Deleting a member on request (SPEC §12): everything about the number goes except the consent
ledger, which holds no content and must outlive the member. A deleted member who texts again is
new."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import CallbackRequest, InboundMessage, Member, OutboxItem, Rsvp, RsvpStatus
from app.phones import number_hash
from app.services import conversations, recordings, rsvps


def forget_member(
    session: Session, member: Member, secret: str, keep_message_sid: str | None = None
) -> None:
    """``keep_message_sid``: the inbound record of the text asking for this, kept (it holds only
    a hash and the confirmation) so a retried webhook still gets the same reply."""
    phone = member.phone
    for rsvp_id in session.scalars(
        select(Rsvp.id).where(Rsvp.member_id == member.id, Rsvp.status != RsvpStatus.CANCELLED)
    ).all():
        rsvps.cancel(session, rsvp_id)  # frees seats for the waitlist
    session.execute(
        delete(OutboxItem).where(
            or_(OutboxItem.recipient == phone, OutboxItem.member_id == member.id)
        )
    )
    for sid in session.scalars(
        select(CallbackRequest.recording_sid).where(
            CallbackRequest.member_id == member.id, CallbackRequest.recording_sid.is_not(None)
        )
    ).all():
        if sid:  # Twilio's copy goes too, by the sweep (a view never calls Twilio)
            recordings.delete_at_twilio(session, sid, utcnow())
    session.execute(delete(CallbackRequest).where(CallbackRequest.member_id == member.id))
    session.execute(delete(Rsvp).where(Rsvp.member_id == member.id))
    session.execute(
        delete(InboundMessage).where(
            InboundMessage.sender_hash == number_hash(phone, secret),
            InboundMessage.message_sid != (keep_message_sid or ""),
        )
    )
    conversations.forget(session, phone)
    session.delete(member)
    session.flush()
