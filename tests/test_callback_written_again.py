"""A member who keeps writing crisis words (SPEC §6, security review M5): every crisis text
counts on the urgent request, and whoever was told about it hears how many there have been, at
most once per window, never what they said."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    StaffNotice,
    StaffNoticeKind,
)
from app.prompts import load_catalog
from tests import factories
from tests.conftest import fresh
from tests.console_support import account, sign_in
from tests.sms_phone import Phone, texted, urgent_request
from workers.sweep import sweep_once

ANA = "+14155550123"
LEE = "+14155550140"
MORNING = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 10:00 in San Francisco
CRISIS = "i want to kill myself"
CATALOG = load_catalog()


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


@pytest.fixture
def ana_on_call(session):
    factories.facilitator(session, ANA, languages=["en"])
    factories.coordinator(session, LEE)
    session.commit()


@pytest.fixture
def morning(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


def reached_on_a_call(session):
    """The holder pressed 1 on the line's call, and the member answered."""
    from app.services import callbacks

    request = urgent_request(session)
    callbacks.start_call(session, request, request.claimed_at)
    callbacks.connected(request, request.claimed_at)
    session.commit()


def sweep_at(moment):
    sweep_once(db(), moment)


def written_again(code, count):
    return (
        f"Community Support Line: URGENT request {code}: the member has written again "
        f"(crisis texts so far: {count}). Text CLAIM {code} to take it."
    )


def test_it_tells_the_facilitator_how_many_times_the_member_wrote_once_per_window(
    phone, session, ana_on_call, morning
):
    for _ in range(30):
        phone.text(CRISIS)
    code = urgent_request(session).code
    assert len(texted(session, ANA)) == 1  # the alert that opened it, not thirty
    sweep_at(MORNING + timedelta(minutes=9))
    assert len(texted(session, ANA)) == 1
    sweep_at(MORNING + timedelta(minutes=10))
    assert texted(session, ANA)[1:] == [written_again(code, 30)]
    morning.move_to(MORNING + timedelta(minutes=12), tick=False)
    phone.text(CRISIS)
    phone.text(CRISIS)
    sweep_at(MORNING + timedelta(minutes=19))
    assert len(texted(session, ANA)) == 2
    sweep_at(MORNING + timedelta(minutes=20))
    assert texted(session, ANA)[2:] == [written_again(code, 32)]
    sweep_at(MORNING + timedelta(minutes=40))
    assert len(texted(session, ANA)) == 3


def test_it_tells_the_facilitator_who_holds_the_request_at_once_when_the_window_is_over(
    twilio, phone, session, ana_on_call, morning
):
    phone.text(CRISIS)
    code = urgent_request(session).code
    Phone(twilio, ANA).text(f"CLAIM {code}")
    morning.shift(timedelta(minutes=11))
    phone.text(CRISIS)
    assert texted(session, ANA)[-1] == (
        f"Community Support Line: URGENT. Your request {code}: the member has written again "
        f"(crisis texts so far: 2). Text CALL {code} to call them now."
    )


def test_it_tells_coordinators_when_no_facilitator_is_on_call(phone, session, morning):
    factories.coordinator(session, LEE)
    session.commit()
    phone.text(CRISIS)
    phone.text(CRISIS)
    code = urgent_request(session).code
    sweep_at(MORNING + timedelta(minutes=10))
    assert texted(session, LEE)[-1] == (
        f"Community Support Line staff: URGENT request {code} (en): the member has written "
        "again (crisis texts so far: 2). See the console."
    )
    kinds = fresh(session).scalars(select(StaffNotice.kind)).all()
    assert StaffNoticeKind.CRISIS_AGAIN in kinds


def test_it_sends_no_written_again_alert_once_the_request_is_closed(
    twilio, phone, session, ana_on_call, morning
):
    phone.text(CRISIS)
    phone.text(CRISIS)
    code = urgent_request(session).code
    facilitator = Phone(twilio, ANA)
    facilitator.text(f"CLAIM {code}")
    reached_on_a_call(session)
    assert "closed" in facilitator.text(f"DONE {code}")[0]
    before = len(texted(session, ANA))
    sweep_at(MORNING + timedelta(minutes=10))
    assert len(texted(session, ANA)) == before


def test_it_shows_coordinators_how_many_crisis_texts_an_urgent_request_has(app, phone, session):
    for _ in range(3):
        phone.text(CRISIS)
    console = app.test_client()
    sign_in(console, account(session, "lee@example.org", "coordinator"))
    page = console.get("/console/callbacks").get_data(as_text=True)
    assert "the member has written again: 3 crisis texts" in page
