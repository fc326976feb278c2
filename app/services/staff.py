"""What coordinators must see, and what they must be told (SPEC §9, §10).

Every event is a ``StaffNotice`` row, shown on the console until someone resolves it. The
kinds that need a person now (a paused broadcast, a member nobody can remind, a facilitator
who opted out, an unanswered request) are also texted to every active coordinator through
the outbox, worded from ``prompts/*.yaml`` ``staff.*`` with no member's number, name or note
(only aliases, codes, dates and counts). One row per ``dedupe_key``, so a retried job or a
repeated status callback never tells anyone twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import (
    Coordinator,
    OutboxKind,
    OutboxPurpose,
    StaffNotice,
    StaffNoticeKind,
)

# Imported as a module: outbox -> delivery -> staff -> outbox is a cycle.
from app.services import outbox

# Which ``StaffNotice`` columns a caller may fill in (ids only; never content).
_REFS = ("member_id", "group_id", "meeting_id", "broadcast_id", "facilitator_id", "callback_id")


def note(
    session: Session,
    kind: StaffNoticeKind,
    dedupe_key: str,
    *,
    text: str | None = None,
    params: dict[str, Any] | None = None,
    urgent: bool = False,
    languages: Collection[str] = ("en", "es"),
    now: datetime | None = None,
    **refs: int | None,
) -> StaffNotice | None:
    """Record one event for coordinators; with ``text`` (a ``staff.*`` prompt key) also text
    every active coordinator. Returns the new row, or None when this event was already noted.

    ``urgent`` texts go out at once (SPEC §9: urgent alerts are not held by quiet hours);
    the others wait for the coordinator's own morning."""
    unknown = set(refs) - set(_REFS)
    if unknown:
        raise TypeError(f"unknown references: {sorted(unknown)}")
    now = now or utcnow()
    row = StaffNotice(
        kind=kind,
        dedupe_key=dedupe_key,
        details=dict(params or {}),
        created_at=now,
        **refs,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    if text is not None:
        _text_coordinators(session, row, text, dict(params or {}), urgent, languages, now)
    return row


def _text_coordinators(
    session: Session,
    row: StaffNotice,
    text: str,
    params: dict[str, Any],
    urgent: bool,
    languages: Collection[str],
    now: datetime,
) -> None:
    for person in active_coordinators(session):
        outbox.enqueue(
            session,
            outbox.Outgoing(
                kind=OutboxKind.SMS,
                purpose=OutboxPurpose.ALERT if urgent else OutboxPurpose.STAFF,
                recipient=person.phone,
                template=text,
                language=language_of(person, languages),
                params=params,
                due_at=now,
                coordinator_id=person.id,
                dedupe_key=f"staff:{row.dedupe_key}:c{person.id}",
            ),
        )


def active_coordinators(session: Session) -> list[Coordinator]:
    return list(
        session.scalars(
            select(Coordinator).where(Coordinator.active.is_(True)).order_by(Coordinator.id)
        )
    )


def language_of(person: Coordinator, languages: Collection[str]) -> str:
    """The first of the person's languages that has prompts, else English."""
    return first_spoken(person.languages, languages)


def first_spoken(codes: Collection[str] | None, languages: Collection[str]) -> str:
    """The first of ``codes`` among the ``languages`` the line has prompts for, else English:
    the language of a text to a coordinator or a facilitator."""
    return next((code for code in codes or () if code in languages), "en")


def open_notices(session: Session, limit: int = 200) -> list[StaffNotice]:
    """What coordinators have not resolved yet, newest first."""
    return list(
        session.scalars(
            select(StaffNotice)
            .where(StaffNotice.resolved_at.is_(None))
            .order_by(StaffNotice.created_at.desc(), StaffNotice.id.desc())
            .limit(limit)
        )
    )


def resolve(session: Session, notice_id: int, now: datetime | None = None) -> bool:
    row = session.get(StaffNotice, notice_id)
    if row is None or row.resolved_at is not None:
        return False
    row.resolved_at = now or utcnow()
    return True
