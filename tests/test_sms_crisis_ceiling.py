"""A ceiling for crisis replies (SPEC §6, security review M5). A number's first crisis reply
always goes at once, whatever quiet hours or the flood guard; one more may follow, then at most
one per window. Every crisis text still counts on the urgent request and in the audit log."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import AuditEntry
from tests.conftest import fresh
from tests.sms_phone import MEMBER, Phone, say, urgent_request

MORNING = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 10:00 in San Francisco
CRISIS = "i want to kill myself"


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


@pytest.fixture
def morning(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


def test_it_answers_thirty_crisis_texts_at_once_twice_and_counts_all_thirty(phone, session):
    replies = [phone.text(CRISIS) for _ in range(30)]
    assert replies == [[say("en", "sms.crisis")]] * 2 + [[]] * 28
    assert urgent_request(session).crisis_texts == 30


def test_it_answers_a_crisis_text_every_forty_seconds_first_then_once_per_ten_minutes(
    phone, session, morning
):
    answered = []
    for n in range(30):  # over twenty minutes: below the flood guard's pace
        if phone.text(CRISIS) == [say("en", "sms.crisis")]:
            answered.append(n)
        morning.shift(timedelta(seconds=40))
    assert answered == [0, 1, 15]  # at 0:00 and 0:40, then 10:00; 20:00 would be the next
    assert urgent_request(session).crisis_texts == 30


def test_it_records_every_crisis_match_in_the_audit_log_without_words_or_number(phone, session):
    for _ in range(3):
        phone.text(CRISIS)
    request = urgent_request(session)
    entries = fresh(session).scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("sms", "crisis.match", f"callback:{request.id}")
    ] * 3
    assert [e.details["answered"] for e in entries] == [True, True, False]
    assert all({"rule", "list_version"} <= set(e.details) for e in entries)
    stored = " ".join(f"{e.target} {e.details}" for e in entries)
    # The rule's name is kept (it may share a word with the text); the member's words are not.
    assert "want" not in stored and "myself" not in stored and MEMBER[2:] not in stored


def test_it_answers_a_members_first_crisis_text_at_once_at_night_in_a_flood(phone, time_machine):
    time_machine.move_to(datetime(2026, 11, 26, 11, 0, tzinfo=UTC))  # 03:00 in San Francisco
    for _ in range(25):
        phone.text("MENU")  # the flood guard has answered its notice and is silent now
    assert phone.text("MENU") == []
    assert phone.text(CRISIS) == [say("en", "sms.crisis")]


def test_one_number_over_its_ceiling_does_not_hold_back_anothers_first_reply(phone, twilio):
    for _ in range(5):
        phone.text(CRISIS)
    assert Phone(twilio, "+14155550155").text(CRISIS) == [say("en", "sms.crisis")]


def test_a_stop_over_the_ceiling_still_gets_its_confirmation(phone):
    phone.text(CRISIS)
    phone.text(CRISIS)
    assert phone.text("stop texting me, I want to die") == [say("en", "optout.stop")]
