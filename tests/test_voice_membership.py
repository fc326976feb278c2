"""Whether a number is a member's is never revealed to whoever presents it (SPEC §12, security
review H2): until a caller is verified (StirVerstat A on a signed request, the PIN, or a
one-time code), a member's number hears, key for key, what a stranger's hears."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import Rsvp, RsvpStatus
from app.services import rsvps, schedules, verification, zips
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Tuesday noon in San Francisco
STRANGER, MEMBER, BLOCKED = "+14155550199", "+14155550100", "+14155550133"
VERIFIED = "TN-Validation-Passed-A"

MENUS = [
    ("1", None),  # English
    ("*", None),  # from the ZIP question to the main menu
    ("2", None),  # my meetings: the offer
    ("2", None),  # by text
    ("1", None),  # the main menu
    ("8", None),  # crisis information
    ("1", None),  # text me these numbers
    ("*", None),
    ("4", None),  # settings
    ("2", None),  # reminders: by text, call or none
    ("*", None),
    ("3", None),  # set a PIN: the one-time code offer
    ("3", None),  # use my PIN instead
    ("1111", None),
    ("*", None),
    ("4", None),  # settings
    ("4", None),  # privacy
    ("2", None),  # stop everything: no code, the same question for every number
    ("1", None),  # yes: the same answer for every number
]
FIND_AND_RSVP = [
    ("1", None),  # English: the ZIP question
    ("94110", None),  # the ZIP read back, then the first group
    ("2", None),  # text me these details
    ("1", None),  # sign up
    ("2", None),  # reminders by text
    ("2", None),  # goodbye
]


@pytest.fixture
def hope_circle(session):
    place = zips.locate("94110")
    group = factories.group(
        session, name="Hope Circle", latitude=place.latitude, longitude=place.longitude
    )
    schedules.materialise(session, group, NOW - timedelta(days=1))
    session.commit()
    return group


@pytest.fixture
def numbers(session, hope_circle):
    """A stranger, a member with a language, reminders, a PIN and this week's seat, and a
    member whose texts Twilio has blocked."""
    member = factories.member(
        session, phone=MEMBER, language="es", reminder_channel="sms", voicemail_ok=True
    )
    verification.set_pin(member, "2468")
    rsvps.create(session, member, _next_meeting(session, hope_circle), "sms", NOW)
    factories.member(session, phone=BLOCKED, language="en", sms_status="blocked")
    session.commit()
    return (STRANGER, MEMBER, BLOCKED)


def _next_meeting(session, group):
    from app.models import Meeting

    return session.scalars(
        select(Meeting.id).where(Meeting.group_id == group.id).order_by(Meeting.starts_at)
    ).first()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("script", [MENUS, FIND_AND_RSVP], ids=["menus", "find-and-rsvp"])
@pytest.mark.parametrize("stir", [None, "TN-Validation-Passed-B"])
def test_it_says_the_same_to_a_stranger_an_unverified_member_and_a_blocked_member(
    twilio, numbers, script, stir
):
    heard = [run_call(twilio, script, caller=number, stir=stir) for number in numbers]
    stranger, member, blocked = (call.documents for call in heard)
    assert member == stranger
    assert blocked == stranger


@time_machine.travel(NOW, tick=False)
def test_an_unverified_caller_who_chooses_no_reminder_channel_hears_none_was_chosen(
    twilio, numbers
):
    silence = [(None, None), (None, None), (None, "You chose no reminders."), ("2", None)]
    script = [*FIND_AND_RSVP[:-2], *silence]
    for number in numbers:
        run_call(twilio, script, caller=number)


@time_machine.travel(NOW, tick=False)
def test_an_unverified_member_holding_the_last_seat_hears_what_a_newcomer_would(
    twilio, session, numbers, hope_circle
):
    hope_circle.capacity = 1
    session.commit()
    full = "The group is full. You are number 1 on the waiting list."
    run_call(twilio, [*FIND_AND_RSVP[:2], ("1", full), ("hangup", None)])
    seats = fresh(session).scalars(select(Rsvp.status)).all()
    assert seats == [RsvpStatus.CONFIRMED], "the member's seat is kept"


@time_machine.travel(NOW, tick=False)
def test_a_pin_locked_by_earlier_guesses_answers_the_same_for_a_stranger_and_a_member(
    twilio, numbers
):
    guesses = [("1", None), ("*", None), ("2", None), ("3", None), ("1111", None)]
    guesses.append(("1111", None))
    for number in (STRANGER, MEMBER):
        run_call(twilio, [*guesses, ("1111", "try again later"), ("hangup", None)], caller=number)
        run_call(
            twilio, [*guesses[:4], ("2468", "try again later"), ("hangup", None)], caller=number
        )


@time_machine.travel(NOW, tick=False)
def test_a_verified_member_is_greeted_in_their_language_and_hears_their_own_plan(twilio, numbers):
    run_call(
        twilio,
        [("2", "Hope Circle"), ("hangup", None)],
        caller=MEMBER,
        stir=VERIFIED,
        greeting="Para buscar un grupo, oprima 1",
    )
