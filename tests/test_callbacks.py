from datetime import UTC, datetime, timedelta

from app.models import CallbackStatus
from app.services import callbacks
from app.services.callbacks import NewRequest
from tests import factories
from workers.sweep import sweep_once

ESCALATE = timedelta(hours=4)


def test_a_request_gets_a_six_digit_code_and_an_escalation_time(session):
    member = factories.member(session)
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    request = callbacks.open_request(session, NewRequest(member, "es", "sms"), ESCALATE, now)
    assert len(request.code) == 6 and request.code.isdigit()
    assert request.status is CallbackStatus.OPEN
    assert request.next_escalation_at == now + ESCALATE
    assert request.expires_at == now + timedelta(days=7)


def test_codes_are_unique_among_open_requests(session, monkeypatch):
    member = factories.member(session)
    draws = iter(["123456", "123456", "654321"])
    monkeypatch.setattr(callbacks, "new_code", lambda: next(draws))
    first = callbacks.open_request(session, NewRequest(member, "en", "voice"), ESCALATE)
    second = callbacks.open_request(session, NewRequest(member, "en", "voice"), ESCALATE)
    assert (first.code, second.code) == ("123456", "654321")


def test_a_closed_requests_code_can_be_drawn_again(session, monkeypatch):
    member = factories.member(session)
    monkeypatch.setattr(callbacks, "new_code", lambda: "111111")
    first = callbacks.open_request(session, NewRequest(member, "en", "voice"), ESCALATE)
    first.status = CallbackStatus.DONE
    session.flush()
    second = callbacks.open_request(session, NewRequest(member, "en", "voice"), ESCALATE)
    assert second.code == "111111"
    assert callbacks.open_by_code(session, "111111").id == second.id


def test_the_sweep_expires_requests_after_seven_days(app, session):
    member = factories.member(session)
    old = datetime.now(UTC) - timedelta(days=8)
    request = callbacks.open_request(session, NewRequest(member, "en", "sms"), ESCALATE, old)
    session.commit()
    assert sweep_once(app.extensions["phoneline"].db)["expire_callbacks"] == 1
    session.refresh(request)
    assert request.status is CallbackStatus.EXPIRED
    assert callbacks.open_by_code(session, request.code) is None
