"""Unknown rows against the simulator (SPEC §9): found while Twilio still holds them queued, sent
again for as long as that makes sense, and only then reported."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.models import (
    OutboxItem,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
    StaffNotice,
    StaffNoticeKind,
)
from app.services import outbox
from app.simulator import Disorder, Fault
from tests import factories
from tests.conftest import fresh
from tests.outbox_support import broadcast_text, uncapped_at_midday
from workers import reconcile
from workers.dispatch import send_batch
from workers.sweep import sweep_once
from workers.worker import run_worker

PHONE = "+18005550142"


@pytest.fixture
def settings(settings):
    return uncapped_at_midday(settings)


def row(session, item) -> OutboxItem:
    return fresh(session).get(OutboxItem, item.id)


def look_twice(app, at) -> None:
    """The sweep's two looks, 60 s apart, then a worker sends what they let go again."""
    sweep_once(db(), at)
    sweep_once(db(), at + timedelta(seconds=61))
    run_worker(app, burst=True)


def unconfirmed(session) -> list[StaffNotice]:
    found = fresh(session).scalars(
        select(StaffNotice).where(StaffNotice.kind == StaffNoticeKind.UNCONFIRMED)
    )
    return list(found)


def test_a_text_twilio_still_holds_queued_is_found_not_resent(app, session, simulator):
    simulator.disorder = Disorder.NEVER  # no callback to tell us: only the list can
    simulator.carrier.hold()  # beyond the sender's throughput: queued, no date_sent yet
    simulator.add_fault(Fault(status=500, when="after"))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    assert row(session, item).status is OutboxStatus.UNKNOWN
    look_twice(app, utcnow())
    simulator.carrier.release()
    simulator.wait_idle()
    (message,) = simulator.messages_to(PHONE)
    assert (row(session, item).status, row(session, item).twilio_sid) == (
        OutboxStatus.SENT,
        message.sid,
    )
    assert len(simulator.phone(PHONE).inbox) == 1


def test_a_text_unknown_again_after_its_resend_is_looked_up_and_sent_again(app, session, simulator):
    simulator.add_fault(Fault(status=500, when="before", times=2))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    now = utcnow()
    look_twice(app, now)  # nothing found: resent, and the resend fails the same way
    assert row(session, item).status is OutboxStatus.UNKNOWN
    look_twice(app, now + timedelta(minutes=5))  # another round: resent, and it goes
    simulator.wait_idle()
    assert len(simulator.phone(PHONE).inbox) == 1
    assert (row(session, item).status, row(session, item).attempts) == (
        OutboxStatus.DELIVERED,
        3,
    )


def test_each_further_round_of_looks_waits_longer_up_to_half_an_hour():
    waits = [outbox.round_wait(rounds).total_seconds() for rounds in range(8)]
    assert waits == [0, 60, 120, 240, 480, 960, 1800, 1800]


def test_a_resend_that_comes_back_unknown_is_not_looked_up_again_at_once(app, session, simulator):
    simulator.add_fault(Fault(status=500, when="before", times=2))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    look_twice(app, utcnow())
    waiting = row(session, item)
    assert waiting.next_check_at >= waiting.claimed_at + timedelta(seconds=59)


def test_a_broadcast_text_still_unknown_a_day_later_is_reported_not_resent(app, session, simulator):
    simulator.add_fault(Fault(status=500, when="before"))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    look_twice(app, utcnow() + timedelta(hours=24, minutes=1))
    left = row(session, item)
    assert (left.status, left.next_check_at) == (OutboxStatus.UNKNOWN, None)
    assert simulator.messages_to(PHONE) == []
    assert len(unconfirmed(session)) == 1


def test_a_reminder_still_unknown_when_its_meeting_starts_is_reported_not_resent(session, gateway):
    item, starts_at = unknown_reminder(session, starts_in=timedelta(hours=2))
    reconcile.check(session, gateway, item, starts_at + timedelta(minutes=1))
    assert (item.status, item.next_check_at) == (OutboxStatus.UNKNOWN, None)
    session.commit()


def test_a_reminder_unknown_before_its_meeting_is_sent_again(session, gateway):
    item, starts_at = unknown_reminder(session, starts_in=timedelta(hours=2))
    reconcile.check(session, gateway, item, starts_at - timedelta(minutes=30))
    assert item.status is OutboxStatus.PENDING
    session.commit()


def unknown_reminder(session, starts_in) -> tuple[OutboxItem, datetime]:
    """A reminder whose send came back unknown, looked up once and not found yet."""
    meeting = factories.meeting(session, starts_in=starts_in)
    member = factories.member(session, phone=PHONE)
    rsvp = Rsvp(
        member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms"
    )
    session.add(rsvp)
    session.flush()
    item = broadcast_text(session, PHONE, rsvp_id=rsvp.id)
    item.purpose, item.status, item.claimed_at = (
        OutboxPurpose.REMINDER,
        OutboxStatus.UNKNOWN,
        utcnow(),
    )
    item.body, item.reconcile_checks = "Reminder: Tuesday at 6:30 PM.", 1
    return item, meeting.starts_at


def test_an_unresolved_row_is_never_looked_up_again(app, session, simulator):
    simulator.add_fault(Fault(status=500, when="before"))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    later = utcnow() + timedelta(hours=25)
    look_twice(app, later)
    checks = row(session, item).reconcile_checks
    look_twice(app, later + timedelta(hours=1))
    assert row(session, item).reconcile_checks == checks
    assert simulator.messages_to(PHONE) == []
