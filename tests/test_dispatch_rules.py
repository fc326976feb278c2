"""What holds an automated text at send time (SPEC §9): quiet hours in the recipient's zone,
DST included, and consent for its purpose."""

from datetime import UTC, datetime

import time_machine

from app.models import (
    ConsentPurpose,
    ConsentSource,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    SmsStatus,
)
from app.services import members, outbox
from app.services.outbox import Outgoing
from tests import factories
from tests.conftest import fresh
from tests.outbox_support import SECRET, broadcast_text
from workers.dispatch import send_batch

SAN_FRANCISCO = "94110"  # America/Los_Angeles


def member_in_california(session):
    return factories.member(session, phone="+18005550150", zip=SAN_FRANCISCO)


def row(session, item) -> OutboxItem:
    return fresh(session).get(OutboxItem, item.id)


def test_a_broadcast_due_at_22_local_goes_at_the_end_of_quiet_hours(session, simulator):
    member = member_in_california(session)
    with time_machine.travel(datetime(2026, 11, 25, 6, 0, tzinfo=UTC), tick=False):  # 22:00 PST
        item = broadcast_text(session, member.phone, member_id=member.id)
        send_batch([item.id])
    held = row(session, item)
    assert held.status is OutboxStatus.PENDING
    assert held.due_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 PST
    assert simulator.messages_to(member.phone) == []


def test_the_end_of_quiet_hours_follows_the_clock_change(session, simulator):
    member = member_in_california(session)
    with time_machine.travel(datetime(2026, 3, 8, 7, 0, tzinfo=UTC), tick=False):  # 23:00 PST
        item = broadcast_text(session, member.phone, member_id=member.id)
        send_batch([item.id])
    assert row(session, item).due_at == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)  # 09:00 PDT


def test_a_postponed_text_is_not_counted_as_an_attempt(session, simulator):
    member = member_in_california(session)
    with time_machine.travel(datetime(2026, 11, 25, 6, 0, tzinfo=UTC), tick=False):
        item = broadcast_text(session, member.phone, member_id=member.id)
        send_batch([item.id])
    assert row(session, item).attempts == 0


def test_a_reply_at_night_goes_at_once(session, simulator):
    member = member_in_california(session)
    with time_machine.travel(datetime(2026, 11, 25, 6, 0, tzinfo=UTC), tick=True):
        item = outbox.enqueue(
            session,
            Outgoing(
                OutboxKind.SMS,
                OutboxPurpose.REPLY,
                member.phone,
                "broadcast.message",
                "en",
                params={"text": "Your callback is booked."},
            ),
        )
        session.commit()
        send_batch([item.id])
        simulator.wait_idle()
    assert len(simulator.messages_to(member.phone)) == 1


def test_a_member_who_revoked_broadcasts_after_it_was_planned_gets_nothing(session, simulator):
    item = broadcast_text(session, "+18005550151")
    members.record_consent(
        session, "+18005550151", ConsentPurpose.BROADCASTS, False, ConsentSource.SMS, SECRET
    )
    session.commit()
    with time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=True):
        send_batch([item.id])
    assert row(session, item).status is OutboxStatus.SKIPPED
    assert simulator.messages_to("+18005550151") == []


def test_a_paused_member_gets_no_automated_text(session, simulator):
    member = factories.member(session, phone="+18005550152", sms_status=SmsStatus.PAUSED)
    item = broadcast_text(session, member.phone, member_id=member.id)
    with time_machine.travel(datetime(2026, 11, 25, 20, 0, tzinfo=UTC), tick=True):
        send_batch([item.id])
    assert row(session, item).status is OutboxStatus.SKIPPED
    assert simulator.messages_to(member.phone) == []
