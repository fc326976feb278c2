"""Facilitator texts (SPEC §8, §10): LIST, CLAIM, CALL, DONE, RELEASE in English and Spanish,
who is told what, and a facilitator's opt-out. Replies are read off the webhook; texts the line
sends later are read off the outbox, rendered as the workers would render them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app import segments
from app.db import utcnow
from app.models import (
    CallbackRequest,
    CallbackStatus,
    Facilitator,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    StaffNotice,
    StaffNoticeKind,
)
from app.prompts import load_catalog
from app.services import callbacks
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import Phone, texted

MEMBER = "+14155550100"
ANA = "+14155550123"
BEN = "+14155550124"
LEE = "+14155550140"
CATALOG = load_catalog()


@pytest.fixture
def ana(twilio, session):
    factories.facilitator(session, ANA, name="Ana R.", languages=["en", "es"])
    factories.facilitator(session, BEN, languages=["en"])
    factories.coordinator(session, LEE)
    session.commit()
    return Phone(twilio, ANA)


def member_asks(twilio, body="CALL"):
    return Phone(twilio, MEMBER).text(body)


def request_row(session):
    return fresh(session).scalars(select(CallbackRequest)).one()


def test_a_call_request_texts_on_call_facilitators_the_code_and_nothing_about_the_member(
    twilio, session, ana
):
    member_asks(twilio)
    member_asks(twilio, "my neighbour Maria, 415 555 0100, please call after 5")
    code = request_row(session).code
    (alert,) = texted(session, ANA)
    assert alert == (
        f"Community Support Line: call-back request {code}, English. Text CLAIM {code} to take it."
    )
    assert texted(session, BEN) == [alert]


def test_with_nobody_speaking_the_language_every_facilitator_is_told_an_interpreter_is_needed(
    twilio, session
):
    factories.facilitator(session, BEN, languages=["en"])
    session.commit()
    member_asks(twilio, "LLAMAR")
    (alert,) = texted(session, BEN)
    assert "Spanish. Interpreter needed." in alert


def test_with_nobody_on_call_an_urgent_request_goes_to_coordinators_at_once(twilio, session):
    factories.coordinator(session, LEE)
    factories.facilitator(session, ANA, on_call=False)
    session.commit()
    member_asks(twilio, "I want to kill myself")
    code = request_row(session).code
    (alert,) = texted(session, LEE)
    assert code in alert and "no answer" in alert
    assert texted(session, ANA) == []


def test_a_blocked_members_urgent_request_says_call_only(twilio, session, ana):
    factories.member(session, MEMBER, sms_status="blocked")
    session.commit()
    member_asks(twilio, "i want to die")
    assert "URGENT" in texted(session, ANA)[0]
    assert "Texts blocked, call only." in texted(session, ANA)[0]


def test_list_shows_open_codes_and_the_facilitators_own(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    assert ana.text("list") == [f"Open: {code} EN. Yours: none."]
    ana.text(f"claim {code}")
    assert ana.text("LISTA") == [f"Abiertos: ninguno. Suyos: {code}."]


def test_claim_gives_it_to_the_first_and_tells_the_others(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    (reply,) = ana.text(f"CLAIM {code}")
    assert reply.startswith(f"Request {code} is yours.")
    assert texted(session, BEN)[-1].endswith(
        f"request {code} was taken by another facilitator. Thank you."
    )
    assert texted(session, ANA)[1:] == []  # the claimer is not told it is taken
    assert Phone(twilio, BEN).text(f"CLAIM {code}") == [
        f"Sorry, request {code} was already taken. Thank you for offering. Text LIST for others."
    ]


def test_call_done_and_release_are_only_for_the_holder(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    assert "Text CLAIM" in ana.text(f"CALL {code}")[0]
    ana.text(f"TOMAR {code}")
    ben = Phone(twilio, BEN)
    for word in ("CALL", "DONE", "RELEASE"):
        assert "already taken" in ben.text(f"{word} {code}")[0]
    assert request_row(session).status is CallbackStatus.CLAIMED


def test_call_asks_the_line_to_ring_the_facilitator(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    ana.text(f"CLAIM {code}")
    assert ana.text(f"CALL {code}") == [
        f"The line is calling you now for request {code}. Answer and press 1 to connect."
    ]
    call = (
        fresh(session).scalars(select(OutboxItem).where(OutboxItem.kind == OutboxKind.CALL)).one()
    )
    assert (call.recipient, call.purpose) == (ANA, OutboxPurpose.CALLBACK)


def test_release_reopens_it_and_tells_the_others_again(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    ana.text(f"CLAIM {code}")
    assert ana.text(f"SOLTAR {code}") == [
        f"Listo, soltamos el pedido {code}. Avisamos a los otros facilitadores."
    ]
    request = request_row(session)
    assert (request.status, request.claimed_by_id) == (CallbackStatus.OPEN, None)
    assert request.released_at is not None
    assert len([t for t in texted(session, BEN) if "CLAIM" in t]) == 2
    assert len([t for t in texted(session, ANA) if "CLAIM" in t]) == 1


def the_line_called(session, member_answered=False):
    """What the masked call does to the request: the holder pressed 1, the member maybe too."""
    request = request_row(session)
    callbacks.start_call(session, request, utcnow())
    if member_answered:
        callbacks.connected(request, utcnow())
    session.commit()


def test_done_closes_it_and_its_code_is_no_longer_open(twilio, session, ana):
    member_asks(twilio)
    code = request_row(session).code
    ana.text(f"CLAIM {code}")
    the_line_called(session)
    assert ana.text(f"LISTO {code}") == [f"Gracias. Cerramos el pedido {code}."]
    assert request_row(session).status is CallbackStatus.DONE
    assert ana.text(f"DONE {code}") == [
        f"There is no open request {code}. Text LIST to see open requests."
    ]


@pytest.mark.parametrize("body", ["CLAIM", "CLAIM 12345", "hello", "MENU"])
def test_anything_else_gets_the_facilitator_commands(ana, body):
    (reply,) = ana.text(body)
    assert "LIST" in reply or "123456" in reply


def test_a_facilitator_who_texts_stop_is_taken_off_call_and_coordinators_are_told(
    twilio, session, ana
):
    assert ana.text("STOP", OptOutType="STOP") == []
    person = fresh(session).scalars(select(Facilitator).where(Facilitator.phone == ANA)).one()
    assert person.on_call is False
    notice = session.scalars(select(StaffNotice)).one()
    assert notice.kind is StaffNoticeKind.FACILITATOR_OPTED_OUT
    assert texted(session, LEE) == [
        "Community Support Line staff: facilitator Ana R. texted STOP and is now off call."
    ]


def test_a_facilitator_off_call_gets_no_new_alerts(twilio, session, ana):
    ana.text("PARAR")
    member_asks(twilio)
    assert texted(session, ANA) == []
    assert len(texted(session, BEN)) == 1


def test_escalation_is_timed_by_the_urgency(app, session):
    factories.facilitator(session, ANA)
    member = factories.member(session, MEMBER)
    now = utcnow()
    urgent = callbacks.NewRequest(member, "en", "crisis", urgent=True)
    config = app.extensions["phoneline"].config
    row = callbacks.file_request(session, urgent, config, CATALOG, now)
    assert row.next_escalation_at == now + timedelta(minutes=30)


def test_a_long_list_fits_the_reply_budget_and_says_how_many_more(session, ana):
    for n in range(30):
        member = factories.member(session, f"+1415555{200 + n:04d}")
        callbacks.open_request(
            session, callbacks.NewRequest(member, "en", "sms"), timedelta(hours=4)
        )
    session.commit()
    (reply,) = ana.text("LIST")
    assert "more. Yours: none." in reply
    assert segments.fits(reply, "en")


def test_an_old_request_is_not_called_back_in_the_members_night(twilio, session, ana):
    los_angeles = ZoneInfo("America/Los_Angeles")  # the member's 415 number
    with time_machine.travel(datetime(2026, 11, 10, 15, 0, tzinfo=los_angeles)):
        member_asks(twilio)
        code = request_row(session).code
        ana.text(f"CLAIM {code}")
    with time_machine.travel(datetime(2026, 11, 10, 23, 30, tzinfo=los_angeles)):
        assert ana.text(f"CALL {code}") == [
            f"It is night where the member is. Please text CALL {code} after 9:00 AM, their time."
        ]
    calls = select(OutboxItem).where(OutboxItem.kind == OutboxKind.CALL)
    assert fresh(session).scalars(calls).all() == []
    with time_machine.travel(datetime(2026, 11, 11, 9, 5, tzinfo=los_angeles)):
        assert ana.text(f"CALL {code}")[0].startswith("The line is calling you now")
