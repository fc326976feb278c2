"""Helpers for the outbox tests: rows, consent, and a zone where it is midday right now.

Tests that run real workers cannot freeze the clock, and no automated text may go out during
quiet hours. So they text toll-free numbers (``phonenumbers`` gives them no single zone, so the
line falls back to ``LINE_TIMEZONE``) and set ``LINE_TIMEZONE`` to a zone where it is noon now.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import ConsentPurpose, ConsentSource, OutboxItem, OutboxKind, OutboxPurpose
from app.services import members, outbox
from app.services.outbox import Outgoing

SECRET = "test-secret-key"  # the settings fixture's SECRET_KEY: consent hashes use it
TEXT = "The Tuesday group meets in room 4 this week."


def midday_zone(now: datetime | None = None) -> str:
    offset = 12 - (now or datetime.now(UTC)).hour  # -11 .. +12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/ signs are inverted


def uncapped_at_midday(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings for tests about outcomes, not pace, where no quiet hour may hold a text."""
    settings["SMS_MAX_PER_SECOND"] = "0"
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def number(n: int) -> str:
    return f"+1800555{n:04d}"


def grant(session: Session, phone: str, purpose: ConsentPurpose) -> None:
    members.record_consent(session, phone, purpose, True, ConsentSource.PAPER, SECRET)


def broadcast_text(
    session: Session, phone: str, text: str = TEXT, language: str = "en", **fields: object
) -> OutboxItem:
    """A broadcast row to a member who agreed to broadcasts."""
    grant(session, phone, ConsentPurpose.BROADCASTS)
    item = outbox.enqueue(
        session,
        Outgoing(
            OutboxKind.SMS,
            OutboxPurpose.BROADCAST,
            phone,
            "broadcast.message",
            language,
            params={"text": text},
            **fields,  # type: ignore[arg-type]
        ),
    )
    session.commit()
    return item
