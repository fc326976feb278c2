"""Carrier keywords against the Twilio API simulator's carrier emulation (SPEC §8, §15): what a
phone really receives, Twilio's reply and the line's together."""

import pytest
from sqlalchemy import select

pytest.importorskip("app.simulator")  # the simulator stream (issue 4) may land after this one

from app.models import ConsentEvent, Member, SmsStatus
from tests.conftest import fresh
from tests.sms_phone import say

MEMBER = "+14155550123"


def received(simulator, body):
    """Everything that reached the phone in this exchange (carrier replies included)."""
    return simulator.text_line(MEMBER, body)


def carrier_reply(replies):
    return [r for r in replies if r.startswith("<carrier")]


@pytest.mark.parametrize("body", ["STOP", "stop.", "Stop!", "unsubscribe"])
def test_a_stop_the_carrier_catches_gets_only_its_confirmation(simulator, session, body):
    replies = received(simulator, body)
    assert len(replies) == 1 and carrier_reply(replies) == replies
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.BLOCKED
    assert not any(fresh(session).scalars(select(ConsentEvent.granted)))


@pytest.mark.parametrize(
    ("body", "language"), [("stop texting me", "en"), ("CANCELAR", "es"), ("no más", "es")]
)
def test_a_stop_the_carrier_misses_gets_the_lines_one_confirmation(
    simulator, session, body, language
):
    assert received(simulator, body) == [say(language, "optout.stop")]


def test_after_a_carrier_stop_nothing_reaches_the_phone_until_start(simulator):
    received(simulator, "STOP")
    assert received(simulator, "MENU") == []
    assert carrier_reply(received(simulator, "START")) == ["<carrier START reply>"]
    assert received(simulator, "MENU") == [say("en", "sms.menu")]


def test_stop_texting_me_with_a_crisis_phrase_reaches_the_phone_as_one_text(simulator):
    (text,) = received(simulator, "stop texting me, I want to die")
    assert text.startswith(say("en", "sms.crisis"))
    assert text.endswith(say("en", "optout.stop_short"))
