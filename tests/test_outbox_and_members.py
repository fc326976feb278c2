from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
)
from app.services import members, outbox
from app.services.outbox import Outgoing

SECRET = "test-secret-key"


def reminder(**fields):
    values = dict(
        kind=OutboxKind.SMS,
        purpose=OutboxPurpose.REMINDER,
        recipient="+14155550101",
        template="sms.welcome",
        language="en",
    )
    values.update(fields)
    return Outgoing(**values)


def test_an_outbox_row_is_written_pending_with_its_purposes_priority(session):
    item = outbox.enqueue(session, reminder())
    crisis = outbox.enqueue(session, reminder(purpose=OutboxPurpose.CRISIS))
    assert item.status.value == "pending"
    assert crisis.priority < item.priority


def test_the_same_dedupe_key_is_enqueued_once(session):
    first = outbox.enqueue(session, reminder(dedupe_key="reminder:1:2h"))
    again = outbox.enqueue(session, reminder(dedupe_key="reminder:1:2h"))
    assert first.id == again.id
    assert session.scalar(select(func.count()).select_from(OutboxItem)) == 1


def test_due_rows_come_most_urgent_first_and_future_rows_wait(session):
    now = datetime.now(UTC)
    outbox.enqueue(session, reminder(due_at=now - timedelta(minutes=1)))
    outbox.enqueue(session, reminder(purpose=OutboxPurpose.REPLY, due_at=now))
    outbox.enqueue(session, reminder(due_at=now + timedelta(hours=1)))
    due = outbox.due(session, now, limit=10)
    assert [row.purpose for row in due] == [OutboxPurpose.REPLY, OutboxPurpose.REMINDER]


def test_a_member_is_found_or_created_once_per_number(session):
    first = members.find_or_create(session, "+14155550102", "es")
    again = members.find_or_create(session, "+14155550102")
    assert first.id == again.id and again.language == "es"


def test_the_latest_consent_entry_decides(session):
    phone = "+14155550103"
    assert not members.has_consent(session, phone, ConsentPurpose.BROADCASTS, SECRET)
    members.record_consent(
        session, phone, ConsentPurpose.BROADCASTS, True, ConsentSource.SMS, SECRET
    )
    assert members.has_consent(session, phone, ConsentPurpose.BROADCASTS, SECRET)
    members.revoke_all(session, phone, ConsentSource.CARRIER, SECRET)
    assert not members.has_consent(session, phone, ConsentPurpose.BROADCASTS, SECRET)


def test_the_consent_ledger_holds_no_number_and_survives_deleting_the_member(session):
    member = members.find_or_create(session, "+14155550104")
    members.record_consent(
        session, member.phone, ConsentPurpose.NOTICES, True, ConsentSource.PAPER, SECRET
    )
    session.delete(member)
    session.flush()
    assert session.scalar(select(func.count()).select_from(Member)) == 0
    (entry,) = session.scalars(select(ConsentEvent)).all()
    assert "5550104" not in entry.phone_hash
    assert members.has_consent(session, "+14155550104", ConsentPurpose.NOTICES, SECRET)
