"""RSVPs with capacity and a waitlist (SPEC §9 waitlist).

Seats are counted under a lock on the meeting row (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite every transaction already holds the write lock from its start, see ``app.db``), so twenty
requests for the last three seats give exactly three seats and seventeen waitlist places.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.db import utcnow
from app.models import (
    Meeting,
    MeetingStatus,
    Member,
    OutboxItem,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from app.services import notices

# No waitlist promotion later than this before the start (SPEC §9).
PROMOTION_CUTOFF = timedelta(hours=2)
_WITHDRAWABLE = (OutboxStatus.PENDING, OutboxStatus.QUEUED)


class RsvpRefused(Exception):
    """The meeting cannot take an RSVP: cancelled, or already started."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RsvpOutcome:
    rsvp: Rsvp
    waitlist_position: int | None  # None when the member has a seat
    already: bool  # the member had this RSVP before this request


def seats_of(meeting: Meeting) -> int | None:
    """The capacity of one meeting: its own if set, else its group's; None is unlimited."""
    return meeting.capacity if meeting.capacity is not None else meeting.group.capacity


def create(
    session: Session, member: Member, meeting_id: int, source: str, now: datetime | None = None
) -> RsvpOutcome:
    now = now or utcnow()
    meeting = _lock_meeting(session, meeting_id)
    if meeting.status is MeetingStatus.CANCELLED:
        raise RsvpRefused("cancelled")
    if meeting.starts_at <= now:
        raise RsvpRefused("started")
    existing = _live_rsvp(session, member.id, meeting.id)
    if existing is not None:
        return RsvpOutcome(existing, waitlist_position(session, existing), already=True)
    capacity = seats_of(meeting)
    full = capacity is not None and _count(session, meeting.id, RsvpStatus.CONFIRMED) >= capacity
    rsvp = Rsvp(
        member_id=member.id,
        meeting_id=meeting.id,
        status=RsvpStatus.WAITLISTED if full else RsvpStatus.CONFIRMED,
        source=source,
        created_at=now,
    )
    session.add(rsvp)
    session.flush()
    return RsvpOutcome(rsvp, waitlist_position(session, rsvp), already=False)


def cancel(session: Session, rsvp_id: int, now: datetime | None = None) -> Rsvp | None:
    """Cancel an RSVP, withdraw its pending reminders, and move the waitlist up if a seat
    freed. Returns the RSVP promoted into the freed seat, if any."""
    now = now or utcnow()
    rsvp = session.get(Rsvp, rsvp_id)
    if rsvp is None or rsvp.status is RsvpStatus.CANCELLED:
        return None
    meeting = _lock_meeting(session, rsvp.meeting_id)
    had_seat = rsvp.status is RsvpStatus.CONFIRMED
    rsvp.status = RsvpStatus.CANCELLED
    rsvp.cancelled_at = now
    withdraw_pending_sends(session, rsvp.id)
    session.flush()
    return promote_next(session, meeting, now) if had_seat else None


def promote_next(session: Session, meeting: Meeting, now: datetime) -> Rsvp | None:
    """Give a free seat to the first on the waitlist, unless the meeting is under two hours
    away (too late to plan on). The caller holds the meeting lock."""
    if meeting.starts_at - now < PROMOTION_CUTOFF:
        return None
    capacity = seats_of(meeting)
    if capacity is not None and _count(session, meeting.id, RsvpStatus.CONFIRMED) >= capacity:
        return None
    first = session.scalar(
        select(Rsvp)
        .where(Rsvp.meeting_id == meeting.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .order_by(Rsvp.created_at, Rsvp.id)
        .limit(1)
    )
    if first is not None:
        first.status = RsvpStatus.CONFIRMED
        first.promoted_at = now
        session.flush()
        notices.promoted(session, first, now)
    return first


def seats_taken(session: Session, meeting_id: int) -> int:
    """Confirmed RSVPs of a meeting, counted under its lock (the caller's transaction holds it)."""
    _lock_meeting(session, meeting_id)
    return _count(session, meeting_id, RsvpStatus.CONFIRMED)


def fill_free_seats(session: Session, meeting_id: int, now: datetime) -> list[Rsvp]:
    """Capacity grew: the waitlist moves up into every free seat, in order, each member told
    as any promotion is told (``promote_next``)."""
    meeting = _lock_meeting(session, meeting_id)
    promoted: list[Rsvp] = []
    while (moved := promote_next(session, meeting, now)) is not None:
        promoted.append(moved)
    return promoted


def newcomer_position(session: Session, meeting: Meeting) -> int | None:
    """What a new RSVP to this meeting would get now, as ``create`` decides it: None for a
    seat, else its place on the waitlist."""
    capacity = seats_of(meeting)
    if capacity is None or _count(session, meeting.id, RsvpStatus.CONFIRMED) < capacity:
        return None
    return _count(session, meeting.id, RsvpStatus.WAITLISTED) + 1


def waitlist_position(session: Session, rsvp: Rsvp) -> int | None:
    if rsvp.status is not RsvpStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Rsvp)
        .where(
            Rsvp.meeting_id == rsvp.meeting_id,
            Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.created_at < rsvp.created_at)
            | ((Rsvp.created_at == rsvp.created_at) & (Rsvp.id < rsvp.id)),
        )
    )
    return int(ahead or 0) + 1


def withdraw_pending_sends(session: Session, rsvp_id: int) -> int:
    """Reminders not yet handed to Twilio are withdrawn; returns how many."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.rsvp_id == rsvp_id, OutboxItem.status.in_(_WITHDRAWABLE))
        .values(status=OutboxStatus.CANCELLED, final_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def upcoming_for(session: Session, member_id: int, now: datetime | None = None) -> list[Rsvp]:
    now = now or utcnow()
    return list(
        session.scalars(
            select(Rsvp)
            .join(Meeting)
            .options(joinedload(Rsvp.meeting).joinedload(Meeting.group))
            .where(
                Rsvp.member_id == member_id,
                Rsvp.status != RsvpStatus.CANCELLED,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.ends_at > now,
            )
            .order_by(Meeting.starts_at)
        )
    )


def _lock_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.scalar(
        select(Meeting)
        .where(Meeting.id == meeting_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if meeting is None:
        raise RsvpRefused("unknown")
    return meeting


def _live_rsvp(session: Session, member_id: int, meeting_id: int) -> Rsvp | None:
    return session.scalar(
        select(Rsvp).where(
            Rsvp.member_id == member_id,
            Rsvp.meeting_id == meeting_id,
            Rsvp.status != RsvpStatus.CANCELLED,
        )
    )


def _count(session: Session, meeting_id: int, status: RsvpStatus) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Rsvp)
            .where(Rsvp.meeting_id == meeting_id, Rsvp.status == status)
        )
        or 0
    )
