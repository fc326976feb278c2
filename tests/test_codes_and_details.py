"""Security review M6, L7 and L12: what a call can make the line text to the number it presents.

One-time codes: at most two asks per call and three per number an hour, the live code sent again
rather than a new one, and never kept in the outbox. Group details: by the group's neutral alias
unless the caller is verified, and at most five texts per number an hour."""

import re

import time_machine
from sqlalchemy import select

from app.models import Member, OutboxItem
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh
from tests.test_voice_find import NOW, _group
from workers.dispatch import send_batch

MEMBER = "+14155550100"
STRANGER = "+14155550199"
VERIFIED = "TN-Validation-Passed-A"
# English (a caller the line does not know), settings, set a PIN: the one-time code offer.
TO_THE_CODE_OFFER = [("1", None), ("*", None), ("4", None), ("3", "check this is your phone")]
BY_TEXT = ("2", "enter the 6-digit code")
BACK = ("*", "check this is your phone")
LIMIT = "asked for several codes in the last hour"


def member(session):
    factories.member(session, phone=MEMBER)  # no language yet: the call starts the same way
    session.commit()


def unknown_language(session):
    """The next call starts at the language menu again, as every call here does."""
    fresh(session).scalars(select(Member)).one().language = None
    session.commit()


def rows(session) -> list[OutboxItem]:
    return list(fresh(session).scalars(select(OutboxItem).order_by(OutboxItem.id)))


def delivered(session, simulator, number) -> list[str]:
    send_batch([row.id for row in rows(session)])
    return [m.body for m in simulator.messages_to(number)]


def test_asking_again_in_the_same_call_sends_the_same_code_again(twilio, session, simulator):
    member(session)
    run_call(twilio, [*TO_THE_CODE_OFFER, BY_TEXT, BACK, BY_TEXT, ("hangup", None)], caller=MEMBER)
    codes = [re.search(r"\d{6}", text).group() for text in delivered(session, simulator, MEMBER)]
    assert len(codes) == 2 and codes[0] == codes[1]


def test_a_call_gets_two_codes_at_most_and_a_number_three_an_hour(twilio, session):
    member(session)
    third = [("2", LIMIT)]
    run_call(twilio, [*TO_THE_CODE_OFFER, BY_TEXT, BACK, BY_TEXT, BACK, *third], caller=MEMBER)
    unknown_language(session)
    run_call(twilio, [*TO_THE_CODE_OFFER, BY_TEXT, ("hangup", None)], caller=MEMBER)
    unknown_language(session)
    run_call(twilio, [*TO_THE_CODE_OFFER, ("1", LIMIT), ("hangup", None)], caller=MEMBER)  # call
    assert len(rows(session)) == 3


def test_a_stranger_hears_exactly_what_a_member_hears_asking_for_codes_again_and_again(
    twilio, session
):
    member(session)
    script = [*TO_THE_CODE_OFFER, BY_TEXT, BACK, BY_TEXT, BACK, ("2", LIMIT), ("hangup", None)]
    heard = [run_call(twilio, script, caller=number).said for number in (MEMBER, STRANGER)]
    assert heard[0] == heard[1]
    assert [row.recipient for row in rows(session)] == [MEMBER, MEMBER]


def test_a_code_is_texted_but_never_kept_in_the_outbox(twilio, session, simulator):
    member(session)
    run_call(twilio, [*TO_THE_CODE_OFFER, BY_TEXT, ("hangup", None)], caller=MEMBER)
    (text,) = delivered(session, simulator, MEMBER)
    code = re.search(r"\d{6}", text).group()
    (row,) = rows(session)
    assert code not in row.body and code not in str(row.params)
    assert row.body == text.replace(code, "••••••")


# --- group details ---------------------------------------------------------------------------

FIND = [("1", None), ("94110", "Open Door Youth")]


def open_door(session):
    _group(session, "94110", name="Open Door Youth", alias="Tuesday evening group")
    session.commit()


@time_machine.travel(NOW, tick=False)
def test_an_unverified_caller_gets_the_details_under_the_groups_neutral_alias(
    twilio, session, simulator
):
    open_door(session)
    said = "To keep your privacy, the text calls this group Tuesday evening group"
    run_call(twilio, [*FIND, ("2", said)], caller=STRANGER)
    (text,) = delivered(session, simulator, STRANGER)
    assert "Tuesday evening group" in text and "Open Door" not in text


@time_machine.travel(NOW, tick=False)
def test_a_verified_caller_gets_the_details_under_the_groups_name(twilio, session, simulator):
    open_door(session)
    run_call(twilio, [*FIND, ("2", "sending the details by text")], caller=STRANGER, stir=VERIFIED)
    (text,) = delivered(session, simulator, STRANGER)
    assert "Open Door Youth" in text


@time_machine.travel(NOW, tick=False)
def test_one_number_gets_five_details_texts_an_hour_whoever_calls(twilio, session):
    open_door(session)
    for _ in range(5):
        run_call(twilio, [*FIND, ("2", "sending the details"), ("2", "sending the details")])
    run_call(twilio, [*FIND, ("2", "This phone has been sent several texts in the last hour")])
    assert len(rows(session)) == 5
