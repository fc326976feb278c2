"""The retention job (SPEC §12), in batches that any number of workers may run at once.

``RETENTION_MESSAGES`` after the fact, message content goes: outbox rows keep their skeleton
(kind, purpose, template key, status, times, error code, links by id) so delivery reports and
duplicate guards still count them, but lose the number, the body, the parameters and the SID;
inbound message records, SMS conversation state and callback notes are deleted; old
broadcasts lose their texts. Twilio's copy of each message is queued for deletion there.
Members inactive ``RETENTION_INACTIVE_MEMBER`` are forgotten as on request, unless they still
have a meeting ahead or a callback request open. Recordings have their own clock
(app/services/recordings.py). The consent ledger and the audit log stay: they hold no content.
Tombstones of handled SIDs (app/services/tombstones.py) outlive all of this, and go after their
own, much longer, horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Exists

from app.config import Config
from app.db import erased
from app.models import (
    OPEN_CALLBACK_STATES,
    Broadcast,
    CallbackRequest,
    Conversation,
    InboundMessage,
    Meeting,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from app.services import erasure, tombstones, twilio_deletions

BATCH = 200
# What is still pending or in flight keeps its content; rows Twilio accepted or that ended lose
# it. Written as NOT IN so the planner reads the partial retention index, not a status index.
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.UNKNOWN)
# An unknown row reconciliation gave up on is settled too: nothing will look at its content.
_UNRESOLVED = and_(OutboxItem.status == OutboxStatus.UNKNOWN, OutboxItem.next_check_at.is_(None))


@dataclass(frozen=True)
class Policy:
    messages: timedelta
    inactive_member: timedelta
    secret: str

    @classmethod
    def of(cls, config: Config) -> Policy:
        return cls(
            messages=config.retention_messages.elapsed,
            inactive_member=config.retention_inactive_member.elapsed,
            secret=config.secret_key,
        )


def run_batch(
    session: Session, policy: Policy, now: datetime, limit: int = BATCH
) -> dict[str, int]:
    """One batch of each kind of work; call again until every count is 0."""
    before = now - policy.messages
    counts = {
        "outbound messages emptied": empty_outbox(session, before, now, limit),
        "inbound messages deleted": delete_inbound(session, before, now, limit),
        "conversations deleted": delete_conversations(session, before, limit),
        "callback notes deleted": drop_notes(session, before, limit),
        "broadcast texts deleted": drop_broadcast_texts(session, before, limit),
        "inactive members deleted": forget_inactive(
            session, now - policy.inactive_member, now, policy.secret, limit
        ),
        "tombstones deleted": tombstones.forget_old(session, now, limit),
    }
    if any(counts.values()):
        erased(session)
    return counts


def empty_outbox(session: Session, before: datetime, now: datetime, limit: int) -> int:
    rows = session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.created_at < before,
            text("outbox.recipient != ''"),  # literal, so the partial index applies
            or_(OutboxItem.status.not_in(UNSETTLED), _UNRESOLVED),
        )
        .order_by(OutboxItem.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if row.twilio_sid and row.kind is OutboxKind.SMS:
            twilio_deletions.queue_message(session, row.twilio_sid, now)
        row.recipient = ""
        row.body = None
        row.params = {}
        row.member_id = None
        row.twilio_sid = None
        row.next_check_at = None  # nothing left to poll Twilio about
    return len(rows)


def delete_inbound(session: Session, before: datetime, now: datetime, limit: int) -> int:
    rows = session.execute(
        select(InboundMessage.id, InboundMessage.message_sid)
        .where(InboundMessage.received_at < before)
        .order_by(InboundMessage.received_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for _, sid in rows:
        twilio_deletions.queue_message(session, sid, now)
    session.execute(delete(InboundMessage).where(InboundMessage.id.in_([i for i, _ in rows])))
    return len(rows)


def delete_conversations(session: Session, before: datetime, limit: int) -> int:
    ids = session.scalars(
        select(Conversation.id)
        .where(Conversation.last_message_at < before)
        .order_by(Conversation.last_message_at)
        .limit(limit)
    ).all()
    # The age is checked again in the DELETE: a text arriving meanwhile keeps its conversation.
    result = session.execute(
        delete(Conversation).where(Conversation.id.in_(ids), Conversation.last_message_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def drop_notes(session: Session, before: datetime, limit: int) -> int:
    rows = session.scalars(
        select(CallbackRequest)
        .where(
            CallbackRequest.created_at < before,
            CallbackRequest.note.is_not(None),
            CallbackRequest.status.not_in(OPEN_CALLBACK_STATES),
        )
        .order_by(CallbackRequest.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for request in rows:
        request.note = None
    return len(rows)


def drop_broadcast_texts(session: Session, before: datetime, limit: int) -> int:
    """Broadcasts are few (a coordinator writes each), so no index; an emptied one has no
    content hash, which also takes it out of the 24-hour duplicate guard it is long past."""
    rows = session.scalars(
        select(Broadcast)
        .where(Broadcast.send_at < before, Broadcast.content_hash != "")
        .order_by(Broadcast.send_at)
        .limit(limit)
    ).all()
    for row in rows:
        row.texts = {}
        row.content_hash = ""
    return len(rows)


def forget_inactive(
    session: Session, before: datetime, now: datetime, secret: str, limit: int
) -> int:
    rows = session.scalars(
        select(Member)
        .where(Member.last_active_at < before, ~_meeting_ahead(now), ~_request_open())
        .order_by(Member.last_active_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for member in rows:
        erasure.forget_member(session, member, secret)
    return len(rows)


def _meeting_ahead(now: datetime) -> Exists:
    return exists().where(
        Rsvp.member_id == Member.id,
        Rsvp.status != RsvpStatus.CANCELLED,
        Rsvp.meeting_id == Meeting.id,
        Meeting.starts_at > now,
    )


def _request_open() -> Exists:
    return exists().where(
        CallbackRequest.member_id == Member.id,
        CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
    )
