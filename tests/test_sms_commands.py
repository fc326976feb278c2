"""Every row of the SPEC §8 table, by text, in English and Spanish."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.models import (
    CallbackRequest,
    ConsentEvent,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
    RsvpStatus,
)
from app.prompts import load_catalog
from app.segments import count
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import (
    MEMBER,
    Phone,
    nearby_groups,
    say,
)

WORDS = {
    "en": {"find": "FIND", "groups": "GROUPS", "more": "MORE", "rsvp": "RSVP", "my": "MY",
           "drop": "DROP", "call": "CALL", "remind": "REMIND", "text": "TEXT", "phone": "CALL",
           "off": "OFF", "join": "JOIN", "privacy": "PRIVACY", "delete": "DELETE"},
    "es": {"find": "BUSCAR", "groups": "GRUPOS", "more": "MAS", "rsvp": "VOY", "my": "MIS",
           "drop": "QUITAR", "call": "LLAMAR", "remind": "AVISO", "text": "TEXTO",
           "phone": "LLAMADA", "off": "NO", "join": "UNIRSE", "privacy": "PRIVACIDAD",
           "delete": "BORRAR"},
}  # fmt: skip
LANGUAGES = ["en", "es"]
CATALOG = load_catalog()


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


def known_member(session, language):
    member = factories.member(session, MEMBER, language=language)
    session.commit()
    return member


def started(phone, session, language):
    """A member who has texted today, so replies carry no first-message footer."""
    known_member(session, language)
    phone.text("MENU")
    return phone


# --- a first message -------------------------------------------------------------------------


def test_a_first_message_that_is_not_a_command_gets_the_welcome(phone):
    assert phone.text("hi there") == [say("en", "sms.welcome")]


def test_a_known_spanish_speaker_is_welcomed_in_spanish(phone, session):
    known_member(session, "es")
    assert phone.text("hola") == [say("es", "sms.welcome")]


def test_a_first_message_that_is_a_command_gets_its_answer_then_the_footer(phone):
    assert phone.text("MENU") == [say("en", "sms.menu"), say("en", "sms.first_footer")]


def test_a_first_message_in_spanish_is_answered_in_spanish(phone):
    assert phone.text("MIS") == [say("es", "sms.my.none"), say("es", "sms.first_footer")]


def test_a_first_message_that_is_a_zip_lists_groups_and_the_footer_in_one_text(phone, session):
    nearby_groups(session)
    (reply,) = phone.text("94110")
    assert reply.startswith("1 Circle 1, ")
    assert "\n2 Circle 2, " in reply and "\n3 Circle 3, " in reply
    assert reply.endswith("MORE for more.\n" + say("en", "sms.first_footer"))
    assert count(reply).count <= 2


def test_a_conversation_is_new_again_after_24_hours_of_quiet(phone, time_machine):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    phone.text("hello")
    time_machine.move_to(datetime(2026, 11, 21, 12, 1, tzinfo=UTC))
    assert phone.text("hello again") == [say("en", "sms.welcome")]


# --- finding groups --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("form", ["{zip}", "{find} {zip}", "{groups} {zip}"])
def test_a_zip_in_any_form_lists_the_first_three_results(phone, session, language, form):
    nearby_groups(session)
    started(phone, session, language)
    text = form.format(zip="94110", **WORDS[language])
    (reply,) = phone.text(text)
    assert reply.splitlines()[0].startswith("1 Circle 1, ")
    assert len(reply.splitlines()) == 4
    choices = say(language, "sms.unit.or", first="1, 2", last="3")
    footer = say(language, "sms.search.more_footer", choices=choices)
    assert reply.splitlines()[-1] == footer


@pytest.mark.parametrize("language", LANGUAGES)
def test_more_shows_the_next_three(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    (reply,) = phone.text(WORDS[language]["more"])
    assert reply.splitlines()[0].startswith("4 Circle 4, ")
    assert reply.splitlines()[-1] == say(language, "sms.search.last_footer", choices="4")


def test_an_unknown_zip_is_said_plainly(phone, session):
    started(phone, session, "en")
    assert phone.text("00000") == [say("en", "sms.search.unknown_zip")]


def test_a_zip_with_no_groups_offers_a_call_back(phone, session):
    started(phone, session, "en")
    assert phone.text("10001") == [say("en", "sms.search.none")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_number_while_a_list_is_in_view_gives_that_groups_details(phone, session, language):
    nearby_groups(session, notes="Side door, room 2")
    started(phone, session, language)
    phone.text("94110")
    (reply,) = phone.text("2")
    assert reply.startswith("Circle 2: ")
    assert "Mission Branch Library, 300 Bartlett St, San Francisco, CA. Side door, room 2." in reply
    assert reply.endswith(CATALOG.template(language, "sms.details.in_person").split("} ")[-1])


def test_a_list_leaves_view_after_30_minutes(phone, session, time_machine):
    nearby_groups(session)
    time_machine.move_to(datetime.now(UTC))
    started(phone, session, "en")
    phone.text("94110")
    time_machine.shift(timedelta(minutes=31))
    assert phone.text("2") == [say("en", "sms.search.no_list")]


# --- RSVP, MY, DROP --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_rsvp_saves_a_seat_for_the_group_in_view_and_says_the_plan(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    phone.text("1")
    confirmation, consent = phone.text(WORDS[language]["rsvp"])
    assert "Circle 1" in confirmation and "Mission Branch Library" in confirmation
    # A day is "1 day" in English and "24 horas" in Spanish ("1 día" would make it UCS-2).
    one_day = {"en": say("en", "sms.unit.d1"), "es": say("es", "sms.unit.h", n=24)}
    assert one_day[language] in confirmation
    assert consent == say(language, "sms.rsvp.consent")
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CONFIRMED


@pytest.mark.parametrize("language", LANGUAGES)
def test_rsvp_with_a_number_takes_that_one_from_the_list(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    (confirmation, _) = phone.text(f"{WORDS[language]['rsvp']} 2")
    assert "Circle 2" in confirmation


def test_rsvp_to_a_full_group_puts_the_member_on_the_waitlist(phone, session):
    (group,) = nearby_groups(session, count=1, capacity=1)
    other = factories.member(session, "+14155550111")
    meeting = group.meetings[0]
    session.add(Rsvp(member_id=other.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED,
                     source="sms"))  # fmt: skip
    session.commit()
    started(phone, session, "en")
    phone.text("94110")
    (reply, _) = phone.text("RSVP 1")
    assert "is full. You are number 1 on the waitlist." in reply


def test_rsvp_with_nothing_in_view_asks_for_a_number_first(phone, session):
    started(phone, session, "en")
    assert phone.text("RSVP") == [say("en", "sms.rsvp.no_group")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_my_lists_upcoming_rsvps_numbered_with_the_reminder_plan(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    phone.text(f"{WORDS[language]['rsvp']} 1")
    phone.text(f"{WORDS[language]['rsvp']} 3")
    (reply,) = phone.text(WORDS[language]["my"])
    lines = reply.splitlines()
    assert lines[0].startswith("1 Circle 1, ") and lines[1].startswith("2 Circle 3, ")
    assert say(language, "sms.unit.h", n=2) in lines[2]


@pytest.mark.parametrize("language", LANGUAGES)
def test_drop_cancels_that_rsvp(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    phone.text(f"{WORDS[language]['rsvp']} 1")
    phone.text(WORDS[language]["my"])
    (reply,) = phone.text(f"{WORDS[language]['drop']} 1")
    assert reply.startswith(say(language, "sms.drop.done", name="Circle 1", when="").split(",")[0])
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CANCELLED


@pytest.mark.parametrize("language", LANGUAGES)
def test_drop_with_no_rsvps_says_there_is_nothing_to_cancel(phone, session, language):
    started(phone, session, language)
    assert phone.text(f"{WORDS[language]['drop']} 1") == [say(language, "sms.drop.none")]


# --- answering a reminder --------------------------------------------------------------------


def reminded(session, phone, minutes_ago=5):
    """A member with an RSVP to Circle 1 whose reminder text went out ``minutes_ago``."""
    member = session.scalar(select(Member).where(Member.phone == MEMBER))
    rsvp = fresh(session).scalar(select(Rsvp).where(Rsvp.member_id == member.id))
    session.add(
        OutboxItem(kind=OutboxKind.SMS, purpose=OutboxPurpose.REMINDER, recipient=MEMBER,
                   member_id=member.id, rsvp_id=rsvp.id, template="reminders.sms",
                   language="en", status=OutboxStatus.DELIVERED,
                   sent_at=datetime.now(UTC) - timedelta(minutes=minutes_ago))
    )  # fmt: skip
    session.commit()
    return rsvp


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_answering_a_reminder_cancels_even_with_a_list_in_view(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    phone.text(f"{WORDS[language]['rsvp']} 1")
    phone.text("94110")  # a list is in view ...
    reminded(session, phone, minutes_ago=0)  # ... and then the reminder arrives
    (reply,) = phone.text("2")
    gave_up = CATALOG.template(language, "sms.reminder_reply.not_coming").split("{name}")[0]
    assert reply.startswith(gave_up + "Circle 1")
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CANCELLED


@pytest.mark.parametrize("language", LANGUAGES)
def test_one_answering_a_reminder_confirms(phone, session, language):
    (group,) = nearby_groups(session, count=1)
    member = known_member(session, language)
    session.add(Rsvp(member_id=member.id, meeting_id=group.meetings[0].id,
                     status=RsvpStatus.CONFIRMED, source="sms"))  # fmt: skip
    session.commit()
    reminded(session, phone, minutes_ago=60)
    reply = phone.text("1")[0]
    thanks = CATALOG.template(language, "sms.reminder_reply.coming").split("{name}")[0]
    assert reply.startswith(thanks + "Circle 1")


def test_a_reminder_older_than_12_hours_is_not_answered_by_a_number(phone, session):
    (group,) = nearby_groups(session, count=1)
    member = known_member(session, "en")
    session.add(Rsvp(member_id=member.id, meeting_id=group.meetings[0].id,
                     status=RsvpStatus.CONFIRMED, source="sms"))  # fmt: skip
    session.commit()
    reminded(session, phone, minutes_ago=13 * 60)
    assert phone.text("2") == [say("en", "sms.search.no_list"), say("en", "sms.first_footer")]
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CONFIRMED


# --- CALL, REMIND, JOIN, language, MENU, PRIVACY, DELETE, anything else ------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_call_opens_a_callback_request_and_keeps_the_next_text_as_its_note(
    phone, session, language
):
    started(phone, session, language)
    assert phone.text(WORDS[language]["call"]) == [say(language, "sms.call.confirmed")]
    assert phone.text("evenings are best") == [say(language, "sms.call.note_saved")]
    request = fresh(session).scalar(select(CallbackRequest))
    assert (request.note, request.urgent, request.source) == ("evenings are best", False, "sms")


def test_a_text_after_the_note_window_is_not_a_note(phone, session, time_machine):
    time_machine.move_to(datetime.now(UTC))
    started(phone, session, "en")
    phone.text("CALL")
    time_machine.shift(timedelta(minutes=11))
    assert phone.text("evenings are best") == [say("en", "sms.unknown")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("choice", "channel"),
    [("text", ReminderChannel.SMS), ("phone", ReminderChannel.CALL), ("off", ReminderChannel.NONE)],
)
def test_remind_sets_the_reminder_channel(phone, session, language, choice, channel):
    started(phone, session, language)
    text = f"{WORDS[language]['remind']} {WORDS[language][choice]}"
    assert phone.text(text) == [say(language, f"sms.remind.{channel.value}")]
    assert fresh(session).scalar(select(Member.reminder_channel)) is channel


@pytest.mark.parametrize("language", LANGUAGES)
def test_join_consents_to_group_news_once(phone, session, language):
    started(phone, session, language)
    assert phone.text(WORDS[language]["join"]) == [say(language, "sms.join.done")]
    assert phone.text(WORDS[language]["join"]) == [say(language, "sms.join.already")]


@pytest.mark.parametrize(
    ("text", "language"),
    [("ES", "es"), ("ESPANOL", "es"), ("ESPAÑOL", "es"), ("EN", "en"), ("ENGLISH", "en")],
)
def test_a_language_word_switches_the_language(phone, session, text, language):
    started(phone, session, "es" if language == "en" else "en")
    assert phone.text(text) == [say(language, "sms.language_set")]
    assert phone.text("MENU") == [say(language, "sms.menu")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ["MENU", "MENÚ", "menu."])
def test_menu_lists_the_commands(phone, session, language, text):
    started(phone, session, language)
    assert phone.text(text) == [say(language, "sms.menu")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_gives_the_summary(phone, session, language):
    started(phone, session, language)
    assert phone.text(WORDS[language]["privacy"]) == [say(language, "sms.privacy")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_delete_twice_erases_all_but_the_consent_ledger(phone, session, language):
    nearby_groups(session)
    started(phone, session, language)
    phone.text("94110")
    phone.text(f"{WORDS[language]['rsvp']} 1")
    assert phone.text(WORDS[language]["delete"]) == [say(language, "sms.delete.confirm")]
    assert phone.text(WORDS[language]["delete"]) == [say(language, "sms.delete.done")]
    fresh(session)
    assert session.scalar(select(func.count()).select_from(Member)) == 0
    assert session.scalar(select(func.count()).select_from(Rsvp)) == 0
    assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 2


def test_a_deleted_member_who_texts_again_is_new(phone, session):
    started(phone, session, "es")
    phone.text("BORRAR")
    phone.text("BORRAR")
    assert phone.text("hello") == [say("en", "sms.welcome")]


def test_delete_once_then_later_again_only_asks_again(phone, session, time_machine):
    time_machine.move_to(datetime.now(UTC))
    started(phone, session, "en")
    phone.text("DELETE")
    time_machine.shift(timedelta(minutes=11))
    assert phone.text("DELETE") == [say("en", "sms.delete.confirm")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_anything_else_gets_didnt_understand_at_most_three_times_in_a_row(phone, session, language):
    started(phone, session, language)
    answers = [phone.text("what is this") for _ in range(5)]
    unknown, alone = say(language, "sms.unknown"), say(language, "sms.crisis_line")
    assert answers == [[unknown]] * 3 + [[alone], []]
    assert phone.text("MENU") == [say(language, "sms.menu")]
    assert phone.text("huh") == [unknown]


def test_a_picture_gets_i_can_only_read_text(phone, session):
    started(phone, session, "en")
    assert phone.text("", NumMedia="1") == [say("en", "sms.picture")]


def test_an_empty_body_is_accepted(phone, session):
    started(phone, session, "en")
    assert phone.send("").status_code == 200


def test_a_restart_loses_no_conversation_state(phone, session, settings, twilio):
    """The list in view lives in the database: a new app (a restarted server) continues it."""
    from app import create_app
    from app.config import PLACEHOLDER_AUTH_TOKEN
    from app.extensions import phoneline
    from tests.conftest import Twilio

    nearby_groups(session)
    started(phone, session, "en")
    phone.text("94110")
    restarted = create_app(settings)
    (reply,) = Phone(Twilio(restarted.test_client(), PLACEHOLDER_AUTH_TOKEN)).text("2")
    assert reply.startswith("Circle 2: ")
    phoneline(restarted).db.dispose()
    phoneline(restarted).redis.close()
