"""Finding groups by ZIP (SPEC §11), for voice, SMS and the console alike.

Order: in-person groups within a radius that widens 10 → 25 → 50 miles until three are found,
the caller's language first, then the soonest start (a meeting that began up to 15 minutes ago
still counts: a latecomer is welcome), then distance; then groups that meet by phone (and video
groups with a dial-in), the caller's language first. Voice never offers a video group without
a dial-in. Groups not verified for 180 days, and inactive ones, are left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, object_session

from app.models import Group, GroupFormat, Meeting, MeetingStatus
from app.services import zips

RADII_MILES = (10.0, 25.0, 50.0)
ENOUGH_NEARBY = 3
LATE_ARRIVAL = timedelta(minutes=15)
STALE_AFTER = timedelta(days=180)
# One degree of latitude is about 69 miles: a cheap box before the exact distance.
_MILES_PER_DEGREE = 69.0

Channel = Literal["voice", "sms"]
Day = Literal["today", "tomorrow", "weekend"]


@dataclass(frozen=True)
class Result:
    group: Group
    meeting: Meeting | None  # the next meeting: not started, or started at most 15 min ago
    distance_miles: float | None  # None for groups that do not meet in person


@dataclass(frozen=True)
class SearchOutcome:
    zip_known: bool
    results: list[Result]
    in_person_found: bool


def find_groups(
    session: Session, zip_code: str, language: str, now: datetime, channel: Channel
) -> SearchOutcome:
    place = zips.locate(zip_code)
    if place is None:
        return SearchOutcome(zip_known=False, results=[], in_person_found=False)
    nearby = _in_person(session, (place.latitude, place.longitude), now)
    remote = _remote(session, now, channel)
    meetings = next_meetings(session, [g for g, _ in nearby] + remote, now)
    in_person = [Result(g, meetings.get(g.id), miles) for g, miles in nearby]
    by_phone = [Result(g, meetings.get(g.id), None) for g in remote]
    ordered = _order_in_person(in_person, language) + _order_remote(by_phone, language)
    return SearchOutcome(zip_known=True, results=ordered, in_person_found=bool(in_person))


def next_meeting(session: Session, group: Group, now: datetime) -> Meeting | None:
    """One group's next meeting (as ``next_meetings``), by the plain index-ordered query."""
    return session.scalar(
        select(Meeting)
        .where(*_upcoming([group], now))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def topics_in(results: list[Result], limit: int = 4) -> list[str]:
    """The topics most common in the results; ties in order of first appearance."""
    counts = Counter(topic for result in results for topic in result.group.topics)
    return [topic for topic, _ in counts.most_common(limit)]


def with_topic(results: list[Result], topic: str) -> list[Result]:
    return [result for result in results if topic in result.group.topics]


def on_day(results: list[Result], day: Day, now: datetime, zone: ZoneInfo) -> list[Result]:
    """The results that meet on that day in the caller's zone, each with that day's meeting
    (which need not be its next one: a group meeting today and tomorrow is found for both)."""
    days = _days(day, now.astimezone(zone).date())
    found = []
    for result in results:
        meeting = _meeting_on(result, days, now, zone)
        if meeting is not None:
            found.append(replace(result, meeting=meeting))
    return found


def is_stale(group: Group, now: datetime) -> bool:
    return group.last_verified < _stale_before(now)


# --------------------------------------------------------------------------- candidates


def _stale_before(now: datetime) -> date:
    return (now - STALE_AFTER).date()


def _listed(now: datetime) -> list[ColumnElement[bool]]:
    return [Group.active.is_(True), Group.last_verified >= _stale_before(now)]


def _in_person(
    session: Session, origin: tuple[float, float], now: datetime
) -> list[tuple[Group, float]]:
    reach = RADII_MILES[-1] / _MILES_PER_DEGREE
    box = session.scalars(
        select(Group).where(
            *_listed(now),
            Group.format == GroupFormat.IN_PERSON,
            Group.latitude.between(origin[0] - reach, origin[0] + reach),
        )
    )
    measured = [(g, _miles(origin, g)) for g in box if g.latitude is not None]
    return _within_widening_radius(measured)


def _miles(origin: tuple[float, float], group: Group) -> float:
    return zips.miles_between(origin, (group.latitude or 0.0, group.longitude or 0.0))


def _within_widening_radius(measured: list[tuple[Group, float]]) -> list[tuple[Group, float]]:
    for radius in RADII_MILES:
        inside = [(g, miles) for g, miles in measured if miles <= radius]
        if len(inside) >= ENOUGH_NEARBY:
            return inside
    return inside


def _remote(session: Session, now: datetime, channel: Channel) -> list[Group]:
    reachable = [Group.format == GroupFormat.PHONE]
    # A video group is offered where the member can join it: by its dial-in, or (by text)
    # with its details to pass to someone with a computer.
    if channel == "sms":
        reachable.append(Group.format == GroupFormat.VIDEO)
    else:
        reachable.append((Group.format == GroupFormat.VIDEO) & Group.dial_in_number.is_not(None))
    return list(session.scalars(select(Group).where(*_listed(now), or_(*reachable))))


def next_meetings(session: Session, groups: list[Group], now: datetime) -> dict[int, Meeting]:
    """Each group's next meeting in one query (through the meetings' start index)."""
    if not groups:
        return {}
    window = _upcoming(groups, now)
    first = (
        select(Meeting.group_id, func.min(Meeting.starts_at).label("first"))
        .where(*window)
        .group_by(Meeting.group_id)
        .subquery()
    )
    rows = session.scalars(
        select(Meeting).join(
            first, (first.c.group_id == Meeting.group_id) & (first.c.first == Meeting.starts_at)
        )
    )
    return {m.group_id: m for m in rows if m.status is MeetingStatus.SCHEDULED}


def _upcoming(groups: list[Group], now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Meetings that count as next: scheduled, not started or started at most 15 minutes ago."""
    return (
        Meeting.group_id.in_([g.id for g in groups]),
        Meeting.status == MeetingStatus.SCHEDULED,
        Meeting.starts_at >= now - LATE_ARRIVAL,
    )


# --------------------------------------------------------------------------- order


_FAR_FUTURE = datetime.max.replace(tzinfo=ZoneInfo("UTC"))


def _start(result: Result) -> datetime:
    return result.meeting.starts_at if result.meeting else _FAR_FUTURE


def _order_in_person(results: list[Result], language: str) -> list[Result]:
    return sorted(
        results,
        key=lambda r: (
            language not in r.group.languages,
            _start(r),
            r.distance_miles or 0.0,
            r.group.slug,
        ),
    )


def _order_remote(results: list[Result], language: str) -> list[Result]:
    return sorted(
        results, key=lambda r: (language not in r.group.languages, _start(r), r.group.slug)
    )


# --------------------------------------------------------------------------- days


def _days(day: Day, today: date) -> set[date]:
    if day == "today":
        return {today}
    if day == "tomorrow":
        return {today + timedelta(days=1)}
    if today.weekday() == 6:
        return {today}  # Sunday: what is left of this weekend
    saturday = today + timedelta(days=5 - today.weekday())
    return {saturday, saturday + timedelta(days=1)}


def _meeting_on(result: Result, days: set[date], now: datetime, zone: ZoneInfo) -> Meeting | None:
    session = object_session(result.group)
    if session is None:
        return _if_on(result.meeting, days, zone)
    upcoming = session.scalars(
        select(Meeting)
        .where(
            Meeting.group_id == result.group.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= now - LATE_ARRIVAL,
            Meeting.starts_at < now + timedelta(days=8),
        )
        .order_by(Meeting.starts_at)
    )
    return next((m for m in upcoming if _if_on(m, days, zone)), None)


def _if_on(meeting: Meeting | None, days: set[date], zone: ZoneInfo) -> Meeting | None:
    if meeting is not None and meeting.starts_at.astimezone(zone).date() in days:
        return meeting
    return None
