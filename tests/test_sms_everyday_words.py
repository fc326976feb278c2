"""Texts in ordinary words (review S2-10, S1-1, item 22): what the member receives."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import Rsvp, RsvpStatus
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import MEMBER, Phone, nearby_groups, say


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


def under_way(session, phone, language="en"):
    factories.member(session, MEMBER, language=language)
    session.commit()
    phone.text("MENU")
    return phone


@pytest.mark.parametrize("text", ["hola", "Hola, busco un grupo", "gracias", "Quiero un grupo"])
def test_it_welcomes_a_first_text_in_spanish_words_in_spanish(phone, text):
    assert phone.text(text) == [say("es", "sms.welcome")]


def test_a_first_menu_written_with_its_accent_is_answered_in_spanish(phone):
    assert phone.text("Menú") == [say("es", "sms.menu"), say("es", "sms.first_footer")]


def test_it_finds_groups_from_a_zip_inside_a_sentence(phone, session):
    nearby_groups(session)
    (reply,) = under_way(session, phone).text("where's a group near 94110?")
    assert reply.startswith("1 Circle 1, ")


@pytest.mark.parametrize(("text", "language"), [("my meetings", "en"), ("mis reuniones", "es")])
def test_it_reads_my_with_words_after_it(phone, session, text, language):
    assert under_way(session, phone, language).text(text) == [say(language, "sms.my.none")]


def test_it_asks_for_the_zip_when_asked_for_groups_near_me(phone, session):
    assert under_way(session, phone).text("groups near me") == [say("en", "sms.search.no_list")]


def test_it_answers_thanks_kindly_once_in_ten_minutes_and_never_as_not_understood(
    phone, session, time_machine
):
    time_machine.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    under_way(session, phone)
    assert phone.text("thanks!") == [say("en", "sms.ack.thanks")]
    assert phone.text("ok") == []
    time_machine.shift(timedelta(minutes=11))
    assert phone.text("ok") == [say("en", "sms.ack.ok")]
    unknown = say("en", "sms.unknown")
    answers = [phone.text(body) for body in ("what", "thanks", "huh", "ok", "eh", "yes.")]
    assert answers == [[unknown], [], [unknown], [], [unknown], []]


def test_a_spanish_si_is_answered_in_spanish(phone, session):
    assert under_way(session, phone, "es").text("Sí") == [say("es", "sms.ack.ok")]


def rsvp_made(phone, session, language):
    nearby_groups(session, count=1)
    under_way(session, phone, language)
    phone.text("94110")
    phone.text("1")
    return phone.text({"en": "RSVP", "es": "VOY"}[language])


@pytest.mark.parametrize(("language", "drop"), [("en", "DROP 1"), ("es", "QUITAR 1")])
def test_it_teaches_the_meeting_word_on_the_rsvp_confirmation(phone, session, language, drop):
    confirmation = rsvp_made(phone, session, language)[0]
    assert confirmation.endswith(f"{drop}.")
    assert "cancel" not in confirmation.lower()
    phone.text(drop)
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CANCELLED


@pytest.mark.parametrize(("text", "language"), [("cancel my rsvp", "en"),
                                                ("quiero cancelar mi reunión", "es")])  # fmt: skip
def test_it_answers_cancel_in_a_sentence_with_the_drop_word_and_keeps_texts_on(
    phone, session, text, language
):
    rsvp_made(phone, session, language)
    assert phone.text(text) == [say(language, "sms.drop.which")]
    assert fresh(session).scalar(select(Rsvp.status)) is RsvpStatus.CONFIRMED


def test_cancelar_alone_still_stops_texts_and_says_how_to_undo_it_and_drop_one(phone, session):
    rsvp_made(phone, session, "es")
    (stopped,) = phone.text("CANCELAR")
    assert stopped == say("es", "optout.stop")
    assert "escriba START" in stopped and "QUITAR 1" in stopped


def test_the_stop_confirmation_says_what_stopped_and_how_to_undo_it(phone, session):
    (stopped,) = under_way(session, phone).text("stop texting me")
    assert "reminders included" in stopped
    assert "Text START" in stopped and "DROP 1" in stopped


@pytest.mark.parametrize("text", ["I want to stop getting these", "no me envíen más mensajes"])
def test_plain_words_to_stop_getting_texts_opt_out(phone, session, text):
    (stopped,) = under_way(session, phone).text(text)
    assert stopped in (say("en", "optout.stop"), say("es", "optout.stop"))


def test_no_meeting_text_offers_cancel_as_the_meeting_word():
    from app.prompts import load_catalog

    catalog = load_catalog()
    for language in catalog.languages:
        for key, text in catalog.texts[language].items():
            if key.startswith(("sms.", "reminder.", "waitlist.", "voice.text.")):
                assert "CANCEL" not in text.upper() or key.startswith("sms.facilitator"), key
