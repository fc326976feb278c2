"""Schedules (SPEC §5): an RFC 5545 RRULE whose DTSTART is ``starts_on`` at ``start_time`` in
the group's zone, and the meetings that are its occurrences.

Occurrences are computed on local wall-clock time and only then given the zone, so a 6:30 PM
meeting stays 6:30 PM local on both sides of a daylight-saving change (its UTC instant moves).
Each meeting is named by its original local date (like RECURRENCE-ID), which is what lets a
cancellation or a move survive re-imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Group, Meeting, MeetingStatus, Rsvp, RsvpStatus

# How far ahead meetings exist as rows: long enough that a monthly group always has a next
# meeting to offer and reminders (at most days ahead) can be planned.
HORIZON = timedelta(days=120)
# A horizon that has shrunk below this is extended by the daily sweep task.
REFILL_BELOW = timedelta(days=106)

_ALLOWED_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "BYYEARDAY",
    "BYWEEKNO",
    "WKST",
}
# The time of day comes from start_time; sub-daily rules would give one date two meetings.
_FORBIDDEN_PARTS = {"DTSTART", "BYHOUR", "BYMINUTE", "BYSECOND", "RRULE"}
_FREQUENCIES = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_UNTIL_DATE = re.compile(r"\d{8}")


class ScheduleError(ValueError):
    """The RRULE text is not one this line accepts; the message says why, for the importer."""


@dataclass(frozen=True)
class Slot:
    """What a schedule needs, whether it comes from a file entry or a stored group."""

    timezone: str
    starts_on: date
    schedule: str
    start_time: time
    duration_minutes: int


def slot_of(group: Group) -> Slot:
    return Slot(
        group.timezone, group.starts_on, group.schedule, group.start_time, group.duration_minutes
    )


def check_rule(text: str) -> None:
    """Raise ScheduleError when ``text`` is not an acceptable RRULE."""
    parts = _parts(text)
    for name in parts:
        if name in _FORBIDDEN_PARTS:
            raise ScheduleError(f"{name} is not allowed here (the time comes from start_time)")
        if name not in _ALLOWED_PARTS:
            raise ScheduleError(f"{name} is not an RRULE part this line understands")
    if parts.get("FREQ") not in _FREQUENCIES:
        raise ScheduleError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "UNTIL" in parts and not _UNTIL_DATE.fullmatch(parts["UNTIL"]):
        raise ScheduleError("UNTIL must be a date, YYYYMMDD")
    _rule(text, datetime(2026, 1, 1, 12, 0))


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for piece in text.strip().split(";"):
        name, sep, value = piece.partition("=")
        if not sep or not name.strip():
            raise ScheduleError("write it as NAME=VALUE pairs separated by ;")
        parts[name.strip().upper()] = value.strip()
    return parts


def _rule(text: str, dtstart: datetime) -> rrule:
    # An UNTIL date includes its whole day (RFC 5545), so compare with the day's last second.
    normalised = re.sub(r"UNTIL=(\d{8})(?=;|$)", r"UNTIL=\1T235959", text.strip(), flags=re.I)
    try:
        rule = rrulestr(normalised, dtstart=dtstart)
    except (ValueError, TypeError) as error:
        raise ScheduleError(str(error)) from None
    if not isinstance(rule, rrule):
        raise ScheduleError("write one RRULE")
    return rule


def local_dates(slot: Slot, first: date, last: date) -> list[date]:
    """The original dates of the occurrences between ``first`` and ``last``, inclusive."""
    dtstart = datetime.combine(slot.starts_on, slot.start_time)
    rule = _rule(slot.schedule, dtstart)
    start = datetime.combine(max(first, slot.starts_on), time.min)
    end = datetime.combine(last, time.max)
    return [moment.date() for moment in rule.between(start, end, inc=True)]


def start_of(slot: Slot, original_date: date) -> datetime:
    """The UTC instant of an occurrence: its local date and start time in the group's zone."""
    local = datetime.combine(original_date, slot.start_time, tzinfo=ZoneInfo(slot.timezone))
    # A start inside a spring-forward gap (2:30 AM that night) does not exist on the wall clock;
    # normalising through UTC gives the instant the clocks show as 3:30 AM.
    return local.astimezone(UTC)


