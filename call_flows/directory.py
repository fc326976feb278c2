"""Voice's view of the directory: search results kept in a call's state as plain ids between
webhook requests, and loaded back as ``search.Result`` (app/services/search.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Group, Meeting, MeetingStatus
from app.services import search as _search
from app.services import zips
from app.services.search import Result, SearchOutcome

__all__ = ["Group", "Result", "SearchOutcome"]

KeptResult = list[Any]  # [group id, meeting id or None, miles or None]


def search(session: Session, zip_code: str, language: str, now: datetime) -> SearchOutcome:
    return _search.find_groups(session, zip_code, language, now, channel="voice")


def ids(results: list[Result]) -> list[KeptResult]:
    return [[r.group.id, r.meeting.id if r.meeting else None, r.distance_miles] for r in results]


def load(session: Session, kept: list[KeptResult]) -> list[Result]:
    found = []
    for group_id, meeting_id, miles in kept:
        group = session.get(Group, group_id)
        if group is None:
            continue  # removed by an import since the search: skip it
        meeting = session.get(Meeting, meeting_id) if meeting_id else None
        found.append(Result(group, meeting, miles))
    return found


def topics_in(results: list[Result]) -> list[str]:
    return _search.topics_in(results, limit=4)


def with_topic(results: list[Result], topic: str) -> list[Result]:
    return _search.with_topic(results, topic)


def on_day(results: list[Result], day: str, now: datetime, zone: ZoneInfo) -> list[Result]:
    return _search.on_day(results, day, now, zone)  # type: ignore[arg-type]


def caller_zone(zip_code: str | None, fallback: ZoneInfo) -> ZoneInfo:
    place = zips.locate(zip_code) if zip_code else None
    return ZoneInfo(place.timezone) if place else fallback


def next_meeting(session: Session, group: Group, now: datetime) -> Meeting | None:
    """An RSVP is for the next occurrence that has not started (SPEC §7.4), where search also
    shows a meeting that began up to 15 minutes ago."""
    return session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )
