"""Security review L12: a number keyed in by a caller who withheld caller ID may be anyone's. The
line calls it for a facilitator at most three times a day, however many requests name it; a
caller's own number (caller ID) is not held back."""

from sqlalchemy import select

from app.models import CallbackRequest, OutboxItem, OutboxPurpose
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh
from tests.sms_phone import Phone

ANA = "+14155550123"
KEYED = "2125550142"
ASK = [("1", None), ("0", "enter the 10-digit phone number"), (KEYED, "I heard")]
FILE = [("1", "leave a short message"), ("2", "may we leave a voicemail"), ("hangup", None)]


def calls_placed(session) -> int:
    rows = fresh(session).scalars(
        select(OutboxItem).where(OutboxItem.purpose == OutboxPurpose.CALLBACK)
    )
    return len(rows.all())


def codes(session) -> list[str]:
    return [r.code for r in fresh(session).scalars(select(CallbackRequest).order_by("id"))]


def test_a_keyed_in_number_is_called_three_times_a_day_at_most_whatever_the_requests(
    twilio, session
):
    factories.facilitator(session, ANA)
    session.commit()
    ana = Phone(twilio, ANA)
    run_call(twilio, [*ASK, *FILE], caller="anonymous")
    (first,) = codes(session)
    ana.text(f"CLAIM {first}")
    answers = [ana.reply(f"CALL {first}") for _ in range(3)]
    assert all("The line is calling you now" in answer for answer in answers)
    ana.text(f"DONE {first}")
    run_call(twilio, [*ASK, *FILE], caller="anonymous")  # the same number, a new request
    second = codes(session)[1]
    ana.text(f"CLAIM {second}")
    refused = ana.reply(f"CALL {second}")
    assert f"has called the number of request {second} 3 times today" in refused
    assert calls_placed(session) == 3


def test_a_callers_own_number_is_called_as_often_as_a_facilitator_asks(twilio, session):
    factories.facilitator(session, ANA)
    session.commit()
    ana = Phone(twilio, ANA)
    run_call(twilio, [("1", None), ("0", "leave a short message"), *FILE[1:]])
    (code,) = codes(session)
    ana.text(f"CLAIM {code}")
    answers = [ana.reply(f"CALL {code}") for _ in range(4)]
    assert all("The line is calling you now" in answer for answer in answers)
    assert calls_placed(session) == 4
