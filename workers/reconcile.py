"""Resolving ``unknown`` rows and polling unfinished ones against Twilio (SPEC §9).

An unknown row's request may or may not have reached Twilio. We list what Twilio holds for that
number (never by ``DateSent``: a text Twilio still holds queued has none) and look for one
created since the claim with the row's body: found, the SID is recorded and nothing is resent.
Not found twice, 60 s apart, the row is sent again. A resend that comes back unknown starts
another round of two looks, each round later than the one before (``outbox.round_wait``), until
the text is found or sent, or until sending it no longer makes sense (``resend_deadline``: a
reminder once its meeting starts, a notice past its deadline, anything else 24 hours on). Only
then is the row left unresolved: no further checks, counted in a broadcast's delivery report,
and noted for coordinators on the console.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gateway import CallRecord, Gateway, GatewayError, MessageRecord
from app.models import (
    Broadcast,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
    StaffNoticeKind,
)
from app.services import delivery, notices, outbox, staff, verification

# Twilio's dates have whole seconds: a message created in the claim's second must still match.
CLOCK_SLACK = timedelta(seconds=2)
# How long a text that is not tied to a meeting is still worth sending (a broadcast, a reply).
WORTH_SENDING = timedelta(hours=24)


def check(session: Session, gateway: Gateway, item: OutboxItem, now: datetime) -> None:
    try:
        found = _find(session, gateway, item)
    except GatewayError:  # Twilio unreachable: look later, unless it is too late to resend
        if now >= resend_deadline(session, item):
            _give_up(session, item, now)
        else:
            item.next_check_at = now + outbox.RECHECK_AFTER
        return
    if found is not None:
        _found(session, item, found, now)
        return
    item.reconcile_checks += 1
    if item.reconcile_checks % outbox.CHECKS_PER_ROUND:
        item.next_check_at = now + outbox.RECHECK_AFTER
    elif now >= resend_deadline(session, item):
        _give_up(session, item, now)
    else:  # not found twice, 60 s apart: send it again
        item.status, item.due_at, item.next_check_at = OutboxStatus.PENDING, now, None


def poll(session: Session, gateway: Gateway, item: OutboxItem, now: datetime) -> None:
    assert item.twilio_sid is not None
    try:
        status, code = _fetch_status(gateway, item.kind, item.twilio_sid)
    except GatewayError:
        return
    if status is not None:
        delivery.apply(session, delivery.StatusReport(item.id, item.twilio_sid, status, code), now)


def is_unresolved(item: OutboxItem) -> bool:
    return item.status is OutboxStatus.UNKNOWN and item.next_check_at is None


def resend_deadline(session: Session, item: OutboxItem) -> datetime:
    """After this, sending the row again makes no sense: a reminder once its meeting starts; a
    cancel or move notice past its deadline; anything else ``WORTH_SENDING`` after it was meant
    to go (a broadcast from its send time)."""
    if item.purpose is OutboxPurpose.REMINDER and item.rsvp_id is not None:
        rsvp = session.get(Rsvp, item.rsvp_id)
        if rsvp is not None:
            return rsvp.meeting.starts_at
    if item.purpose is OutboxPurpose.NOTICE:
        deadline = notices.deadline(session, item)
        if deadline is not None:
            return deadline
    broadcast = session.get(Broadcast, item.broadcast_id) if item.broadcast_id else None
    return (broadcast.send_at if broadcast else item.created_at) + WORTH_SENDING


def _give_up(session: Session, item: OutboxItem, now: datetime) -> None:
    """Unresolved: never looked up or sent again; coordinators see it (a broadcast's rows once
    per broadcast, beside its delivery report's count)."""
    item.next_check_at = None
    key = f"b{item.broadcast_id}" if item.broadcast_id else str(item.id)
    staff.note(
        session,
        StaffNoticeKind.UNCONFIRMED,
        f"unconfirmed:{key}",
        now=now,
        member_id=None if item.broadcast_id else item.member_id,
        broadcast_id=item.broadcast_id,
    )


def _find(session: Session, gateway: Gateway, item: OutboxItem) -> str | None:
    assert item.claimed_at is not None
    since = item.claimed_at - CLOCK_SLACK
    taken = _sids_on_other_rows(session, item, since)
    if item.kind is OutboxKind.SMS:
        records = gateway.list_messages(item.recipient, created_after=since)
        return _matching_message(records, item, since, taken)
    return _matching_call(gateway.list_calls(item.recipient, since), since, taken)


def _matching_message(
    records: list[MessageRecord], item: OutboxItem, since: datetime, taken: set[str]
) -> str | None:
    for record in records:
        created = record.date_created
        ours = record.sid not in taken and record.direction.startswith("outbound")
        same = _as_kept(item, record.body) == item.body
        if ours and same and created is not None and created >= since:
            return record.sid
    return None


def _as_kept(item: OutboxItem, body: str) -> str:
    """A message's body as the row keeps it: a code text keeps its code hidden (review L7)."""
    return verification.hide_code(body) if item.template in verification.CODE_TEMPLATES else body


def _matching_call(records: list[CallRecord], since: datetime, taken: set[str]) -> str | None:
    for record in records:
        if record.sid not in taken and record.direction.startswith("outbound"):
            return record.sid
    return None


def _sids_on_other_rows(session: Session, item: OutboxItem, since: datetime) -> set[str]:
    """SIDs already owned by other rows to this number (two rows may carry the same text)."""
    rows = session.scalars(
        select(OutboxItem.twilio_sid).where(
            OutboxItem.recipient == item.recipient,
            OutboxItem.id != item.id,
            OutboxItem.twilio_sid.is_not(None),
            OutboxItem.claimed_at >= since - timedelta(days=1),
        )
    )
    return {sid for sid in rows if sid}


def _found(session: Session, item: OutboxItem, sid: str, now: datetime) -> None:
    item.twilio_sid = sid
    item.status, item.sent_at = OutboxStatus.SENT, item.sent_at or now
    item.next_check_at = now + outbox.POLL_AFTER


def _fetch_status(
    gateway: Gateway, kind: OutboxKind, sid: str
) -> tuple[OutboxStatus | None, int | None]:
    if kind is OutboxKind.SMS:
        message = gateway.fetch_message(sid)
        return delivery.MESSAGE_STATUS.get(message.status), message.error_code
    call = gateway.fetch_call(sid)
    return delivery.CALL_STATUS.get(call.status), None
