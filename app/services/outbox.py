"""The outbox: every automated SMS and call is a row before it is anything else (SPEC §9).

Rows are enqueued here by every channel and job; workers dispatch them. A ``dedupe_key`` makes
enqueueing idempotent (a reminder for one RSVP and offset exists once, however often the job
that plans it runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import outbox_kick
from app.db import utcnow
from app.models import (
    FINAL_OUTBOX_STATES,
    ConsentPurpose,
    Coordinator,
    Facilitator,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    SmsStatus,
)
from app.services import delivery, members, quiet_hours

# Lower goes first: replies and crisis messages ahead of alerts, alerts ahead of bulk.
PRIORITY = {
    OutboxPurpose.CRISIS: 0,
    OutboxPurpose.REPLY: 1,
    OutboxPurpose.ALERT: 1,
    OutboxPurpose.CALLBACK: 1,
    OutboxPurpose.STAFF: 2,
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
    if item.priority <= PRIORITY[OutboxPurpose.STAFF] and item.due_at <= utcnow():
        outbox_kick.remember(session, item)
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


# --- dispatch: claim, outcome (SPEC §9, exactly once) -------------------------------------------

# A claim outlives the longest a send can take (limiter wait + the gateway's timeout); a worker
# still holding an expired claim is presumed dead and its row becomes ``unknown``.
CLAIM_LEASE = timedelta(minutes=2)
# A row handed to RQ that no worker has claimed by then was lost with Redis: back to pending.
QUEUE_LEASE = timedelta(minutes=10)
# Unknown rows are looked up at least twice, this far apart, before anything is resent.
RECHECK_AFTER = timedelta(seconds=60)
CHECKS_PER_ROUND = 2
# A resend that came back unknown waits longer before each further round of looks.
MAX_ROUND_WAIT = timedelta(minutes=30)
# Rows with no final status this long after sending are polled (SPEC §9), then hourly.
POLL_AFTER = timedelta(hours=6)
POLL_EVERY = timedelta(hours=1)
MAX_ATTEMPTS = 8
CLAIMABLE = (OutboxStatus.PENDING, OutboxStatus.QUEUED)


def mark_queued(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Pending -> queued, with a lease after which the sweep assumes the RQ job was lost.
    Returns the ids this call moved (another sweeping worker may have taken some)."""
    return list(
        session.scalars(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.QUEUED, claim_expires_at=now + QUEUE_LEASE)
            .returning(OutboxItem.id)
        )
    )


def claim(session: Session, item_id: int, now: datetime) -> OutboxItem | None:
    """The atomic claim: one conditional UPDATE, so of two workers holding the same id exactly
    one gets the row. Returns it, or None when someone else has it (or it is done)."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.status.in_(CLAIMABLE))
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            claim_expires_at=now + CLAIM_LEASE,
            attempts=OutboxItem.attempts + 1,
        )
    )
    if _rowcount(result) != 1:
        return None
    return session.get(OutboxItem, item_id, populate_existing=True)


def record_sent(session: Session, item_id: int, sid: str, segments: int, now: datetime) -> None:
    """Twilio accepted it. A status callback may already have moved the row further."""
    delivery.apply(session, delivery.StatusReport(item_id, sid, OutboxStatus.SENT), now)
    item = session.get(OutboxItem, item_id)
    if item is not None:
        item.sent_at, item.segments = now, segments
        item.claim_expires_at = None
        item.next_check_at = None if item.status in FINAL_OUTBOX_STATES else now + POLL_AFTER


def record_retry(session: Session, item_id: int, now: datetime, code: int | None) -> None:
    """Twilio certainly did not act (429, refused connection): send again later, backing off."""
    item = _sending(session, item_id)
    if item is None:
        return
    if item.attempts >= MAX_ATTEMPTS:
        _finish(item, OutboxStatus.FAILED, code, now)
        return
    item.status = OutboxStatus.PENDING
    item.due_at = now + backoff(item.attempts)
    item.error_code, item.claim_expires_at = code, None


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts, 1) * 5, 1800))


def record_failed(session: Session, item_id: int, code: int | None, now: datetime) -> None:
    item = _sending(session, item_id)
    if item is not None:
        _finish(item, OutboxStatus.FAILED, code, now)


def record_skipped(session: Session, item_id: int, now: datetime) -> None:
    item = _sending(session, item_id)
    if item is not None:
        _finish(item, OutboxStatus.SKIPPED, None, now)


def record_unknown(session: Session, item_id: int, now: datetime) -> None:
    """The request may have reached Twilio: never resend blind, look first."""
    item = _sending(session, item_id)
    if item is not None:
        _to_unknown(item, now)


def postpone(session: Session, item_id: int, until: datetime) -> None:
    """Claimed but not to be sent yet (quiet hours): back to pending at ``until``."""
    item = _sending(session, item_id)
    if item is not None:
        item.status, item.due_at, item.claim_expires_at = OutboxStatus.PENDING, until, None
        item.attempts -= 1  # a postponement is not an attempt


def expire_claims(session: Session, now: datetime) -> int:
    """Claims past their lease: a sending row's worker died mid-request (unknown); a queued
    row's job was lost with Redis (pending again). Served by ``ix_outbox_claim``."""
    stale = session.scalars(
        select(OutboxItem)
        .where(
            OutboxItem.status.in_((OutboxStatus.SENDING, OutboxStatus.QUEUED)),
            OutboxItem.claim_expires_at < now,
        )
        .with_for_update(skip_locked=True)
    ).all()
    for item in stale:
        if item.status is OutboxStatus.SENDING:
            _to_unknown(item, now)
        else:
            item.status, item.claim_expires_at = OutboxStatus.PENDING, None
    return len(stale)


