"""Resolving ``unknown`` rows and polling unfinished ones against Twilio (SPEC §9).

An unknown row's request may or may not have reached Twilio. We list what Twilio holds for that
number since the claim and look for the body: found, the SID is recorded and nothing is resent;
not found twice, 60 s apart, the row is resent once. A row that comes back unknown after that
resend stays unknown and unresolved (no further checks): reported (a broadcast's delivery report
counts it), never resent again, because a duplicate is worse than a gap a coordinator can see.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.gateway import CallRecord, Gateway, GatewayError, MessageRecord
from app.models import OutboxItem, OutboxKind, OutboxStatus
from app.services import delivery, outbox

# Twilio's dates have whole seconds: a message created in the claim's second must still match.
CLOCK_SLACK = timedelta(seconds=2)


def check(session: Session, gateway: Gateway, item: OutboxItem, now: datetime) -> None:
    try:
        found = _find(session, gateway, item)
    except GatewayError:
        item.next_check_at = now + outbox.RECHECK_AFTER  # Twilio unreachable: look later
        return
    if found is not None:
        _found(session, item, found, now)
        return
    item.reconcile_checks += 1
    if item.reconcile_checks % outbox.CHECKS_PER_ROUND:
        item.next_check_at = now + outbox.RECHECK_AFTER
    elif item.reconcile_checks > outbox.CHECKS_PER_ROUND:
        item.next_check_at = None  # unresolved after its one resend: reported, never resent
    else:
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


def _find(session: Session, gateway: Gateway, item: OutboxItem) -> str | None:
    assert item.claimed_at is not None
    since = item.claimed_at - CLOCK_SLACK
    taken = _sids_on_other_rows(session, item, since)
    if item.kind is OutboxKind.SMS:
        return _matching_message(gateway.list_messages(item.recipient, since), item, since, taken)
    return _matching_call(gateway.list_calls(item.recipient, since), since, taken)


def _matching_message(
    records: list[MessageRecord], item: OutboxItem, since: datetime, taken: set[str]
) -> str | None:
    for record in records:
        created = record.date_created or record.date_sent
        ours = record.sid not in taken and record.direction.startswith("outbound")
        if ours and record.body == item.body and created is not None and created >= since:
            return record.sid
    return None


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
