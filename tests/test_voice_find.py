"""Whole calls that find a group: by keys and by speech, narrowing, RSVP and reminders."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import (
    CallbackRequest,
    ConsentPurpose,
    GroupFormat,
    Member,
    OutboxItem,
    OutboxPurpose,
    Rsvp,
    RsvpStatus,
)
from app.prompts import load_catalog
from app.services import members, rsvps, schedules, zips
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh

REPLY = OutboxPurpose.REPLY  # an RSVP also plans its reminders: those rows are not asserted here

# Tuesday November 24, 2026, 12:00 in San Francisco.
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
CALLER = "+14155550100"
VERIFIED = "TN-Validation-Passed-A"


def _group(session, zip_code, **fields):
    place = zips.locate(zip_code)
    values = {"zip": zip_code, "latitude": place.latitude, "longitude": place.longitude}
    group = factories.group(session, **{**values, **fields})
    schedules.materialise(session, group, NOW - timedelta(days=1))
    return group


@pytest.fixture
def mission(session):
    """Five groups in and near the Mission, San Francisco, meeting on different days."""
    _group(session, "94110", name="Hope Circle", topics=["grief"], languages=["es"])
    _group(
        session, "94110", name="Calm Together", topics=["anxiety"], schedule="FREQ=WEEKLY;BYDAY=WE"
    )
    _group(
        session,
        "94110",
        name="Morning Light",
        topics=["anxiety", "depression"],
        start_time=time(19),
    )
    _group(
        session,
        "94601",
        name="Bay Caregivers",
        topics=["caregivers"],
        schedule="FREQ=WEEKLY;BYDAY=SA",
    )
    _group(
        session,
        "94110",
        name="Full House",
        topics=["general"],
        capacity=1,
        schedule="FREQ=WEEKLY;BYDAY=TH",
    )
    session.commit()


@time_machine.travel(NOW, tick=False)
def test_a_first_time_caller_in_spanish_finds_a_group_by_spoken_zip_narrows_rsvps_and_picks_calls(
    twilio, session, mission
):
    run_call(
        twilio,
        [
            ("2", "Para buscar un grupo, marque su código postal"),
            ("say: nueve cuatro uno uno cero", "Escuché 9, 4, 1, 1, 0. Grupo 1 de 4"),
            ("*", "Para elegir un tema, oprima 2"),
            ("2", "Para personas con ansiedad, oprima 1"),
            ("say: duelo", "Grupo 1 de 1: Hope Circle, para personas en duelo"),
            ("1", "Ya está en la lista. ¿Cómo quiere que le recordemos?"),
            ("1", "¿podemos dejar un mensaje de voz?"),
            ("1", "Le recordaremos por llamada, 1 día y 2 horas antes"),
            ("2", "Adiós"),
        ],
        greeting="Para español, oprima 2",
    )
    member = fresh(session).scalars(select(Member)).one()
    assert (member.language, member.reminder_channel.value, member.voicemail_ok) == (
        "es",
        "call",
        True,
    )
    assert member.rsvps[0].meeting.group.name == "Hope Circle"
    secret = "test-secret-key"
    assert members.has_consent(session, CALLER, ConsentPurpose.REMINDERS_CALL, secret)
    assert members.has_consent(session, CALLER, ConsentPurpose.NOTICES, secret)
    assert not members.has_consent(session, CALLER, ConsentPurpose.REMINDERS_SMS, secret)


@time_machine.travel(NOW, tick=False)
def test_eight_pressed_deep_inside_search_gives_crisis_numbers_and_star_comes_back(
    twilio, session, mission
):
    run_call(
        twilio,
        [
            ("1", None),
            ("94110", "I heard 9, 4, 1, 1, 0. Group 1 of 4"),
            ("3", "Group 2 of 4"),
            ("8", "call or text 9 8 8. For Spanish, call 9 8 8 and press 2"),
            ("*", "For the next group, press 3"),
            ("3", "Group 3 of 4"),
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_a_full_group_puts_the_caller_on_the_waitlist_with_their_place(twilio, session, mission):
    group_meeting = _next_meeting_of(session, "Full House")
    rsvps.create(session, factories.member(session, phone="+14155550111"), group_meeting, "sms")
    session.commit()
    factories.member(session, phone=CALLER, language="en", reminder_channel="sms")
    session.commit()
    run_call(
        twilio,
        [
            ("1", None),
            ("94110", None),
            ("*", "To choose a topic, press 2"),
            ("2", "For groups open to everyone"),
            ("say: anything", "Full House"),
            (
                "1",
                "The group is full. You are number 1 on the waiting list. We will remind you",
            ),
            ("2", "Goodbye"),
        ],
        stir=VERIFIED,  # a member whose reminders are already chosen is not asked again
    )
    statuses = fresh(session).scalars(select(Rsvp.status).order_by(Rsvp.id)).all()
    assert statuses == [RsvpStatus.CONFIRMED, RsvpStatus.WAITLISTED]


def _next_meeting_of(session, name):
    from app.models import Group, Meeting

    group = session.scalars(select(Group).where(Group.name == name)).one()
    return session.scalars(
        select(Meeting.id).where(Meeting.group_id == group.id).order_by(Meeting.starts_at)
    ).first()


@time_machine.travel(NOW, tick=False)
def test_a_zip_that_starts_with_zero_keeps_its_zero(twilio, session):
    _group(session, "02139", name="Cambridge Circle", timezone="America/New_York")
    session.commit()
    run_call(
        twilio,
        [
            ("1", None),
            ("02139", "I heard 0, 2, 1, 3, 9. Group 1 of 1: Cambridge Circle"),
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_a_zip_that_starts_with_nine_by_keys(twilio, session, mission):
    run_call(twilio, [("1", None), ("94601", "I heard 9, 4, 6, 0, 1. Group 1 of")])


@time_machine.travel(NOW, tick=False)
def test_an_unknown_zip_gets_a_plain_message_and_another_try(twilio):
    run_call(twilio, [("1", None), ("00000", "I do not know that ZIP code")])


@time_machine.travel(NOW, tick=False)
def test_no_group_within_fifty_miles_offers_phone_groups_and_two_one_one(twilio, session):
    _group(
        session,
        "94110",
        name="By Phone Only",
        format=GroupFormat.PHONE,
        zip=None,
        dial_in_number="+18005550100",
        location_name=None,
        address=None,
    )
    session.commit()
    run_call(
        twilio,
        [
            ("1", None),
            ("80204", "no group that meets in person within 50 miles. You can also call 2 1 1"),
            ("1", "By Phone Only. It is open to everyone. By phone."),
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_choosing_today_hears_only_the_groups_meeting_today(twilio, session, mission):
    run_call(
        twilio,
        [
            ("1", None),
            ("94110", None),
            ("*", "To choose a day, press 3"),
            ("3", "For today, press 1"),
            ("1", "Group 1 of 2: Morning Light"),
            ("3", "Group 2 of 2: Hope Circle"),
        ],
    )


@time_machine.travel(NOW, tick=False)
def test_send_me_these_details_by_text_goes_through_the_outbox_once(twilio, session, mission):
    script = [("1", None), ("94110", None)]
    run_call(twilio, [*script, ("2", "sending the details by text"), ("2", "sending the details")])
    (row,) = fresh(session).scalars(select(OutboxItem).where(OutboxItem.purpose == REPLY)).all()
    assert (row.recipient, row.template, row.kind.value) == (CALLER, "voice.text.details", "sms")


@time_machine.travel(NOW, tick=False)
def test_details_texted_from_a_call_name_the_place_end_the_notes_and_say_what_next(twilio, session):
    _group(session, "94110", name="Hope Circle", notes="Side door, room 2")
    session.commit()
    script = [("1", None), ("94110", "Group 1 of 1: Hope Circle")]
    run_call(twilio, [*script, ("2", "sending the details by text")])
    (row,) = fresh(session).scalars(select(OutboxItem).where(OutboxItem.purpose == REPLY)).all()
    text = load_catalog().render(row.language, row.template, **row.params)
    assert "Mission Branch Library, 300 Bartlett St, San Francisco, CA. Side door, room 2. " in text
    assert text.endswith("To sign up by text, send your ZIP code.")


@time_machine.travel(NOW, tick=False)
def test_a_caller_without_caller_id_is_not_offered_rsvp_or_texts(twilio, session, mission):
    script = [("1", None), ("94110", None)]
    call = run_call(twilio, [*script, ("1", "not available on this phone")], caller="anonymous")
    assert "To sign up" not in call.said


@time_machine.travel(NOW, tick=False)
def test_a_phone_group_rsvp_reads_how_to_join_where_9_repeats_it_and_1_texts_it(twilio, session):
    _group(
        session,
        "94110",
        name="By Phone Only",
        format=GroupFormat.PHONE,
        zip=None,
        dial_in_number="+14155550999",
        dial_in_code="123456",
        location_name=None,
        address=None,
    )
    session.commit()
    script = [("1", None), ("80204", None), ("1", "By phone.")]
    run_call(
        twilio,
        [
            *script,
            ("2", "sending the details by text"),
            ("1", "call 4, 1, 5. 5, 5, 5. 0, 9, 9, 9, and enter the code 1, 2, 3, 4, 5, 6"),
            ("9", "call 4, 1, 5. 5, 5, 5. 0, 9, 9, 9, and enter the code 1, 2, 3, 4, 5, 6"),
            ("1", "sending the details by text"),
            ("2", "How would you like to be reminded?"),
        ],
    )
    (row,) = fresh(session).scalars(select(OutboxItem).where(OutboxItem.purpose == REPLY)).all()
    assert row.params["where"] == "By phone: call (415) 555-0999, code 123456"
    text = load_catalog().render(row.language, row.template, **row.params)
    assert "code 123456. To sign up by text, send your ZIP code." in text


@time_machine.travel(NOW, tick=False)
def test_with_three_groups_or_fewer_the_caller_hears_them_and_can_go_back_and_forth(
    twilio, session
):
    _group(session, "94110", name="First Circle")
    _group(session, "94110", name="Second Circle", schedule="FREQ=WEEKLY;BYDAY=WE")
    session.commit()
    run_call(
        twilio,
        [
            ("1", None),
            ("94110", "I heard 9, 4, 1, 1, 0. Group 1 of 2: First Circle"),
            ("3", "Group 2 of 2: Second Circle"),
            ("4", "Group 1 of 2: First Circle"),
            ("4", "This is the first group."),
            ("3", "Group 2 of 2"),
            ("3", "That was the last group."),
        ],
    )


STRANGER = "+14155550123"


@time_machine.travel(NOW, tick=False)
def test_a_number_keyed_in_for_a_callback_never_becomes_the_callers_identity(
    twilio, session, mission
):
    """A caller who withholds caller ID and types someone else's number must not act for that
    person, nor learn anything about them, whether or not they confirm the read-back."""
    factories.member(session, phone=STRANGER, language="en", sms_status="blocked")
    session.commit()
    heard = run_call(
        twilio,
        [
            ("1", None),
            ("0", "enter the 10-digit phone number"),
            (STRANGER[2:], "I heard 4, 1, 5"),
            ("2", "enter the 10-digit phone number"),
            ("*", "To find a group, press 1"),
            ("1", None),
            ("94110", "I heard 9, 4, 1, 1, 0. Group 1 of 4"),
            ("2", "not available on this phone"),
            ("1", "not available on this phone"),
        ],
        caller="anonymous",
    )
    assert "Texts from this line are off" not in heard.said
    fresh(session)
    assert session.scalars(select(OutboxItem)).all() == []
    assert session.scalars(select(Rsvp)).all() == []


@time_machine.travel(NOW, tick=False)
def test_a_caller_from_outside_the_region_keys_in_a_number_to_be_called_on(twilio, session):
    run_call(
        twilio,
        [("1", None), ("0", "enter the 10-digit phone number")],
        caller="+442071838750",
    )
    assert fresh(session).scalars(select(CallbackRequest)).all() == []


@pytest.fixture
def two_languages(session):
    _group(
        session,
        "94110",
        name="Grupo Esperanza",
        topics=["depression"],
        languages=["es"],
        start_time=time(17),
    )
    _group(session, "94110", name="Open Door", topics=["general"], start_time=time(20))
    _group(
        session, "94110", name="Both Ways", topics=["anxiety", "general"], languages=["en", "es"]
    )
    session.commit()


@time_machine.travel(NOW, tick=False)
def test_a_group_in_another_language_says_so_and_comes_after_the_callers_own(twilio, two_languages):
    script = [("1", None), ("94110", None), ("3", None), ("3", None)]
    call = run_call(twilio, script)
    assert "Group 3 of 3: Grupo Esperanza, for depression. This group meets in Spanish." in (
        call.said
    )
    assert call.said.count("This group meets in") == 1  # not for English or both


@time_machine.travel(NOW, tick=False)
def test_a_spanish_caller_hears_which_groups_meet_in_english(twilio, two_languages):
    script = [("2", None), ("94110", None), ("3", None), ("3", None)]
    call = run_call(twilio, script)
    assert "Grupo 1 de 3: Grupo Esperanza, para personas con depresión." in call.said
    assert (
        "Grupo 3 de 3: Open Door. Está abierto a todas las personas. Este grupo es en inglés."
        in (call.said)
    )
    assert call.said.count("Este grupo es en") == 1


@time_machine.travel(NOW, tick=False)
def test_open_to_everyone_is_its_own_sentence_never_a_topic_in_a_list(twilio, two_languages):
    script = [("1", None), ("94110", None)]
    call = run_call(twilio, script)
    assert "Both Ways, for anxiety. It is open to everyone." in call.said
    assert "everyone," not in call.said and "and everyone" not in call.said
    assert "300 Bartlett Street" in call.said and "Bartlett St," not in call.said
