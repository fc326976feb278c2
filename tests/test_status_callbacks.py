import pytest

from app.models import OutboxKind, OutboxPurpose, OutboxStatus
from app.services import outbox
from app.services.outbox import Outgoing
from tests.conftest import fresh


@pytest.fixture
def sent_sms(session):
    item = outbox.enqueue(
        session,
        Outgoing(OutboxKind.SMS, OutboxPurpose.REMINDER, "+14155550130", "sms.welcome", "en"),
    )
    item.status = OutboxStatus.SENDING
    session.commit()
    return item


def report(twilio, item, status, sid="SM" + "c" * 32, **extra):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1", **extra}
    return twilio.post(f"/twilio/status/message?o={item.id}", params)


def reload(session, item):
    return fresh(session).get(type(item), item.id)


def test_a_callback_before_the_sid_is_stored_finds_its_row_by_id(twilio, session, sent_sms):
    assert report(twilio, sent_sms, "sent").status_code == 204
    row = reload(session, sent_sms)
    assert (row.status, row.twilio_sid) == (OutboxStatus.SENT, "SM" + "c" * 32)


def test_delivered_is_final_and_a_late_sent_does_not_move_it_back(twilio, session, sent_sms):
    report(twilio, sent_sms, "delivered")
    report(twilio, sent_sms, "sent")
    row = reload(session, sent_sms)
    assert row.status is OutboxStatus.DELIVERED and row.final_at is not None


def test_a_duplicated_callback_changes_nothing_more(twilio, session, sent_sms):
    report(twilio, sent_sms, "undelivered", ErrorCode="30003")
    first = reload(session, sent_sms).final_at
    report(twilio, sent_sms, "undelivered", ErrorCode="30003")
    row = reload(session, sent_sms)
    assert (row.status, row.error_code, row.final_at) == (OutboxStatus.UNDELIVERED, 30003, first)


def test_a_callback_for_another_sid_is_ignored(twilio, session, sent_sms):
    report(twilio, sent_sms, "sent", sid="SM" + "d" * 32)
    report(twilio, sent_sms, "failed", sid="SM" + "e" * 32)
    assert reload(session, sent_sms).status is OutboxStatus.SENT


def test_a_call_that_was_busy_is_recorded_undelivered(twilio, session, sent_sms):
    params = {"CallSid": "CA" + "f" * 32, "CallStatus": "busy"}
    assert twilio.post(f"/twilio/status/call?o={sent_sms.id}", params).status_code == 204
    assert reload(session, sent_sms).status is OutboxStatus.UNDELIVERED


def test_a_status_callback_without_its_parameters_gets_400(twilio, sent_sms):
    assert twilio.post(f"/twilio/status/message?o={sent_sms.id}", {}).status_code == 400
    assert (
        twilio.post(
            "/twilio/status/message", {"MessageSid": "SM1", "MessageStatus": "sent"}
        ).status_code
        == 400
    )


def test_an_unsigned_status_callback_changes_nothing(client, session, sent_sms):
    response = client.post(
        f"/twilio/status/message?o={sent_sms.id}",
        data={"MessageSid": "SM1", "MessageStatus": "failed"},
    )
    assert response.status_code == 403
    assert reload(session, sent_sms).status is OutboxStatus.SENDING
