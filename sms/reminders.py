"""Answers to a reminder by text: 1 I'll be there, 2 I can't come (SPEC §8, §9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.models import OutboxItem, OutboxKind, OutboxPurpose, Rsvp, RsvpStatus
from app.services import rsvps
from sms.turn import Turn

ANSWER_WINDOW = timedelta(hours=12)


def latest(turn: Turn) -> OutboxItem | None:
    """The last reminder text sent to this member."""
    return turn.session.scalar(
        select(OutboxItem)
        .where(
            OutboxItem.member_id == turn.member.id,
            OutboxItem.kind == OutboxKind.SMS,
            OutboxItem.purpose == OutboxPurpose.REMINDER,
            OutboxItem.sent_at.is_not(None),
        )
        .order_by(OutboxItem.sent_at.desc())
        .limit(1)
    )


def answerable(turn: Turn) -> OutboxItem | None:
    """The reminder a bare 1 or 2 answers: sent within the last 12 hours, for an RSVP."""
    reminder = latest(turn)
    if reminder is None or reminder.sent_at is None or reminder.rsvp_id is None:
        return None
    return reminder if turn.now - reminder.sent_at < ANSWER_WINDOW else None


def answer(turn: Turn, reminder: OutboxItem, number: int) -> list[str]:
    rsvp = turn.session.get(Rsvp, reminder.rsvp_id)
    if rsvp is None:
        return [turn.say("sms.drop.none")]
    params = {"name": rsvp.meeting.group.name, "when": turn.when(rsvp.meeting)}
    if number == 1 and rsvp.status is not RsvpStatus.CANCELLED:
        rsvp.attended = True
        return [turn.say("sms.reminder_reply.coming", **params)]
    rsvps.cancel(turn.session, rsvp.id, turn.now)
    return [turn.say("sms.reminder_reply.not_coming", **params)]
