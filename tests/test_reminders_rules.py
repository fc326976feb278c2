"""The send-time rules of reminders (SPEC §9), one worker pass each: the member's channel now,
the meeting still to come, and the quiet-hours drop."""

import time_machine

from app.models import (
    ConsentPurpose,
    OutboxKind,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
    RsvpStatus,
)
from app.services import rsvps
from tests.conftest import fresh
from tests.outbox_support import grant
from tests.reminder_support import (
    deliver,
    local,
    meeting_at,
    member,
    reminder_rows,
    rsvp_with_reminders,
    settings,  # noqa: F401 - the fixture: no send cap
)

PLANNED = local(2026, 11, 5, 12, 0)
START = (2026, 11, 10, 18, 30)


def sent_statuses(session):
    return [row.status for row in reminder_rows(fresh(session))]


def test_a_member_who_turned_reminders_off_after_the_rsvp_gets_none(session, simulator):
    person = member(session)
    rsvp_with_reminders(session, person, meeting_at(session, local(*START)), PLANNED)
    person.reminder_channel = ReminderChannel.NONE
    session.commit()
    with time_machine.travel(local(2026, 11, 9, 18, 31)):
        deliver(simulator)
    assert simulator.messages_to(person.phone) == []
    assert sent_statuses(session)[0] is OutboxStatus.SKIPPED


def test_a_member_who_chose_calls_after_the_rsvp_is_called(session, simulator):
    person = member(session)
    rsvp_with_reminders(session, person, meeting_at(session, local(*START)), PLANNED)
    person.reminder_channel = ReminderChannel.CALL
    grant(session, person.phone, ConsentPurpose.REMINDERS_CALL)
    session.commit()
    with time_machine.travel(local(2026, 11, 9, 18, 31)):
        deliver(simulator)
    assert len(simulator.calls_to(person.phone)) == 1
    assert reminder_rows(fresh(session))[0].kind is OutboxKind.CALL


def test_a_cancelled_rsvp_gets_no_reminder_even_if_its_row_was_already_queued(session, simulator):
    person = member(session)
    rsvp = rsvp_with_reminders(session, person, meeting_at(session, local(*START)), PLANNED)
    session.get(Rsvp, rsvp.id).status = RsvpStatus.CANCELLED  # no withdrawal: the check holds
    session.commit()
    with time_machine.travel(local(2026, 11, 9, 18, 31)):
        deliver(simulator)
    assert simulator.messages_to(person.phone) == []


def test_a_reminder_that_quiet_hours_hold_past_the_start_is_dropped_when_sent(session, simulator):
    person = member(session)
    meeting = meeting_at(session, local(2026, 11, 10, 8, 30))
    rsvp_with_reminders(session, person, meeting, PLANNED)  # the 1d row: 08:30 the day before
    with time_machine.travel(local(2026, 11, 10, 6, 0)):  # workers were down until 06:00
        deliver(simulator)
    assert simulator.messages_to(person.phone) == []
    assert OutboxStatus.SKIPPED in sent_statuses(session)


def test_the_waitlist_moves_up_only_until_two_hours_before_the_start(session):
    from tests.reminder_support import new_york_group

    meeting = meeting_at(session, local(*START), new_york_group(session, capacity=1))
    seated = rsvp_with_reminders(session, member(session), meeting, PLANNED)
    waiting = rsvp_with_reminders(session, member(session, "+12125550148"), meeting, PLANNED)
    rsvps.cancel(session, seated.id, local(2026, 11, 10, 16, 31))
    session.commit()
    assert fresh(session).get(Rsvp, waiting.id).status is RsvpStatus.WAITLISTED


def test_after_a_long_outage_only_the_latest_reminder_goes(session, simulator):
    person = member(session)
    rsvp_with_reminders(session, person, meeting_at(session, local(*START)), PLANNED)
    with time_machine.travel(local(2026, 11, 10, 16, 31)):  # both the 1d and the 2h are due
        deliver(simulator)
    assert len(simulator.messages_to(person.phone)) == 1


def test_an_older_reminder_never_goes_after_a_newer_one_went(session, simulator):
    person = member(session)
    rsvp_with_reminders(session, person, meeting_at(session, local(*START)), PLANNED)
    day_before, two_hours = sorted(reminder_rows(session), key=lambda r: r.due_at)
    two_hours.status = OutboxStatus.DELIVERED  # another worker's thread got to it first
    session.commit()
    with time_machine.travel(local(2026, 11, 10, 16, 35)):
        deliver(simulator)
    assert simulator.messages_to(person.phone) == []
    assert fresh(session).get(type(day_before), day_before.id).status is OutboxStatus.SKIPPED
