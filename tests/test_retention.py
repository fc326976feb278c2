"""The retention job (SPEC §12): ``phoneline retention run`` once, and the same work in every
worker's sweep. Message content goes after ``RETENTION_MESSAGES`` (here and at Twilio), members
inactive ``RETENTION_INACTIVE_MEMBER`` are forgotten; the consent ledger and audit log stay."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cli import cli
from app.db import utcnow
from app.extensions import db
from app.models import (
    AuditEntry,
    Broadcast,
    CallbackRequest,
    CallbackStatus,
    ConsentPurpose,
    ConsentSource,
    Conversation,
    InboundMessage,
    Member,
    MessageDeletion,
    OutboxItem,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from app.phones import number_hash
from app.services import members
from app.simulator.faults import Fault
from tests import factories
from tests.conftest import fresh
from tests.test_privacy_cli import SECRET, sent_text
from workers.sweep import sweep_once

PHONE = "+14155550131"
LONG_AGO = timedelta(days=91)


def retention_run(app):
    result = app.test_cli_runner().invoke(cli, ["retention", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def test_old_texts_lose_their_content_but_keep_their_delivery_status(app, session):
    old = sent_text(recipient=PHONE, twilio_sid="SM" + "a" * 32, created_at=utcnow() - LONG_AGO)
    recent = sent_text(recipient=PHONE, created_at=utcnow() - timedelta(days=89))
    session.add_all([old, recent])
    session.commit()
    output = retention_run(app)
    assert "outbound messages emptied: 1" in output
    session = fresh(session)
    assert (old.recipient, old.body, old.params, old.twilio_sid) == ("", None, {}, None)
    assert (old.status, old.purpose, old.template) == (
        OutboxStatus.DELIVERED,
        recent.purpose,
        "reminder.sms",
    )
    assert recent.recipient == PHONE and recent.body is not None
    assert session.scalars(select(MessageDeletion.message_sid)).all() == ["SM" + "a" * 32]


@pytest.mark.parametrize(
    ("status", "still_looked_up", "kept"),
    [
        (OutboxStatus.PENDING, False, True),  # still waiting to go
        (OutboxStatus.UNKNOWN, True, True),  # still being looked up at Twilio
        (OutboxStatus.UNKNOWN, False, False),  # given up on: settled like any other
    ],
)
def test_an_unsettled_send_keeps_its_content_whatever_its_age(
    app, session, status, still_looked_up, kept
):
    row = sent_text(recipient=PHONE, status=status, created_at=utcnow() - LONG_AGO)
    row.next_check_at = utcnow() if still_looked_up else None
    session.add(row)
    session.commit()
    retention_run(app)
    assert (fresh(session).get(OutboxItem, row.id).recipient == PHONE) is kept


def closed_request(session, member, note, status=CallbackStatus.DONE):
    request = CallbackRequest(
        code="123456",
        member_id=member.id,
        language="en",
        source="sms",
        note=note,
        status=status,
        created_at=utcnow() - LONG_AGO,
        expires_at=utcnow() - LONG_AGO + timedelta(days=1),
    )
    session.add(request)
    session.flush()
    return request


def test_old_inbound_records_conversation_state_and_notes_are_deleted(app, session):
    member = factories.member(session, PHONE)
    session.add(
        InboundMessage(
            message_sid="SM" + "b" * 32,
            sender_hash=number_hash(PHONE, SECRET),
            received_at=utcnow() - LONG_AGO,
        )
    )
    session.add(Conversation(phone=PHONE, last_message_at=utcnow() - LONG_AGO, state={"n": 1}))
    done = closed_request(session, member, "please call after work")
    session.commit()
    output = retention_run(app)
    session = fresh(session)
    assert session.scalars(select(InboundMessage)).all() == []
    assert session.scalars(select(Conversation)).all() == []
    assert session.get(CallbackRequest, done.id).note is None
    assert session.scalars(select(MessageDeletion.message_sid)).all() == ["SM" + "b" * 32]
    assert "inbound messages deleted: 1" in output and "callback notes deleted: 1" in output


def test_an_open_requests_note_stays_however_old(app, session):
    member = factories.member(session, PHONE)
    still_open = closed_request(session, member, "call me", status=CallbackStatus.OPEN)
    session.commit()
    retention_run(app)
    assert fresh(session).get(CallbackRequest, still_open.id).note == "call me"


def test_an_old_broadcasts_texts_are_deleted_and_its_report_is_kept(app, session):
    sent = Broadcast(
        texts={"en": "Room 4 this week."},
        content_hash="f" * 64,
        send_at=utcnow() - LONG_AGO,
        created_by="coordinator@example.org",
        recipients=3,
    )
    session.add(sent)
    session.commit()
    retention_run(app)
    sent = fresh(session).get(Broadcast, sent.id)
    assert (sent.texts, sent.recipients) == ({}, 3)


def inactive_member(session, phone=PHONE):
    member = factories.member(session, phone, last_active_at=utcnow() - timedelta(days=366))
    members.record_consent(
        session, phone, ConsentPurpose.BROADCASTS, True, ConsentSource.SMS, SECRET
    )
    session.commit()
    return member


def test_inactive_members_are_deleted_and_their_consent_ledger_stays(app, session):
    inactive_member(session)
    factories.member(session, "+14155550132", last_active_at=utcnow() - timedelta(days=300))
    session.commit()
    output = retention_run(app)
    session = fresh(session)
    assert session.scalars(select(Member.phone)).all() == ["+14155550132"]
    assert members.has_consent(session, PHONE, ConsentPurpose.BROADCASTS, SECRET)
    assert "inactive members deleted: 1" in output


def test_an_inactive_member_with_a_meeting_ahead_or_an_open_request_is_kept(app, session):
    coming = inactive_member(session)
    meeting = factories.meeting(session, starts_in=timedelta(days=2))
    session.add(
        Rsvp(member_id=coming.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms")
    )
    waiting = inactive_member(session, "+14155550133")
    closed_request(session, waiting, None, status=CallbackStatus.CLAIMED)
    session.commit()
    retention_run(app)
    assert len(fresh(session).scalars(select(Member)).all()) == 2


def test_the_run_is_audited_with_counts_only(app, session):
    inactive_member(session)
    retention_run(app)
    entry = fresh(session).scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.target) == ("cli", "retention.run", None)
    assert entry.details == {"inactive members deleted": 1}


def test_every_workers_sweep_applies_retention_and_deletes_twilios_copy(app, session, simulator):
    simulator.text_line(PHONE, "HELP")
    simulator.wait_idle()
    inbound = fresh(session).scalars(select(InboundMessage.message_sid)).one()
    assert inbound in simulator.store.messages
    later = utcnow() + LONG_AGO
    first = sweep_once(db(), later)
    again = sweep_once(db(), later)
    assert fresh(session).scalars(select(InboundMessage)).all() == []
    assert inbound not in simulator.store.messages
    assert session.scalars(select(MessageDeletion)).all() == []
    assert first["apply_retention"] >= 1 and again["apply_retention"] == 0


def test_a_failed_delete_at_twilio_is_tried_again_later(app, session, simulator):
    simulator.text_line(PHONE, "HELP")
    simulator.wait_idle()
    inbound = fresh(session).scalars(select(InboundMessage.message_sid)).one()
    simulator.add_fault(Fault(status=503, resource="Messages", method="DELETE"))
    later = utcnow() + LONG_AGO
    sweep_once(db(), later)
    assert inbound in simulator.store.messages
    assert fresh(session).scalars(select(MessageDeletion.attempts)).all() == [1]
    sweep_once(db(), later + timedelta(minutes=11))
    assert inbound not in simulator.store.messages
    assert fresh(session).scalars(select(MessageDeletion)).all() == []


def test_a_member_who_only_ever_phones_counts_as_active(app, session, twilio):
    inactive_member(session)
    answer = twilio.call(From=PHONE)
    assert answer.status_code == 200
    retention_run(app)
    assert fresh(session).scalars(select(Member.phone)).all() == [PHONE]
