"""Arranging reminder tests: a New York group and member, a meeting at a given moment, an RSVP
with its reminders planned as the line plans them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import load_config
from app.models import (
    ConsentPurpose,
    Group,
    Meeting,
    Member,
    OutboxItem,
    OutboxPurpose,
    ReminderChannel,
    Rsvp,
)
from app.services import reminders, rsvps
from tests import factories
from tests.outbox_support import grant

NEW_YORK = ZoneInfo("America/New_York")
MEMBER = "+12125550147"
# The defaults: REMINDER_OFFSETS 1d,2h, QUIET_HOURS 20:00-09:00, LINE_TIMEZONE New York.
TIMES = reminders.ReminderTimes.of(load_config({"SECRET_KEY": "test"}, Path(".")))


@pytest.fixture
def settings(settings: dict[str, Any]) -> dict[str, Any]:
    """No send cap: these tests are about what goes out, not its pace (import it by name)."""
    settings["SMS_MAX_PER_SECOND"] = "0"
    settings["CALLS_MAX_PER_SECOND"] = "0"
    return settings


def deliver(simulator: Any) -> None:
    """What a worker does: the sweep hands due rows to RQ, the jobs send them."""
    from workers.worker import run_worker

    run_worker(current_app._get_current_object(), burst=True)  # type: ignore[attr-defined]
    simulator.wait_idle()


def deliver_to_a_machine(simulator: Any, late: bool = False) -> None:
    """``deliver``, with the call stopped at answering-machine detection's verdict while a worker
    runs the app's answer to it: as at Twilio, where the job acts while the message plays.
    ``late``: the worker only gets to it after the call ended."""
    from workers.worker import run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backlog = simulator.hold_calls(at="dial")
    verdict = simulator.hold_calls(at="verdict")
    run_worker(app, burst=True)  # the call goes out, and waits at Twilio till this worker is done
    backlog.release()
    assert verdict.reached.wait(30), "no verdict was posted"
    if not late:
        run_worker(app, burst=True)  # the app's job on the verdict
    verdict.release()
    simulator.wait_idle()
    if late:
        run_worker(app, burst=True)


def local(*parts: int) -> datetime:
    """A New York wall-clock time, as the aware UTC moment the database keeps."""
    return datetime(*parts, tzinfo=NEW_YORK).astimezone(UTC)  # type: ignore[misc]


def new_york_group(session: Session, **fields: object) -> Group:
    values: dict[str, object] = {
        "timezone": "America/New_York",
        "zip": "10001",
        "alias": "Tuesday evening group",
        "name": "Grief Circle",
        "topics": ["grief"],
        "location_name": "Chelsea Community Room",
    }
    return factories.group(session, **{**values, **fields})


def meeting_at(session: Session, starts_at: datetime, group: Group | None = None) -> Meeting:
    group = group or new_york_group(session)
    row = Meeting(
        group_id=group.id,
        original_date=starts_at.astimezone(NEW_YORK).date(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=90),
    )
    session.add(row)
    session.flush()
    return row


def member(session: Session, phone: str = MEMBER, **fields: object) -> Member:
    values: dict[str, object] = {"zip": "10001", "language": "en"}
    row = factories.member(session, phone, **{**values, **fields})
    channel = row.reminder_channel or ReminderChannel.SMS
    purpose = {
        ReminderChannel.SMS: ConsentPurpose.REMINDERS_SMS,
        ReminderChannel.CALL: ConsentPurpose.REMINDERS_CALL,
    }.get(channel)
    if purpose is not None:
        grant(session, phone, purpose)
    grant(session, phone, ConsentPurpose.NOTICES)
    return row


def rsvp_with_reminders(
    session: Session, person: Member, meeting: Meeting, now: datetime, times=TIMES
) -> Rsvp:
    made = rsvps.create(session, person, meeting.id, "sms", now).rsvp
    reminders.plan(session, made, times, now)
    session.commit()
    return made


def reminder_rows(session: Session, rsvp_id: int | None = None) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.REMINDER)
    if rsvp_id is not None:
        query = query.where(OutboxItem.rsvp_id == rsvp_id)
    return list(session.scalars(query.order_by(OutboxItem.due_at, OutboxItem.id)))
