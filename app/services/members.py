"""Members and their consent (SPEC §9 consent, §12 privacy)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ConsentEvent, ConsentPurpose, ConsentSource, Member
from app.phones import number_hash


def find(session: Session, phone: str) -> Member | None:
    return session.scalar(select(Member).where(Member.phone == phone))


def find_or_create(session: Session, phone: str, language: str | None = None) -> Member:
    """The member for an E.164 number, created on first contact. Safe when two requests from the
    same number race: the loser of the insert reads the winner's row."""
    member = find(session, phone)
    if member is not None:
        return member
    try:
        with session.begin_nested():
            member = Member(phone=phone, language=language)
            session.add(member)
    except IntegrityError:
        member = find(session, phone)
        if member is None:
            raise
    return member


# Retention counts inactivity in days: refreshing the stamp at most hourly spares a write (and
# a lock on the member's row) on every step of a call.
TOUCH_EVERY = timedelta(hours=1)


def touch(member: Member, now: datetime | None = None) -> None:
    now = now or utcnow()
    if member.last_active_at is None or now - member.last_active_at >= TOUCH_EVERY:
        member.last_active_at = now


def set_language(member: Member, language: str) -> None:
    member.language = language


def record_consent(
    session: Session,
    phone: str,
    purpose: ConsentPurpose,
    granted: bool,
    source: ConsentSource,
    secret: str,
) -> ConsentEvent:
    event = ConsentEvent(
        phone_hash=number_hash(phone, secret), purpose=purpose, granted=granted, source=source
    )
    session.add(event)
    session.flush()
    return event


def revoke_all(session: Session, phone: str, source: ConsentSource, secret: str) -> None:
    for purpose in ConsentPurpose:
        record_consent(session, phone, purpose, False, source, secret)


def has_consent(session: Session, phone: str, purpose: ConsentPurpose, secret: str) -> bool:
    """The latest ledger entry for the number and purpose decides; no entry means no consent."""
    latest = session.scalar(
        select(ConsentEvent.granted)
        .where(
            ConsentEvent.phone_hash == number_hash(phone, secret),
            ConsentEvent.purpose == purpose,
        )
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    )
    return bool(latest)


def consent_ever_recorded(
    session: Session, phone: str, purpose: ConsentPurpose, secret: str
) -> bool:
    """Whether any entry exists: the first message for a purpose carries the consent wording."""
    found = session.scalar(
        select(ConsentEvent.id)
        .where(
            ConsentEvent.phone_hash == number_hash(phone, secret),
            ConsentEvent.purpose == purpose,
        )
        .limit(1)
    )
    return found is not None
