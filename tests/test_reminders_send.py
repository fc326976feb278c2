"""Reminders going out (SPEC §9) through the sweep, the workers and the Twilio API simulator,
at frozen moments: texts at both offsets in the member's zone, answers 1 and 2, calls to
landlines with answering-machine detection, retries, spacing, and who cannot be reminded."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import (
    ConsentPurpose,
    Coordinator,
    OutboxKind,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
    RsvpStatus,
    SmsStatus,
    StaffNotice,
    StaffNoticeKind,
)
from app.simulator import SILENCE
from app.simulator.phones import Keys
from tests.conftest import fresh
from tests.outbox_support import grant
from tests.reminder_support import (  # noqa: F401 - settings: the uncapped fixture
    deliver,
    deliver_to_a_machine,
    local,
    meeting_at,
    member,
    new_york_group,
    reminder_rows,
    rsvp_with_reminders,
    settings,
)

GOODBYE = "Thank you for calling Community Support Line. Goodbye."
SUNDAY = (2026, 11, 1, 18, 30)  # the day New York leaves daylight time
OTHER = "+12125550148"
PLANNED = local(2026, 10, 28, 12, 0)


def texts(simulator, number):
    return [m.body for m in simulator.messages_to(number)]


def test_text_reminders_come_at_both_offsets_in_the_members_zone_across_dst(session, simulator):
    meeting = meeting_at(session, local(*SUNDAY))
    rsvp_with_reminders(session, member(session), meeting, PLANNED)
    with time_machine.travel(local(2026, 10, 31, 18, 29)):
        deliver(simulator)
        assert texts(simulator, "+12125550147") == []
    with time_machine.travel(local(2026, 10, 31, 18, 30, 30)):
        deliver(simulator)
    with time_machine.travel(local(2026, 11, 1, 16, 30, 30)):
        deliver(simulator)
    day_before, two_hours = texts(simulator, "+12125550147")
    assert "Tuesday evening group, Sun Nov 1, 6:30 PM, Chelsea Community Room" in day_before
    assert "Msg & data rates may apply. Reply STOP to end." in day_before
    assert "Reply 1 if you will be there, 2 if you can't come (or DROP 1 any time)." in two_hours
    assert "rates" not in two_hours


def test_reminders_never_carry_the_groups_name_or_topic(session, simulator):
    group = new_york_group(session, location_name="Grief Support Center")
    rsvp_with_reminders(
        session, member(session), meeting_at(session, local(*SUNDAY), group), PLANNED
    )
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
    (text,) = texts(simulator, "+12125550147")
    assert "grief" not in text.lower() and "Circle" not in text
    assert group.address in text  # the place by its address when its name tells the topic


def test_reply_2_cancels_frees_the_seat_and_the_first_on_the_waitlist_is_told(session, simulator):
    group = new_york_group(session, capacity=1)
    meeting = meeting_at(session, local(*SUNDAY), group)
    seated = rsvp_with_reminders(session, member(session), meeting, PLANNED)
    waiting = rsvp_with_reminders(session, member(session, OTHER), meeting, PLANNED)
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
        assert texts(simulator, OTHER) == []  # no reminder while on the waitlist
        reply = simulator.text_line("+12125550147", "2")[0]
        deliver(simulator)
    assert reply.startswith("OK, we gave up your seat")
    assert fresh(session).get(Rsvp, seated.id).status is RsvpStatus.CANCELLED
    assert session.get(Rsvp, waiting.id).status is RsvpStatus.CONFIRMED
    (told,) = texts(simulator, OTHER)
    assert "a seat opened for you at Tuesday evening group, Sun Nov 1, 6:30 PM" in told


@pytest.mark.parametrize("code", [30006, 21614])
def test_a_landline_gets_a_call_it_hears_in_full_and_answers_with_1(session, simulator, code):
    person = member(session)
    grant(session, person.phone, ConsentPurpose.REMINDERS_CALL)
    rsvp = rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    phone = simulator.phone(person.phone).answers(Keys("1"))
    if code == 30006:  # the carrier's verdict, in the status callback
        phone.texts_fail("undelivered", 30006)
    else:  # Twilio refuses the text at once
        phone.landline = True
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)  # the text fails: this number does not take texts
        deliver(simulator)  # so the reminder comes as a call
    (call,) = simulator.calls_to(person.phone)
    said = " ".join(call.said())
    assert said.startswith("This is Community Support Line. A reminder: Tuesday evening group")
    assert "To stop these calls, press 7." in said and "If you will be there, press 1." in said
    assert "Our number is 5, 0, 0. 5, 5, 5. 0, 0, 0, 6." in said.split("Thank you.")[1]
    assert fresh(session).get(Rsvp, rsvp.id).attended is True
    assert session.scalars(select(StaffNotice)).all() == []


def called(session, simulator, *inputs):
    person = member(session, reminder_channel=ReminderChannel.CALL)
    rsvp = rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    simulator.phone(person.phone).answers(*inputs)
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
    (call,) = simulator.calls_to(person.phone)
    return " ".join(call.said()), rsvp


def test_a_silent_phone_hears_the_reminder_again_briefly_then_the_number_and_goodbye(
    session, simulator
):
    said, rsvp = called(session, simulator, SILENCE, SILENCE, SILENCE)
    assert said.count("A reminder: Tuesday evening group") == 1
    assert said.endswith("Our number is 5, 0, 0. 5, 5, 5. 0, 0, 0, 6. " + GOODBYE)
    assert fresh(session).get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED
    assert len(simulator.calls_to(rsvp.member.phone)) == 1  # answered: not tried again


def test_nine_repeats_the_reminder_and_eight_gives_the_crisis_lines(session, simulator):
    said, _ = called(session, simulator, Keys("9"), Keys("8"))
    assert said.count("A reminder: Tuesday evening group") == 2
    assert "9 8 8" in said.split("For crisis help, press 8.")[-1]


def machine_called(session, simulator, voicemail_ok: bool):
    person = member(session, reminder_channel=ReminderChannel.CALL, voicemail_ok=voicemail_ok)
    rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    simulator.phone(person.phone).answers_as_machine()
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver_to_a_machine(simulator)
    (call,) = simulator.calls_to(person.phone)
    return call


def test_a_machine_is_left_nothing_when_the_member_did_not_allow_voicemail(session, simulator):
    call = machine_called(session, simulator, voicemail_ok=False)
    assert call.voicemail() == []  # hung up at the beep: the recording holds nothing
    assert call.status == "completed"


def test_a_machine_gets_only_the_neutral_voicemail_when_the_member_allowed_it(session, simulator):
    call = machine_called(session, simulator, voicemail_ok=True)
    kept = " ".join(call.voicemail())
    assert kept.startswith("This is Community Support Line with a message for you.")
    assert "Tuesday evening group" not in kept


def test_a_busy_reminder_call_is_tried_once_more_30_minutes_later(session, simulator):
    person = member(session, reminder_channel=ReminderChannel.CALL)
    rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    simulator.phone(person.phone).does_not_answer("busy")
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
    (retry,) = [r for r in reminder_rows(fresh(session)) if r.dedupe_key.endswith(":retry")]
    assert retry.due_at - local(2026, 10, 31, 18, 31) >= timedelta(minutes=30)
    with time_machine.travel(retry.due_at + timedelta(seconds=30)):
        deliver(simulator)
    with time_machine.travel(retry.due_at + timedelta(hours=1)):
        deliver(simulator)
    assert len(simulator.calls_to(person.phone)) == 2


def test_reminders_for_two_meetings_go_at_least_30_minutes_apart(session, simulator):
    person = member(session)
    for start in ((2026, 11, 10, 18, 30), (2026, 11, 10, 18, 45)):
        meeting = meeting_at(session, local(*start))
        rsvp_with_reminders(session, person, meeting, local(2026, 11, 10, 12, 0))  # 2h only
    with time_machine.travel(local(2026, 11, 10, 16, 46)):
        deliver(simulator)
        assert len(texts(simulator, person.phone)) == 1
    with time_machine.travel(local(2026, 11, 10, 17, 10)):
        deliver(simulator)
        assert len(texts(simulator, person.phone)) == 1
    with time_machine.travel(local(2026, 11, 10, 17, 17)):
        deliver(simulator)
    assert len(texts(simulator, person.phone)) == 2


def test_coordinators_see_a_member_who_cannot_take_texts_and_refused_calls(session, simulator):
    session.add(
        Coordinator(slug="ana", name="Ana", phone="+12125550199", timezone="America/New_York")
    )
    person = member(session, sms_status=SmsStatus.NO_SMS)
    rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
        deliver(simulator)  # the coordinator's text
    (notice,) = fresh(session).scalars(select(StaffNotice)).all()
    assert notice.kind is StaffNoticeKind.CANNOT_REMIND
    assert simulator.calls_to(person.phone) == [] and texts(simulator, person.phone) == []
    (told,) = texts(simulator, "+12125550199")
    assert "Tuesday evening group on 2026-11-01 cannot get text reminders" in told
    assert person.phone[-4:] not in told


def test_a_paused_member_who_agreed_to_calls_is_called_instead(session, simulator):
    person = member(session, sms_status=SmsStatus.PAUSED)
    grant(session, person.phone, ConsentPurpose.REMINDERS_CALL)
    rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
    assert len(simulator.calls_to(person.phone)) == 1
    kinds = {r.kind for r in reminder_rows(fresh(session)) if r.status is not OutboxStatus.PENDING}
    assert kinds == {OutboxKind.CALL}


def phone_group(session):
    from app.models import GroupFormat

    return new_york_group(
        session,
        format=GroupFormat.PHONE,
        location_name=None,
        dial_in_number="+12125550188",
        dial_in_code="482913",
    )


def test_a_phone_groups_text_reminder_carries_the_dial_in_code_and_drop(session, simulator):
    person = member(session)
    meeting = meeting_at(session, local(*SUNDAY), phone_group(session))
    rsvp_with_reminders(session, person, meeting, PLANNED)
    with time_machine.travel(local(2026, 10, 31, 18, 30, 30)):
        deliver(simulator)
    (day_before,) = texts(simulator, person.phone)
    assert "by phone: call (212) 555-0188, code 482913." in day_before
    assert "DROP 1" in day_before


def test_a_phone_groups_reminder_call_says_the_dial_in_and_code_digit_by_digit(session, simulator):
    person = member(session, reminder_channel=ReminderChannel.CALL)
    meeting = meeting_at(session, local(*SUNDAY), phone_group(session))
    rsvp_with_reminders(session, person, meeting, PLANNED)
    simulator.phone(person.phone).answers(Keys("1"))
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver(simulator)
    (call,) = simulator.calls_to(person.phone)
    said = " ".join(call.said())
    assert "call 2, 1, 2. 5, 5, 5. 0, 1, 8, 8, and enter the code 4, 8, 2, 9, 1, 3" in said
