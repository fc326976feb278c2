"""What a reminder call does with each answering-machine verdict (SPEC §9), through the
sweep, the workers and the simulator's asynchronous detection: the verdict comes while the
reminder plays, sometimes after the member answered the menu or after the call ended."""

import pytest
import time_machine

from app.extensions import phoneline
from app.models import OutboxItem, OutboxStatus, ReminderChannel, Rsvp, RsvpStatus
from app.simulator import SILENCE
from app.simulator.phones import Keys
from tests.conftest import fresh
from tests.reminder_support import (  # noqa: F401 - settings: the uncapped fixture
    deliver_to_a_machine,
    local,
    meeting_at,
    member,
    reminder_rows,
    rsvp_with_reminders,
    settings,
)

GOODBYE = "Thank you for calling Community Support Line. Goodbye."
VOICEMAIL = "This is Community Support Line with a message for you."
SUNDAY = (2026, 11, 1, 18, 30)
PLANNED = local(2026, 10, 28, 12, 0)
# On the reminder call the member hears the reminder and its menu for 24 s of call time, then
# waits at the menu for a key until 32 s.
ANSWERED_MENU_AT = 25.5


def remind_by_call(session, simulator, setup, voicemail_ok=True, late=False):
    person = member(session, reminder_channel=ReminderChannel.CALL, voicemail_ok=voicemail_ok)
    rsvp = rsvp_with_reminders(session, person, meeting_at(session, local(*SUNDAY)), PLANNED)
    setup(simulator.phone(person.phone))
    with time_machine.travel(local(2026, 10, 31, 18, 31)):
        deliver_to_a_machine(simulator, late)
    (call,) = simulator.calls_to(person.phone)
    return call, rsvp


def reminder_row(session, rsvp) -> OutboxItem:
    return reminder_rows(fresh(session), rsvp.id)[0]  # the day-before one, sent


@pytest.mark.parametrize("voicemail_ok", [True, False])
def test_a_member_who_answered_the_menu_keeps_the_call_whatever_detection_says_later(
    session, simulator, voicemail_ok
):
    said_late = ANSWERED_MENU_AT + 2.5  # "machine": a long hello can sound like a greeting

    def person_pressing_1(phone):
        phone.answers(Keys("1")).detected_as("machine_end_other", after=said_late)

    call, rsvp = remind_by_call(session, simulator, person_pressing_1, voicemail_ok)
    said = " ".join(call.said())
    assert said.endswith("Our number is 5, 0, 0. 5, 5, 5. 0, 0, 0, 6. " + GOODBYE)
    assert VOICEMAIL not in said
    assert fresh(session).get(Rsvp, rsvp.id).attended is True


def test_a_fax_machine_gets_nothing_and_the_reminder_counts_as_not_reached(session, simulator):
    call, rsvp = remind_by_call(session, simulator, lambda phone: phone.answers_as_fax())
    assert VOICEMAIL not in " ".join(call.said())
    assert call.duration is not None and call.duration <= 4  # hung up at the fax tone
    assert reminder_row(session, rsvp).status is OutboxStatus.FAILED
    retries = [r for r in reminder_rows(fresh(session)) if r.dedupe_key.endswith(":retry")]
    assert retries == []  # a fax line will not be a person in 30 minutes either


@pytest.mark.parametrize(
    "machine",
    [
        lambda phone: phone.answers_as_machine(end="beep"),
        lambda phone: phone.answers_as_machine(end="silence"),
        lambda phone: phone.answers_as_machine(end="other"),
        lambda phone: phone.answers_as_machine().detected_as("machine_start", after=2.8),
    ],
    ids=["machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"],
)
def test_every_machine_verdict_leaves_only_the_neutral_voicemail_when_allowed(
    session, simulator, machine
):
    call, _ = remind_by_call(session, simulator, machine)
    kept = " ".join(call.voicemail())
    assert kept.startswith(VOICEMAIL) and "Tuesday evening group" not in kept


def test_unknown_lets_a_person_who_says_nothing_hear_the_reminder(session, simulator):
    def silent_person(phone):
        phone.answers(SILENCE, SILENCE, SILENCE).detected_as("unknown", after=5)

    call, rsvp = remind_by_call(session, simulator, silent_person)
    said = " ".join(call.said())
    assert said.startswith("This is Community Support Line. A reminder: Tuesday evening group")
    assert said.endswith(GOODBYE) and VOICEMAIL not in said
    assert fresh(session).get(Rsvp, rsvp.id).status is RsvpStatus.CONFIRMED


def test_a_verdict_while_the_reminder_waits_at_its_menu_still_moves_it_to_the_voicemail(
    session, simulator
):
    at_the_menu = ANSWERED_MENU_AT + 1.5  # the greeting ends while the menu waits for a key
    call, _ = remind_by_call(
        session, simulator, lambda phone: phone.answers_as_machine(greeting=at_the_menu)
    )
    assert " ".join(call.voicemail()).startswith(VOICEMAIL)


def test_a_verdict_acted_on_after_the_call_ended_changes_nothing(session, simulator):
    call, rsvp = remind_by_call(
        session, simulator, lambda phone: phone.answers_as_machine(), late=True
    )
    replies = phoneline().queues["replies"]
    assert replies.failed_job_registry.count == 0 and replies.count == 0
    assert reminder_row(session, rsvp).status is OutboxStatus.DELIVERED
    assert call.status == "completed" and VOICEMAIL not in " ".join(call.said())
