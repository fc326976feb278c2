"""Rows for arranging tests, with plausible defaults (fictional 555-01xx numbers)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from sqlalchemy.orm import Session

from app.models import Coordinator, Facilitator, Group, GroupFormat, Meeting, Member

_serial = count(1)


def member(session: Session, phone: str | None = None, **fields: object) -> Member:
    row = Member(phone=phone or f"+1415555{next(_serial) % 10000:04d}", **fields)
    session.add(row)
    session.flush()
    return row


def group(session: Session, **fields: object) -> Group:
    n = next(_serial)
    values: dict[str, object] = {
        "slug": f"group-{n}",
        "name": f"Group {n}",
        "alias": f"Tuesday group {n}",
        "topics": ["general"],
        "audience": ["adults"],
        "languages": ["en"],
        "format": GroupFormat.IN_PERSON,
        "location_name": "Mission Branch Library",
        "address": "300 Bartlett St, San Francisco, CA",
        "zip": "94110",
        "timezone": "America/Los_Angeles",
        "starts_on": date(2026, 9, 1),
        "schedule": "FREQ=WEEKLY;BYDAY=TU",
        "start_time": time(18, 30),
        "duration_minutes": 90,
        "capacity": None,
        # Searches leave out groups not verified for 180 days: a month before the clock the
        # row is made at, never a fixed date that every search made later than April 2027
        # would find stale.
        "last_verified": datetime.now(UTC).date() - timedelta(days=30),
    }
    values.update(fields)
    row = Group(**values)
    session.add(row)
    session.flush()
    return row


def meeting(
    session: Session,
    grp: Group | None = None,
    starts_in: timedelta = timedelta(days=3),
    **fields: object,
) -> Meeting:
    grp = grp or group(session)
    starts_at = datetime.now(UTC).replace(microsecond=0) + starts_in
    row = Meeting(
        group_id=grp.id,
        original_date=fields.pop("original_date", starts_at.date()),  # type: ignore[arg-type]
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=grp.duration_minutes),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def facilitator(session: Session, phone: str, **fields: object) -> Facilitator:
    n = next(_serial)
    values: dict[str, object] = {
        "slug": f"facilitator-{n}",
        "name": f"Facilitator {n}",
        "phone": phone,
        "languages": ["en"],
        "on_call": True,
    }
    values.update(fields)
    row = Facilitator(**values)
    session.add(row)
    session.flush()
    return row


def coordinator(session: Session, phone: str, **fields: object) -> Coordinator:
    n = next(_serial)
    values: dict[str, object] = {"slug": f"coordinator-{n}", "name": f"Coordinator {n}"}
    values.update(fields)
    row = Coordinator(phone=phone, **values)
    session.add(row)
    session.flush()
    return row
