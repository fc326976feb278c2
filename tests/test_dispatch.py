"""Dispatch of outbox texts against the Twilio API simulator: claim, send, outcome, errors."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.models import Member, OutboxItem, OutboxStatus, SmsStatus, StaffNoticeKind
from app.services import staff
from app.simulator import Disorder, Fault
from tests import factories
from tests.conftest import fresh
from tests.outbox_support import broadcast_text, midday_zone
from workers.dispatch import send_batch
from workers.sweep import sweep_once

PHONE = "+18005550142"


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "0"  # these tests are about outcomes, not pace
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def a_text(session, phone=PHONE, text="Group moved to room 4.", **fields) -> OutboxItem:
    return broadcast_text(session, phone, text, **fields)


def row(session, item) -> OutboxItem:
    return fresh(session).get(OutboxItem, item.id)


def test_a_text_reaches_the_phone_with_the_line_name_and_stop_footer(session, simulator):
    item = a_text(session)
    send_batch([item.id])
    simulator.wait_idle()
    (message,) = simulator.messages_to(PHONE)
    assert message.body == "Community Support Line: Group moved to room 4. Reply STOP to end"


def test_a_sent_text_ends_delivered_with_its_sid_and_segments(session, simulator):
    item = a_text(session)
    send_batch([item.id])
    simulator.wait_idle()
    (message,) = simulator.messages_to(PHONE)
    done = row(session, item)
    assert (done.status, done.twilio_sid, done.segments) == (
        OutboxStatus.DELIVERED,
        message.sid,
        1,
    )


def test_a_spanish_speaker_gets_the_spanish_footer(session, simulator):
    item = a_text(session, text="Nos vemos el martes.", language="es")
    send_batch([item.id])
    simulator.wait_idle()
    assert simulator.messages_to(PHONE)[0].body.endswith("Responda PARAR para terminar")


def test_a_row_handed_out_twice_is_sent_once(session, simulator):
    item = a_text(session)
    send_batch([item.id, item.id])
    send_batch([item.id])
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1


def test_a_callback_that_arrives_before_the_sid_is_stored_still_lands(session, simulator):
    simulator.disorder = Disorder.EARLY
    item = a_text(session)
    send_batch([item.id])
    simulator.wait_idle()
    assert row(session, item).status is OutboxStatus.DELIVERED


def test_a_429_is_retried_later_not_lost(session, simulator):
    simulator.add_fault(Fault(status=429))
    item = a_text(session)
    send_batch([item.id])
    waiting = row(session, item)
    assert waiting.status is OutboxStatus.PENDING and waiting.due_at > utcnow()
    assert simulator.messages_to(PHONE) == []


def test_a_500_after_twilio_recorded_the_text_is_found_and_not_resent(session, simulator):
    simulator.disorder = Disorder.NEVER  # no callback to tell us: only the lists can
    simulator.add_fault(Fault(status=500, when="after"))
    item = a_text(session)
    send_batch([item.id])
    assert row(session, item).status is OutboxStatus.UNKNOWN
    sweep_once(_db(), utcnow())
    _drain()
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert row(session, item).twilio_sid == simulator.messages_to(PHONE)[0].sid


def test_a_500_before_anything_was_recorded_is_resent_once_after_two_looks(session, simulator):
    simulator.add_fault(Fault(status=500, when="before"))
    item = a_text(session)
    send_batch([item.id])
    now = utcnow()
    sweep_once(_db(), now)  # first look: nothing; look again in 60 s
    assert row(session, item).status is OutboxStatus.UNKNOWN
    sweep_once(_db(), now + timedelta(seconds=61))  # second look: nothing; resend
    _drain()
    simulator.wait_idle()
    assert len(simulator.messages_to(PHONE)) == 1
    assert row(session, item).status is OutboxStatus.DELIVERED


def test_21610_marks_the_member_blocked_and_fails_the_row(session, simulator):
    member = factories.member(session, phone="+15005550004")  # Twilio's "blocked" test number
    item = a_text(session, phone=member.phone, member_id=member.id)
    send_batch([item.id])
    assert (row(session, item).status, row(session, item).error_code) == (
        OutboxStatus.FAILED,
        21610,
    )
    assert fresh(session).get(Member, member.id).sms_status is SmsStatus.BLOCKED


def test_21211_marks_the_number_invalid(session, simulator):
    member = factories.member(session, phone="+15005550001")  # Twilio's "invalid" test number
    item = a_text(session, phone=member.phone, member_id=member.id)
    send_batch([item.id])
    assert fresh(session).get(Member, member.id).sms_status is SmsStatus.INVALID
    seen = staff.open_notices(fresh(session))
    assert [(n.kind, n.member_id) for n in seen] == [(StaffNoticeKind.INVALID_NUMBER, member.id)]


def test_30006_from_the_carrier_marks_the_number_as_not_taking_texts(session, simulator):
    member = factories.member(session, phone=PHONE)
    simulator.phone(PHONE).texts_fail("undelivered", 30006)
    item = a_text(session, member_id=member.id)
    send_batch([item.id])
    simulator.wait_idle()
    assert row(session, item).status is OutboxStatus.UNDELIVERED
    assert fresh(session).get(Member, member.id).sms_status is SmsStatus.NO_SMS


def test_three_30003s_in_a_row_pause_texts_to_the_member(session, simulator):
    member = factories.member(session, phone=PHONE)
    simulator.phone(PHONE).texts_fail("undelivered", 30003)
    for n in range(3):
        item = a_text(session, text=f"Notice {n}", member_id=member.id)
        send_batch([item.id])
        simulator.wait_idle()
    assert fresh(session).get(Member, member.id).sms_status is SmsStatus.PAUSED


def test_two_30003s_do_not_pause_texts(session, simulator):
    member = factories.member(session, phone=PHONE)
    simulator.phone(PHONE).texts_fail("undelivered", 30003)
    for n in range(2):
        send_batch([a_text(session, text=f"Notice {n}", member_id=member.id).id])
        simulator.wait_idle()
    assert fresh(session).get(Member, member.id).sms_status is SmsStatus.OK


def _db():
    from app.extensions import db

    return db()


def _drain():
    from flask import current_app

    from workers.worker import run_worker

    run_worker(current_app._get_current_object(), burst=True)  # type: ignore[attr-defined]
