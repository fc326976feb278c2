"""Twilio misbehaving (SPEC §9, §15): slow answers, answers that never come, 429s and 500s on
calls. Beside tests/test_dispatch.py (texts: 429, 500 before and after) and
tests/test_outbox_exactly_once.py (killed workers, a flushed Redis): every case ends with the
member reached exactly once, nothing lost and nothing doubled."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from app.db import utcnow
from app.extensions import phoneline
from app.gateway import Gateway
from app.models import OutboxStatus
from app.simulator import Disorder, Fault
from tests.conftest import fresh
from tests.outbox_support import broadcast_text, midday_zone
from tests.test_dispatch_calls import reminder_call
from workers.dispatch import send_batch
from workers.sweep import sweep_once
from workers.worker import run_worker

PHONE = "+18005550142"
CALLED = "+18005550160"  # tests/test_dispatch_calls.py's reminder_call rings it


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "0"
    settings["CALLS_MAX_PER_SECOND"] = "0"
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


@pytest.fixture
def impatient(app, simulator):
    """The worker's gateway gives up on an answer after 0.3 s (in production: its timeout)."""
    ext = phoneline(app)
    ext.gateway = Gateway(replace(ext.config, twilio_api_base_url=simulator.url), timeout=0.3)
    yield
    simulator.faults.release_held()


def status(session, item):
    return fresh(session).get(type(item), item.id).status


def two_looks_and_drain(app, after: timedelta = timedelta(0)) -> None:
    """The sweep looks for an unknown send twice, 60 s apart, then hands out what is due."""
    now = utcnow() + after
    for step in (timedelta(0), timedelta(seconds=61)):
        sweep_once(phoneline(app).db, now + step)
        run_worker(app, burst=True)


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_slow_twilio_still_gets_the_text_sent_once(session, simulator):
    simulator.add_fault(Fault(status=0, delay=0.3))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert status(session, item) is OutboxStatus.DELIVERED


def test_an_answer_slower_than_the_timeout_is_found_not_resent(app, session, simulator, impatient):
    simulator.disorder = Disorder.NEVER  # only the lists can tell the line it went out
    simulator.add_fault(Fault(status=0, delay=0.6, when="after"))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    assert status(session, item) is OutboxStatus.UNKNOWN
    wait_for(lambda: len(simulator.messages_to(PHONE)) == 1)  # Twilio got there in the end
    two_looks_and_drain(app)
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert fresh(session).get(type(item), item.id).twilio_sid == simulator.messages_to(PHONE)[0].sid


def test_a_request_twilio_held_and_never_recorded_is_resent_once(
    app, session, simulator, impatient
):
    simulator.add_fault(Fault(status=0, hold=True, when="before"))
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    assert status(session, item) is OutboxStatus.UNKNOWN
    simulator.faults.release_held()
    two_looks_and_drain(app)
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert status(session, item) is OutboxStatus.DELIVERED


def test_a_429_on_a_call_rings_the_member_once_later(app, session, simulator):
    simulator.add_fault(Fault(status=429, resource="Calls"))
    item = reminder_call(session)
    send_batch([item.id])
    assert simulator.calls_to(CALLED) == []
    assert status(session, item) is OutboxStatus.PENDING
    two_looks_and_drain(app, after=timedelta(minutes=30))
    simulator.wait_idle()
    assert len(simulator.calls_to(CALLED)) == 1


def test_a_500_before_a_call_was_placed_rings_the_member_once_after_two_looks(
    app, session, simulator
):
    simulator.add_fault(Fault(status=500, when="before", resource="Calls"))
    item = reminder_call(session)
    send_batch([item.id])
    assert status(session, item) is OutboxStatus.UNKNOWN
    two_looks_and_drain(app)
    simulator.wait_idle()
    assert len(simulator.calls_to(CALLED)) == 1


def test_a_call_request_twilio_held_and_never_recorded_rings_the_member_once(
    app, session, simulator, impatient
):
    simulator.add_fault(Fault(status=0, hold=True, when="before", resource="Calls"))
    item = reminder_call(session)
    send_batch([item.id])
    assert status(session, item) is OutboxStatus.UNKNOWN
    simulator.faults.release_held()
    two_looks_and_drain(app)
    simulator.wait_idle()
    assert len(simulator.calls_to(CALLED)) == 1


@pytest.mark.parametrize(
    "disorder", [Disorder.EARLY, Disorder.DUPLICATED, Disorder.OUT_OF_ORDER, Disorder.IN_ORDER]
)
def test_status_callbacks_in_any_order_leave_one_text_delivered(session, simulator, disorder):
    simulator.disorder = disorder
    item = broadcast_text(session, PHONE)
    send_batch([item.id])
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert status(session, item) is OutboxStatus.DELIVERED
