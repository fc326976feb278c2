"""Call rows (SPEC §9): the same claim, limiter and outcomes as texts, through start_call."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from app.db import utcnow
from app.extensions import db
from app.models import (
    ConsentPurpose,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
)
from app.services import outbox, rsvps
from app.services.outbox import Outgoing
from app.simulator import Disorder, Fault
from tests import factories
from tests.conftest import fresh
from tests.outbox_support import grant, midday_zone
from workers.dispatch import send_batch
from workers.sweep import sweep_once

PHONE = "+18005550160"


@pytest.fixture
def settings(settings):
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def an_rsvp(session) -> Rsvp:
    """A reminder is for an RSVP to a meeting still to come, of a member reminded by call."""
    member = factories.member(session, phone=PHONE, reminder_channel=ReminderChannel.CALL)
    meeting = factories.meeting(session, starts_in=timedelta(days=1))
    return rsvps.create(session, member, meeting.id, "voice").rsvp


def reminder_call(session, purpose=OutboxPurpose.REMINDER) -> OutboxItem:
    grant(session, PHONE, ConsentPurpose.REMINDERS_CALL)
    rsvp = an_rsvp(session)
    item = outbox.enqueue(
        session,
        Outgoing(
            OutboxKind.CALL,
            purpose,
            PHONE,
            "voice.reminder",
            "en",
            member_id=rsvp.member_id,
            rsvp_id=rsvp.id,
        ),
    )
    session.commit()
    return item


def row(session, item) -> OutboxItem:
    return fresh(session).get(OutboxItem, item.id)


def test_a_reminder_call_rings_the_member_and_opens_the_reminder_flow(session, simulator):
    item = reminder_call(session)
    send_batch([item.id])
    simulator.wait_idle()
    (call,) = simulator.calls_to(PHONE)
    assert urlsplit(call.url).path == "/twilio/voice/outbound/reminder"
    assert row(session, item).twilio_sid == call.sid


def test_a_finished_call_ends_its_row_with_a_final_status(session, simulator):
    item = reminder_call(session)
    send_batch([item.id])
    simulator.wait_idle()
    assert row(session, item).status in (OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED)


def lose_the_create_answer_then_look_twice(session, simulator) -> OutboxItem:
    """Twilio made the call but its answer to the create was a 500, and no status callback
    came: the row is unknown, and the sweep looks for the call twice, 60 s apart."""
    simulator.disorder = Disorder.NEVER
    simulator.add_fault(Fault(status=500, when="after", resource="Calls"))
    item = reminder_call(session)
    send_batch([item.id])
    now = utcnow()
    sweep_once(db(), now)
    sweep_once(db(), now + timedelta(seconds=61))
    return item


def test_a_call_twilio_started_but_did_not_confirm_is_found_not_rung_twice(session, simulator):
    item = lose_the_create_answer_then_look_twice(session, simulator)
    simulator.wait_idle()
    assert len(simulator.calls_to(PHONE)) == 1
    assert row(session, item).status is OutboxStatus.SENT


def test_a_call_still_queued_at_twilio_is_found_not_rung_twice(session, simulator):
    backlog = simulator.hold_calls(at="dial")  # Twilio queues calls beyond the account's rate
    item = lose_the_create_answer_then_look_twice(session, simulator)
    backlog.release()
    simulator.wait_idle()
    (call,) = simulator.calls_to(PHONE)
    assert (row(session, item).status, row(session, item).twilio_sid) == (
        OutboxStatus.SENT,
        call.sid,
    )


def test_an_unanswered_call_twilio_did_not_confirm_is_found_not_rung_twice(session, simulator):
    simulator.phone(PHONE).does_not_answer()
    item = lose_the_create_answer_then_look_twice(session, simulator)
    simulator.wait_idle()
    (call,) = simulator.calls_to(PHONE)
    assert row(session, item).twilio_sid == call.sid


def test_a_member_without_call_consent_is_not_called(session, simulator):
    rsvp = an_rsvp(session)
    item = outbox.enqueue(
        session,
        Outgoing(
            OutboxKind.CALL,
            OutboxPurpose.REMINDER,
            PHONE,
            "voice.reminder",
            "en",
            member_id=rsvp.member_id,
            rsvp_id=rsvp.id,
        ),
    )
    session.commit()
    send_batch([item.id])
    assert row(session, item).status is OutboxStatus.SKIPPED
    assert simulator.calls_to(PHONE) == []
