"""SMS conversation state per number (SPEC §8), in the ``conversations`` table so that a restart
loses nothing.

A conversation is new after 24 hours without messages. Its ``state`` (JSON) holds the list in
view and how far it has been read, the group whose details were last shown, the CALL note window,
the DELETE confirmation window, the flood notice, the run of texts not understood and when the
988/911 line was last sent alone. The
language survives a new conversation; everything else starts over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import Conversation

NEW_AFTER = timedelta(hours=24)
LIST_IN_VIEW = timedelta(minutes=30)
NOTE_WINDOW = timedelta(minutes=10)
DELETE_WINDOW = timedelta(minutes=10)
_KEPT_ACROSS_CONVERSATIONS = ("language",)


def begin(session: Session, phone: str, now: datetime) -> tuple[Conversation, bool]:
    """This number's conversation, locked for the turn, and whether this text starts a new one."""
    row = _locked(session, phone)
    if row is None:
        row = _create(session, phone, now)
        new = True
    else:
        new = now - row.last_message_at > NEW_AFTER
    if new:
        row.state = {k: row.state[k] for k in _KEPT_ACROSS_CONVERSATIONS if k in row.state}
    row.last_message_at = now
    return row, new


def forget(session: Session, phone: str) -> None:
    session.execute(delete(Conversation).where(Conversation.phone == phone))


def get(row: Conversation, key: str) -> Any:
    return row.state.get(key)


def put(row: Conversation, **values: Any) -> None:
    """Set keys (None removes one). A new dict, because a JSON column tracks assignment only."""
    state = {**row.state, **values}
    row.state = {k: v for k, v in state.items() if v is not None}


def stamp(when: datetime) -> str:
    return when.isoformat()


def within(row: Conversation, key: str, now: datetime, window: timedelta) -> bool:
    """Whether the time stored at ``key`` is less than ``window`` ago."""
    value = row.state.get(key)
    return value is not None and now - datetime.fromisoformat(value) < window


def _locked(session: Session, phone: str) -> Conversation | None:
    return session.scalar(
        select(Conversation)
        .where(Conversation.phone == phone)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _create(session: Session, phone: str, now: datetime) -> Conversation:
    """Two first texts from one number racing: the loser reads (and waits for) the winner's row."""
    try:
        with session.begin_nested():
            row = Conversation(phone=phone, last_message_at=now, state={})
            session.add(row)
        return row
    except IntegrityError:
        found = _locked(session, phone)
        if found is None:
            raise
        return found
