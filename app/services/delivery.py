"""Delivery status of outbox rows (SPEC §9): status callbacks and polling land here.

Status never moves backwards, and a final status (delivered, undelivered, failed) is never
changed. Callbacks are idempotent and find their row by the outbox id in the callback URL, so
one that arrives before the dispatcher stored the SID still lands (and stores the SID).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import (
    FINAL_OUTBOX_STATES,
    Broadcast,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    SmsStatus,
    StaffNoticeKind,
)
from app.services import staff

# How far along each of our states is; an update may only move to a higher rank.
_RANK = {
    OutboxStatus.PENDING: 0,
    OutboxStatus.QUEUED: 1,
    OutboxStatus.SENDING: 2,
    OutboxStatus.UNKNOWN: 3,
    OutboxStatus.SENT: 4,
    OutboxStatus.DELIVERED: 9,
    OutboxStatus.UNDELIVERED: 9,
    OutboxStatus.FAILED: 9,
    OutboxStatus.CANCELLED: 9,
    OutboxStatus.SKIPPED: 9,
}

# Twilio's message and call statuses, in our terms.
MESSAGE_STATUS = {
    "accepted": OutboxStatus.SENT,
    "scheduled": OutboxStatus.SENT,
    "queued": OutboxStatus.SENT,
    "sending": OutboxStatus.SENT,
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.UNDELIVERED,
    "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}
CALL_STATUS = {
    "queued": OutboxStatus.SENT,
    "initiated": OutboxStatus.SENT,
    "ringing": OutboxStatus.SENT,
    "in-progress": OutboxStatus.SENT,
    "completed": OutboxStatus.DELIVERED,
    "busy": OutboxStatus.UNDELIVERED,
    "no-answer": OutboxStatus.UNDELIVERED,
    "canceled": OutboxStatus.FAILED,
    "failed": OutboxStatus.FAILED,
}


@dataclass(frozen=True)
class StatusReport:
    outbox_id: int
    sid: str
    status: OutboxStatus
    error_code: int | None = None


def apply(session: Session, report: StatusReport, now: datetime | None = None) -> bool:
    """Record a status report; returns whether anything changed. The row is locked so a
    callback and the dispatcher storing its answer cannot overwrite each other."""
    item = session.get(OutboxItem, report.outbox_id, with_for_update=True)
    if item is None or (item.twilio_sid not in (None, report.sid)):
        return False  # not ours: a stale or forged id does nothing
    changed = item.twilio_sid is None
    item.twilio_sid = report.sid
    if _RANK[report.status] > _RANK[item.status]:
        item.status = report.status
        item.error_code = report.error_code
        if report.status in FINAL_OUTBOX_STATES:
            item.final_at = now or utcnow()
            mark_recipient(session, item.id, report.error_code)
            note_outcome(session, item)
            after_final(session, item.id, item.final_at or utcnow())
        changed = True
    return changed


# What an error code says about the number itself (SPEC §9), whatever the message was.
NUMBER_STATUS = {
    21610: SmsStatus.BLOCKED,  # the member texted STOP
    21211: SmsStatus.INVALID,
    21614: SmsStatus.NO_SMS,  # a landline
    30006: SmsStatus.NO_SMS,
}
INVALID_NUMBER = 21211
# Carrier failures that pause texting after this many in a row (the next text un-pauses).
STREAK_CODES = frozenset({30003, 30005})
STREAK_LIMIT = 3


def mark_recipient(session: Session, item_id: int, code: int | None) -> None:
    """Carry a final outcome over to the member's SMS status."""
    item = session.get(OutboxItem, item_id)
    if item is None or item.kind is not OutboxKind.SMS:
        return
    member = _member_of(session, item)
    if member is None:
        return
    if code in NUMBER_STATUS:
        member.sms_status = NUMBER_STATUS[code]
        if code == INVALID_NUMBER:
            # SPEC §9: coordinators see it (a typo on a paper form is theirs to fix); no text.
            staff.note(
                session,
                StaffNoticeKind.INVALID_NUMBER,
                f"invalid:m{member.id}",
                member_id=member.id,
            )
    elif code in STREAK_CODES:
        member.sms_failure_streak += 1
        if member.sms_failure_streak >= STREAK_LIMIT and member.sms_status is SmsStatus.OK:
            member.sms_status = SmsStatus.PAUSED
    elif item.status is OutboxStatus.DELIVERED:
        member.sms_failure_streak = 0


def after_final(session: Session, item_id: int, now: datetime) -> None:
    """What a reminder's final outcome sets off: a busy or unanswered call is tried again once;
    a text the number cannot take goes again as a call (or coordinators are told)."""
    from app.services import reminders  # reminders builds on the outbox, which uses this module

    item = session.get(OutboxItem, item_id)
    if item is not None:
        reminders.after_outcome(session, item, now)


def sms_paused(session: Session, item: OutboxItem) -> bool:
    member = _member_of(session, item)
    return member is not None and member.sms_status is SmsStatus.PAUSED


def _member_of(session: Session, item: OutboxItem) -> Member | None:
    if item.member_id is not None:
        return session.get(Member, item.member_id)
    return session.scalar(select(Member).where(Member.phone == item.recipient))


def parse_error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


# A run of these carrier verdicts means the carrier is filtering the broadcast (spam, or an
# unregistered sender): keep sending and every text fails, and the number's reputation suffers.
FILTERED_CODES = frozenset({30007, 30034})
FILTERED_RUN = 5
BROADCAST_PAUSED = "paused"


def note_outcome(session: Session, item: OutboxItem) -> None:
    """After a broadcast row's final status: pause the broadcast on a run of filtering."""
    if item.broadcast_id is None or item.error_code not in FILTERED_CODES:
        return
    # Callbacks for one broadcast arrive in parallel: each would count the run before the
    # others commit and none would see it whole. The broadcast's row lock serialises them, and
    # the count below (a new statement) then sees what the previous holder committed.
    broadcast = session.get(Broadcast, item.broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status == BROADCAST_PAUSED:
        return
    finished = [OutboxItem.broadcast_id == item.broadcast_id, OutboxItem.final_at.is_not(None)]
    if broadcast.resumed_at is not None:
        finished.append(OutboxItem.final_at >= broadcast.resumed_at)
    recent = session.scalars(
        select(OutboxItem.error_code)
        .where(*finished)
        .order_by(OutboxItem.final_at.desc())
        .limit(FILTERED_RUN)
    ).all()
    if len(recent) == FILTERED_RUN and all(code in FILTERED_CODES for code in recent):
        broadcast.status = BROADCAST_PAUSED
        staff.note(
            session,
            StaffNoticeKind.BROADCAST_PAUSED,
            f"broadcast-paused:b{broadcast.id}:o{item.id}",
            text="staff.broadcast_paused",
            params={"broadcast": broadcast.id, "count": FILTERED_RUN},
            broadcast_id=broadcast.id,
        )


def is_paused(session: Session, broadcast_id: int | None) -> bool:
    if broadcast_id is None:
        return False
    return (
        session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))
        == BROADCAST_PAUSED
    )
