"""Notices by a meeting's change and the waitlist (SPEC §9): the late-notice exception to quiet
hours, and the member moved up from the waitlist.

A cancel or move notice that quiet hours would hold until after the meeting starts goes out at
once if the change was made before quiet hours began (and the worker reaches it within an hour
of the change); if it was made inside them, or reached later, it goes at
08:00 local when that is still before the start, and otherwise coordinators see who could not be
told in time (``StaffNoticeKind.LATE_NOTICE``). A notice's deadline is the meeting's start, or
for a move the earlier of the old and new starts (``params["deadline"]``, ISO 8601).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import segments
from app.config import QuietHours
from app.models import (
    Meeting,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    ReminderChannel,
    Rsvp,
    StaffNoticeKind,
)
from app.prompts import Catalog
from app.services import outbox, quiet_hours, reminders, staff
from app.services.outbox import Outgoing

PROMOTED_TEMPLATE = "waitlist.promoted"
CONSENT_TEMPLATE = "waitlist.notice_consent"
MORNING = time(8, 0)
# "At once" is for a change just made before quiet hours. A notice a worker reaches later than
# this (an outage, a backlog) is past "at once": it takes the 08:00 rule like a change made at
# night, so nobody's phone rings at 2 AM for a change made in the afternoon.
GRACE = timedelta(hours=1)


def late_notice_time(
    session: Session,
    item: OutboxItem,
    zone: ZoneInfo,
    window: QuietHours,
    now: datetime,
    later: datetime,
) -> datetime:
    """When a notice held by quiet hours until ``later`` goes out (see the module)."""
    cutoff = deadline(session, item)
    if cutoff is None or later < cutoff:
        return later
    if not quiet_hours.is_quiet(item.created_at, zone, window) and now - item.created_at <= GRACE:
        return now
    morning = max(next_morning(now, zone), now)
    if morning < cutoff:
        return morning
    _tell_staff_late(session, item)
    return later


def next_morning(now: datetime, zone: ZoneInfo) -> datetime:
    """08:00 local on the morning ahead; ``now`` itself once it is past 08:00 (before noon)."""
    local = now.astimezone(zone)
    if local.time() < MORNING:
        return quiet_hours.wall_clock(local.date(), MORNING, zone)
    if local.hour < 12:
        return now
    return quiet_hours.wall_clock(local.date() + timedelta(days=1), MORNING, zone)


def deadline(session: Session, item: OutboxItem) -> datetime | None:
    """When a notice stops being worth sending: the meeting's start (for a move, the earlier
    of the old and new starts)."""
    rsvp = session.get(Rsvp, item.rsvp_id) if item.rsvp_id is not None else None
    starts = [rsvp.meeting.starts_at] if rsvp is not None else []
    raw = item.params.get("deadline")
    if isinstance(raw, str):
        starts.append(datetime.fromisoformat(raw))
    return min(starts) if starts else None


def _tell_staff_late(session: Session, item: OutboxItem) -> None:
    rsvp = session.get(Rsvp, item.rsvp_id) if item.rsvp_id is not None else None
    staff.note(
        session,
        StaffNoticeKind.LATE_NOTICE,
        f"late_notice:{item.id}",
        member_id=item.member_id,
        meeting_id=rsvp.meeting_id if rsvp else None,
        group_id=rsvp.meeting.group_id if rsvp else None,
    )


def promoted(session: Session, rsvp: Rsvp, now: datetime) -> OutboxItem:
    """Tell a member moved up from the waitlist, by their channel; the wording's details are
    filled in when it is sent (``fill``)."""
    member = rsvp.member
    call = member.reminder_channel is ReminderChannel.CALL
    return outbox.enqueue(
        session,
        Outgoing(
            kind=OutboxKind.CALL if call else OutboxKind.SMS,
            purpose=OutboxPurpose.NOTICE,
            recipient=member.phone,
            template=PROMOTED_TEMPLATE,
            language=member.language or "en",
            params={"deadline": rsvp.meeting.starts_at.isoformat()},
            due_at=now,
            member_id=member.id,
            rsvp_id=rsvp.id,
            dedupe_key=f"notice:{rsvp.id}:promoted",
        ),
    )


def with_consent_wording(session: Session, item: OutboxItem, catalog: Catalog, body: str) -> str:
    """The first notice text to a number also says what it will get, rates and STOP (SPEC §9):
    a member who RSVPed by phone has not read it anywhere before."""
    if item.template == CONSENT_TEMPLATE or item.kind is not OutboxKind.SMS:
        return body
    if _earlier_notice_text(session, item):
        return body
    together = f"{body} {catalog.template(item.language, CONSENT_TEMPLATE)}"
    if segments.fits(together, item.language):
        return together
    _consent_follows(session, item)  # too long together (accents make Spanish UCS-2)
    return body


def _consent_follows(session: Session, item: OutboxItem) -> None:
    outbox.enqueue(
        session,
        Outgoing(
            kind=OutboxKind.SMS,
            purpose=OutboxPurpose.NOTICE,
            recipient=item.recipient,
            template=CONSENT_TEMPLATE,
            language=item.language,
            member_id=item.member_id,
            dedupe_key=f"notice:{item.id}:consent",
        ),
    )


def _earlier_notice_text(session: Session, item: OutboxItem) -> bool:
    return (
        session.scalar(
            select(OutboxItem.id)
            .where(
                OutboxItem.recipient == item.recipient,
                OutboxItem.kind == OutboxKind.SMS,
                OutboxItem.purpose == OutboxPurpose.NOTICE,
                OutboxItem.sent_at.is_not(None),
                OutboxItem.id != item.id,
            )
            .limit(1)
        )
        is not None
    )


def fill(session: Session, item: OutboxItem, catalog: Catalog) -> None:
    """Details read when the notice goes: where and when the seat is."""
    if item.template != PROMOTED_TEMPLATE or item.rsvp_id is None:
        return
    rsvp = session.get(Rsvp, item.rsvp_id)
    if rsvp is not None:
        meeting: Meeting = rsvp.meeting
        if not catalog.has(item.language):
            item.language = "en"
        by_call = item.kind is OutboxKind.CALL
        said = reminders.details(meeting, catalog, item.language, by_call)
        item.params = {**item.params, **said}
