"""Notices when a meeting changes (SPEC §9), and the quiet-hours exception for late ones: a
notice goes at once if the change came before quiet hours began; made during them, at 08:00
local if that is before the start; else coordinators see who could not be told in time."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.models import (
    OutboxItem,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
    StaffNotice,
    StaffNoticeKind,
)
from app.prompts import load_catalog
from app.services import meetings
from tests.conftest import fresh
from tests.reminder_support import (
    TIMES,
    deliver,
    deliver_to_a_machine,
    local,
    meeting_at,
    member,
    rsvp_with_reminders,
    settings,  # noqa: F401 - the fixture: no send cap
)

WORDING = meetings.Wording(load_catalog(), "Community Support Line", TIMES)
PHONE = "+12125550147"


def cancelled_at(session, when, starts, **fields):
    meeting = meeting_at(session, starts)
    rsvp_with_reminders(session, member(session, **fields), meeting, when - timedelta(days=3))
    with time_machine.travel(when, tick=False):  # the notice row is written at that moment
        meetings.cancel(session, meeting, WORDING, when)
        session.commit()
    return meeting


def notice(session) -> OutboxItem:
    query = select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.NOTICE)
    return fresh(session).scalars(query).one()


def test_a_meeting_cancelled_at_1955_for_0830_tomorrow_is_told_at_once(session, simulator):
    cancelled_at(session, local(2026, 11, 9, 19, 55), local(2026, 11, 10, 8, 30))
    with time_machine.travel(local(2026, 11, 9, 19, 55, 5)):
        deliver(simulator)
    (text,) = [m.body for m in simulator.messages_to(PHONE)]
    assert "Tuesday evening group on Tue Nov 10, 8:30 AM is cancelled" in text
    assert text.endswith("Msg & data rates may apply. Reply STOP to end.")  # the first notice


def test_that_notice_still_goes_when_the_worker_reaches_it_after_2000(session, simulator):
    cancelled_at(session, local(2026, 11, 9, 19, 55), local(2026, 11, 10, 8, 30))
    with time_machine.travel(local(2026, 11, 9, 20, 5)):
        deliver(simulator)
    assert len(simulator.messages_to(PHONE)) == 1


def test_a_notice_a_worker_reaches_in_the_night_waits_for_0800_not_at_once(session, simulator):
    cancelled_at(session, local(2026, 11, 9, 15, 0), local(2026, 11, 10, 8, 30))
    with time_machine.travel(local(2026, 11, 10, 2, 0)):  # the workers were down until 2 AM
        deliver(simulator)
    assert simulator.messages_to(PHONE) == []
    with time_machine.travel(local(2026, 11, 10, 8, 0, 5)):
        deliver(simulator)
    assert len(simulator.messages_to(PHONE)) == 1


def test_a_cancel_made_in_quiet_hours_waits_for_0800_when_that_is_before_the_start(
    session, simulator
):
    cancelled_at(session, local(2026, 11, 9, 23, 0), local(2026, 11, 10, 8, 30))
    with time_machine.travel(local(2026, 11, 9, 23, 0, 5)):
        deliver(simulator)
    assert simulator.messages_to(PHONE) == []
    assert notice(session).due_at == local(2026, 11, 10, 8, 0)
    with time_machine.travel(local(2026, 11, 10, 8, 0, 5)):
        deliver(simulator)
    assert len(simulator.messages_to(PHONE)) == 1


def test_coordinators_see_who_could_not_be_told_before_an_early_start(session, simulator):
    meeting = cancelled_at(session, local(2026, 11, 9, 23, 0), local(2026, 11, 10, 7, 30))
    with time_machine.travel(local(2026, 11, 9, 23, 0, 5)):
        deliver(simulator)
    (seen,) = fresh(session).scalars(select(StaffNotice)).all()
    assert (seen.kind, seen.meeting_id) == (StaffNoticeKind.LATE_NOTICE, meeting.id)
    assert simulator.messages_to(PHONE) == []


def test_a_notice_held_by_quiet_hours_that_is_not_late_waits_for_the_morning(session, simulator):
    cancelled_at(session, local(2026, 11, 9, 23, 0), local(2026, 11, 12, 18, 30))
    with time_machine.travel(local(2026, 11, 9, 23, 0, 5)):
        deliver(simulator)
    assert notice(session).due_at == local(2026, 11, 10, 9, 0)


def test_a_member_reminded_by_call_is_told_of_a_cancellation_by_call(session, simulator):
    cancelled_at(
        session,
        local(2026, 11, 9, 12, 0),
        local(2026, 11, 10, 18, 30),
        reminder_channel=ReminderChannel.CALL,
    )
    with time_machine.travel(local(2026, 11, 9, 12, 0, 5)):
        deliver(simulator)
    (call,) = simulator.calls_to(PHONE)
    said = " ".join(call.said())
    assert "Tuesday evening group on Tuesday, November 10, at 6:30 PM is cancelled" in said
    assert "Our number is" in said
    assert notice(session).status in (OutboxStatus.DELIVERED, OutboxStatus.SENT)


def test_a_notice_call_answered_by_a_machine_leaves_nothing_without_voicemail_consent(
    session, simulator
):
    cancelled_at(
        session,
        local(2026, 11, 9, 12, 0),
        local(2026, 11, 10, 18, 30),
        reminder_channel=ReminderChannel.CALL,
        voicemail_ok=False,
    )
    simulator.phone(PHONE).answers_as_machine()
    with time_machine.travel(local(2026, 11, 9, 12, 0, 5)):
        deliver_to_a_machine(simulator)
    (call,) = simulator.calls_to(PHONE)
    assert call.voicemail() == []
