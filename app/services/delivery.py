"""Delivery status of outbox rows (SPEC §9): status callbacks and polling land here.

Status never moves backwards, and a final status (delivered, undelivered, failed) is never
changed. Callbacks are idempotent and find their row by the outbox id in the callback URL, so
one that arrives before the dispatcher stored the SID still lands (and stores the SID).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import FINAL_OUTBOX_STATES, OutboxItem, OutboxStatus

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
        changed = True
    return changed


def parse_error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