def today_in(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


@dataclass
class Changes:
    """What one materialisation did, for reports and for notices."""

    created: int = 0
    retimed: int = 0
    deleted: int = 0
    notices: int = 0
    # Future occurrences the schedule no longer has, while members hold RSVPs to them.
    removed_with_rsvps: list[Meeting] = field(default_factory=list)
    # Future occurrences given a new time (start_time changed), with their old start.
    retimed_with_rsvps: list[tuple[Meeting, datetime]] = field(default_factory=list)


def materialise(session: Session, group: Group, now: datetime) -> Changes:
    """Make the group's future meetings match its schedule up to the horizon.

    Meetings that have started are history and never touched. A future occurrence that the
    schedule no longer has is deleted, or, when it has live RSVPs, returned in
    ``removed_with_rsvps`` for the caller to cancel with notices. Cancelled and moved meetings
    keep their state: they are the coordinator's word about that occurrence.
    """
    slot = slot_of(group)
    changes = Changes()
    future = _future_meetings(session, group, now)
    rule_dates = _rule_dates(slot, now, future)
    for meeting in future:
        _reconcile(session, slot, meeting, rule_dates, changes)
    taken = _taken_dates(session, group, min(rule_dates, default=None))
    for original_date in sorted(rule_dates - taken):
        if start_of(slot, original_date) > now:
            session.add(_new_meeting(group, slot, original_date))
            changes.created += 1
    session.flush()
    return changes


def _rule_dates(slot: Slot, now: datetime, future: list[Meeting]) -> set[date]:
    # From yesterday (or the earliest original date of a meeting moved later) to the horizon.
    today = today_in(slot.timezone, now)
    first = min([today - timedelta(days=1), *(m.original_date for m in future)])
    last = max([today + HORIZON, *(m.original_date for m in future)])
    return set(local_dates(slot, first, last))


def _future_meetings(session: Session, group: Group, now: datetime) -> list[Meeting]:
    return list(
        session.scalars(
            select(Meeting).where(Meeting.group_id == group.id, Meeting.starts_at > now)
        )
    )


def _taken_dates(session: Session, group: Group, first: date | None) -> set[date]:
    if first is None:
        return set()
    rows = session.scalars(
        select(Meeting.original_date).where(
            Meeting.group_id == group.id, Meeting.original_date >= first
        )
    )
    return set(rows)


def _reconcile(
    session: Session, slot: Slot, meeting: Meeting, rule_dates: set[date], changes: Changes
) -> None:
    if meeting.original_date not in rule_dates:
        _remove(session, meeting, changes)
        return
    if meeting.moved or meeting.status is MeetingStatus.CANCELLED:
        meeting.ends_at = meeting.starts_at + timedelta(minutes=slot.duration_minutes)
        return
    starts_at = start_of(slot, meeting.original_date)
    if meeting.starts_at != starts_at:
        changes.retimed += 1
        if _has_live_rsvps(session, meeting):
            changes.retimed_with_rsvps.append((meeting, meeting.starts_at))
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + timedelta(minutes=slot.duration_minutes)


def _remove(session: Session, meeting: Meeting, changes: Changes) -> None:
    if meeting.status is MeetingStatus.SCHEDULED and _has_live_rsvps(session, meeting):
        changes.removed_with_rsvps.append(meeting)
        return
    if not _has_any_rsvps(session, meeting):
        session.delete(meeting)
        changes.deleted += 1
    elif meeting.status is MeetingStatus.SCHEDULED:
        # Only cancelled RSVPs keep the row (as their history); it must not stay bookable.
        meeting.status = MeetingStatus.CANCELLED
        meeting.changed_at = utcnow()


def _has_live_rsvps(session: Session, meeting: Meeting) -> bool:
    return (
        session.scalar(
            select(Rsvp.id)
            .where(Rsvp.meeting_id == meeting.id, Rsvp.status != RsvpStatus.CANCELLED)
            .limit(1)
        )
        is not None
    )


def _has_any_rsvps(session: Session, meeting: Meeting) -> bool:
    return session.scalar(select(Rsvp.id).where(Rsvp.meeting_id == meeting.id).limit(1)) is not None


def _new_meeting(group: Group, slot: Slot, original_date: date) -> Meeting:
    starts_at = start_of(slot, original_date)
    return Meeting(
        group_id=group.id,
        original_date=original_date,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=slot.duration_minutes),
        status=MeetingStatus.SCHEDULED,
    )


def extend_horizon(session: Session, now: datetime) -> int:
    """The sweep's task: groups whose last meeting row is nearer than ``REFILL_BELOW`` get
    their meetings materialised up to the horizon again. Returns the meetings created."""
    last = (
        select(Meeting.group_id, func.max(Meeting.starts_at).label("last"))
        .group_by(Meeting.group_id)
        .subquery()
    )
    short = session.scalars(
        select(Group)
        .outerjoin(last, last.c.group_id == Group.id)
        .where(Group.active.is_(True), or_(last.c.last.is_(None), last.c.last < now + REFILL_BELOW))
    )
    created = 0
    for group in list(short):
        try:
            with session.begin_nested():
                created += materialise(session, group, now).created
        except IntegrityError:
            continue  # another worker's sweep made the same rows a moment ago
    return created
