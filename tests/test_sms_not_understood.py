"""No cry answered with a shrug (SPEC §6, §8): every text the line cannot read is answered with
the 988/911 line, and a run of them still gets it, at most once every ten minutes."""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.sms_phone import MEMBER, Phone, say

CRISIS_LINE = {
    "en": "If you are in crisis, call or text 988. In an emergency, call 911.",
    "es": "Si se encuentra en crisis, llame o escriba al 988 (en español, llame y oprima 2). "
    "En una emergencia, llame al 911.",
}
NOT_UNDERSTOOD = {
    "en": "Sorry, I did not understand that. Text MENU to see what you can text.",
    "es": "Perdone, no pude entender su mensaje. Escriba MENU para ver lo que puede escribir.",
}


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


def member_who_texted_today(phone, session, language):
    factories.member(session, MEMBER, language=language)
    session.commit()
    phone.text("MENU")


@pytest.mark.parametrize("language", ["en", "es"])
def test_it_answers_a_text_it_cannot_read_with_didnt_understand_and_the_988_line(
    phone, session, language
):
    member_who_texted_today(phone, session, language)
    assert phone.text("is anyone there") == [f"{NOT_UNDERSTOOD[language]} {CRISIS_LINE[language]}"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_it_keeps_sending_the_988_line_alone_once_every_ten_minutes_after_three_in_a_row(
    phone, session, language, time_machine
):
    time_machine.move_to(datetime.now(UTC))
    member_who_texted_today(phone, session, language)
    for _ in range(3):
        phone.text("???")
    assert phone.text("???") == [CRISIS_LINE[language]]
    time_machine.shift(timedelta(minutes=4))
    assert [phone.text("???") for _ in range(3)] == [[], [], []]
    time_machine.shift(timedelta(minutes=6))
    assert phone.text("???") == [CRISIS_LINE[language]]
    assert phone.text("???") == []


@pytest.mark.parametrize("language", ["en", "es"])
def test_it_welcomes_a_new_conversation_it_cannot_read_with_911_and_988(phone, session, language):
    factories.member(session, MEMBER, language=language)
    session.commit()
    (welcome,) = phone.text("hello?")
    assert welcome == say(language, "sms.welcome")
    assert say(language, "sms.crisis_footer") in welcome
    assert "911" in welcome and "988" in welcome
