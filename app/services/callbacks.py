"""Callback requests and their codes (SPEC §10)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import OPEN_CALLBACK_STATES, CallbackRequest, CallbackStatus, Member

CODE_LIFETIME = timedelta(days=7)
_CODE_ATTEMPTS = 20


class CodeSpaceExhausted(RuntimeError):
    pass


@dataclass(frozen=True)
class NewRequest:
    member: Member
    language: str
    source: str  # voice | sms | crisis | console
    urgent: bool = False
    note: str | None = None
    voicemail_ok: bool = False
    group_id: int | None = None


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def open_request(
    session: Session, request: NewRequest, escalate_after: timedelta, now: datetime | None = None
) -> CallbackRequest:
    """Create a request with a 6-digit code unique among open requests. The partial unique
    index is the arbiter: a colliding code fails its savepoint and another is drawn."""
    now = now or utcnow()
    for _ in range(_CODE_ATTEMPTS):
        row = CallbackRequest(
            code=new_code(),
            member_id=request.member.id,
            group_id=request.group_id,
            language=request.language,
            urgent=request.urgent,
            source=request.source,
            note=request.note,
            voicemail_ok=request.voicemail_ok,
            status=CallbackStatus.OPEN,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            next_escalation_at=now + escalate_after,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise CodeSpaceExhausted("no free callback code after several draws")


def open_by_code(session: Session, code: str) -> CallbackRequest | None:
    return session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.code == code, CallbackRequest.status.in_(OPEN_CALLBACK_STATES)
        )
    )


def recent_urgent(session: Session, member_id: int, since: datetime) -> CallbackRequest | None:
    """An urgent request opened for this member since ``since`` that later crisis matches join."""
    return session.scalar(
        select(CallbackRequest)
        .where(
            CallbackRequest.member_id == member_id,
            CallbackRequest.urgent.is_(True),
            CallbackRequest.created_at >= since,
            CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
        )
        .order_by(CallbackRequest.id.desc())
        .limit(1)
    )


def expire_overdue(session: Session, now: datetime | None = None) -> int:
    """Close requests whose code has outlived its 7 days; returns how many."""
    now = now or utcnow()
    result = session.execute(
        update(CallbackRequest)
        .where(
            CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
            CallbackRequest.expires_at <= now,
        )
        .values(status=CallbackStatus.EXPIRED, expired_at=now, next_escalation_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
