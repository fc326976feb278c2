"""The outbox: every automated SMS and call is a row before it is anything else (SPEC §9).

Rows are enqueued here by every channel and job; workers dispatch them. A ``dedupe_key`` makes
enqueueing idempotent (a reminder for one RSVP and offset exists once, however often the job
that plans it runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import (
    ConsentPurpose,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    SmsStatus,
)
from app.services import members

# Lower goes first: replies and crisis messages ahead of alerts, alerts ahead of bulk.
PRIORITY = {
    OutboxPurpose.CRISIS: 0,
    OutboxPurpose.REPLY: 1,
    OutboxPurpose.ALERT: 1,
    OutboxPurpose.CALLBACK: 1,
    OutboxPurpose.NOTICE: 3,
    OutboxPurpose.REMINDER: 4,
    OutboxPurpose.BROADCAST: 6,
}

# Sends that are not "automated" in the sense of SPEC §6: quiet hours, the limiter's bulk lane
# and consent checks do not hold them.
NOT_AUTOMATED = frozenset(
    {OutboxPurpose.CRISIS, OutboxPurpose.REPLY, OutboxPurpose.ALERT, OutboxPurpose.CALLBACK}
)


@dataclass(frozen=True)
class Outgoing:
    kind: OutboxKind
    purpose: OutboxPurpose
    recipient: str  # E.164
    template: str  # a prompt key
    language: str
    params: dict[str, Any] = field(default_factory=dict)
    due_at: datetime | None = None
    member_id: int | None = None
    facilitator_id: int | None = None
    coordinator_id: int | None = None
    rsvp_id: int | None = None
    broadcast_id: int | None = None
    callback_id: int | None = None
    dedupe_key: str | None = None


def enqueue(session: Session, outgoing: Outgoing) -> OutboxItem:
    """Write the row (or return the existing one with the same dedupe key)."""
    if outgoing.dedupe_key is not None:
        existing = by_dedupe_key(session, outgoing.dedupe_key)
        if existing is not None:
            return existing
    item = OutboxItem(
        kind=outgoing.kind,
        purpose=outgoing.purpose,
        priority=PRIORITY[outgoing.purpose],
        recipient=outgoing.recipient,
        template=outgoing.template,
        params=dict(outgoing.params),
        language=outgoing.language,
        due_at=outgoing.due_at or utcnow(),
        status=OutboxStatus.PENDING,
        member_id=outgoing.member_id,
        facilitator_id=outgoing.facilitator_id,
        coordinator_id=outgoing.coordinator_id,
        rsvp_id=outgoing.rsvp_id,
        broadcast_id=outgoing.broadcast_id,
        callback_id=outgoing.callback_id,
        dedupe_key=outgoing.dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        if outgoing.dedupe_key is None:
            raise
        existing = by_dedupe_key(session, outgoing.dedupe_key)
        if existing is None:
            raise
        return existing
    return item


def by_dedupe_key(session: Session, key: str) -> OutboxItem | None:
    return session.scalar(select(OutboxItem).where(OutboxItem.dedupe_key == key))


def due(session: Session, now: datetime, limit: int) -> list[OutboxItem]:
    """Pending rows whose time has come, most urgent first (served by ``ix_outbox_due``)."""
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.status == OutboxStatus.PENDING, OutboxItem.due_at <= now)
            .order_by(OutboxItem.priority, OutboxItem.due_at, OutboxItem.id)
            .limit(limit)
        )
    )


def withdraw_automated(session: Session, member_id: int) -> int:
    """Withdraw a member's reminders, notices and broadcasts not yet handed to a worker (after
    they asked to stop everything); replies already on their way still go."""
    from sqlalchemy import update

    automated = (OutboxPurpose.REMINDER, OutboxPurpose.NOTICE, OutboxPurpose.BROADCAST)
    result = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.member_id == member_id,
            OutboxItem.purpose.in_(automated),
            OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.QUEUED)),
        )
        .values(status=OutboxStatus.CANCELLED, final_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# The consent each automated purpose needs; replies, crisis texts and alerts need none (SPEC §6).
_CONSENT_FOR = {
    (OutboxKind.SMS, OutboxPurpose.REMINDER): ConsentPurpose.REMINDERS_SMS,
    (OutboxKind.CALL, OutboxPurpose.REMINDER): ConsentPurpose.REMINDERS_CALL,
    (OutboxKind.SMS, OutboxPurpose.NOTICE): ConsentPurpose.NOTICES,
    (OutboxKind.CALL, OutboxPurpose.NOTICE): ConsentPurpose.NOTICES,
    (OutboxKind.SMS, OutboxPurpose.BROADCAST): ConsentPurpose.BROADCASTS,
}
_SMS_REFUSED = (SmsStatus.BLOCKED, SmsStatus.INVALID, SmsStatus.NO_SMS)


def may_send(session: Session, item: OutboxItem, secret: str) -> bool:
    """Whether this row may go out now: no SMS to a number Twilio blocked (STOP) or that cannot
    take SMS; nothing automated without the latest ledger entry for its purpose granting it
    (so a member who opted out gets no broadcast, reminder or notice)."""
    if item.kind is OutboxKind.SMS and _sms_refused(session, item.recipient):
        return False
    needed = _CONSENT_FOR.get((item.kind, item.purpose))
    if needed is None:
        return item.purpose in NOT_AUTOMATED
    return members.has_consent(session, item.recipient, needed, secret)


def _sms_refused(session: Session, recipient: str) -> bool:
    member = members.find(session, recipient)
    return member is not None and member.sms_status in _SMS_REFUSED
