"""Security review M7: a member on a landline verifies with a one-time code by phone call, and
hears their meetings by phone call. The line asks them to hang up, calls them back a minute
later through the outbox and the real gateway, and the virtual phone of the simulator hears it.
"""

import re
from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.models import Member
from app.services import rsvps
from tests import factories
from tests.conftest import fresh
from tests.test_callback_calls import work

MEMBER = "+14155550100"
# English (every caller not yet verified hears the language menu), settings, set a PIN.
TO_THE_CODE_OFFER = ("1", "*", "4", "3")
CODE = re.compile(r"Your 6-digit code is: (\d), (\d), (\d)\. (\d), (\d), (\d)\.")


def landline_member(session) -> Member:
    row = factories.member(session, phone=MEMBER)
    session.commit()
    return row


def heard(call) -> str:
    return " ".join(call.said())


def a_minute_later(app, simulator):
    work(app, simulator, now=utcnow() + timedelta(minutes=2))


def test_a_landline_member_gets_the_code_by_call_read_twice_and_again_on_nine_then_sets_a_pin(
    app, session, simulator
):
    landline_member(session)
    simulator.phone(MEMBER).landline = True
    asking = simulator.call_line(MEMBER, *TO_THE_CODE_OFFER, "1")  # by call
    assert "Please hang up now. In about a minute, we will call this phone" in heard(asking)
    assert simulator.calls_to(MEMBER) == []  # nothing rings while they are on the line
    simulator.phone(MEMBER).answers("9", "1")
    a_minute_later(app, simulator)
    (code_call,) = [c for c in simulator.calls_to(MEMBER) if c.direction == "outbound-api"]
    codes = ["".join(found) for found in CODE.findall(heard(code_call))]
    assert len(codes) == 2 and codes[0] == codes[1]  # once on answering, once more after 9
    assert heard(code_call).count(", ".join(codes[0][:3])) == 4  # each time, said twice
    fresh(session).scalars(select(Member)).one().language = None  # the menu as in the first call
    session.commit()
    again = simulator.call_line(MEMBER, *TO_THE_CODE_OFFER, "4", codes[0], "1357")
    assert "Your PIN is set" in heard(again)
    assert fresh(session).scalars(select(Member)).one().pin_hash


def test_a_member_asking_for_their_meetings_by_call_is_called_back_and_hears_them(
    app, session, simulator
):
    member = landline_member(session)
    group = factories.group(session, name="Hope Circle", location_name="Mission Library")
    rsvps.create(session, member, factories.meeting(session, group).id, "voice")
    session.commit()
    asking = simulator.call_line(MEMBER, "1", "*", "2", "1")  # my meetings by call
    assert "we will call it in about a minute and read them to you" in heard(asking)
    simulator.phone(MEMBER).answers("1")
    a_minute_later(app, simulator)
    (meetings_call,) = [c for c in simulator.calls_to(MEMBER) if c.direction == "outbound-api"]
    assert "Your meetings: Hope Circle" in heard(meetings_call)
    assert "at Mission Library" in heard(meetings_call)


def test_a_code_call_that_comes_after_the_code_expired_says_so(
    app, session, simulator, redis_client
):
    landline_member(session)
    simulator.call_line(MEMBER, *TO_THE_CODE_OFFER, "1")  # by call
    for key in redis_client.scan_iter("phoneline:otp:*"):
        redis_client.delete(key)  # ten minutes have passed
    a_minute_later(app, simulator)
    (code_call,) = [c for c in simulator.calls_to(MEMBER) if c.direction == "outbound-api"]
    assert "The code we called about has expired" in heard(code_call)
    assert "code is" not in heard(code_call)