def checks_due(session: Session, status: OutboxStatus, now: datetime, limit: int) -> list[int]:
    """Unknown rows to reconcile, or sent rows to poll (``ix_outbox_check``)."""
    return list(
        session.scalars(
            select(OutboxItem.id)
            .where(OutboxItem.status == status, OutboxItem.next_check_at <= now)
            .order_by(OutboxItem.next_check_at)
            .limit(limit)
        )
    )


def _to_unknown(item: OutboxItem, now: datetime) -> None:
    item.status, item.claim_expires_at = OutboxStatus.UNKNOWN, None
    item.next_check_at = now + round_wait(item.reconcile_checks // CHECKS_PER_ROUND)


def round_wait(rounds_done: int) -> timedelta:
    """Before the first look of a round: none for the first, then 1, 2, 4 … minutes (at most
    ``MAX_ROUND_WAIT``), so a Twilio failing again and again is not asked ever faster."""
    if rounds_done <= 0:
        return timedelta(0)
    return min(RECHECK_AFTER * 2 ** min(rounds_done - 1, 16), MAX_ROUND_WAIT)


def _sending(session: Session, item_id: int) -> OutboxItem | None:
    item = session.get(OutboxItem, item_id, with_for_update=True)
    return item if item is not None and item.status is OutboxStatus.SENDING else None


def _finish(item: OutboxItem, status: OutboxStatus, code: int | None, now: datetime) -> None:
    item.status, item.error_code, item.final_at = status, code, now
    item.claim_expires_at = item.next_check_at = None


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def withdraw_automated(session: Session, member_id: int) -> int:
    """Withdraw a member's reminders, notices and broadcasts not yet handed to a worker (after
    they asked to stop everything); replies already on their way still go."""
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
        return item.purpose in NOT_AUTOMATED or item.purpose is OutboxPurpose.STAFF
    return members.has_consent(session, item.recipient, needed, secret)


def _sms_refused(session: Session, recipient: str) -> bool:
    member = members.find(session, recipient)
    return member is not None and member.sms_status in _SMS_REFUSED


def zone_of(session: Session, item: OutboxItem, fallback: ZoneInfo) -> ZoneInfo:
    """The zone a row's recipient lives in (SPEC §9): a facilitator's or coordinator's own
    ``timezone``; anyone else's by the member's ZIP, then the number, then ``fallback``."""
    if item.facilitator_id is not None:
        person = session.get(Facilitator, item.facilitator_id)
        return quiet_hours.zone_named(person.timezone if person else None, fallback)
    if item.coordinator_id is not None:
        boss = session.get(Coordinator, item.coordinator_id)
        return quiet_hours.zone_named(boss.timezone if boss else None, fallback)
    member = session.get(Member, item.member_id) if item.member_id is not None else None
    return quiet_hours.recipient_zone(item.recipient, member.zip if member else None, fallback)
