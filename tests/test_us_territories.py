"""With DEFAULT_REGION=US, numbers in US territories (Puerto Rico, the US Virgin Islands, Guam,
the Northern Mariana Islands, American Samoa) are US numbers: the line calls and texts them as
it does the states. Canada and the Caribbean nations that share +1 stay refused."""

import pytest
from sqlalchemy import select

from app.models import CallbackRequest
from app.phones import dialable
from app.simulator import SILENCE
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh
from tests.outbox_support import midday_zone
from tests.test_callback_calls import claimed_request, request_row, texts, work

US_MEMBER = "+14155550100"
US_FACILITATOR = "+14155550123"
PR_FACILITATOR = "+17875550123"
PR_MEMBER = "+19395550100"
CANADIAN = "+14165550100"
JAMAICAN = "+18765550100"

TERRITORIES = {
    "Puerto Rico": "+17875550100",
    "Puerto Rico (939)": "+19395550100",
    "US Virgin Islands": "+13405550100",
    "Guam": "+16715550100",
    "Northern Mariana Islands": "+16705550100",
    "American Samoa": "+16846331234",
}
OTHER_COUNTRIES_ON_PLUS_ONE = {
    "Canada": CANADIAN,
    "Jamaica": JAMAICAN,
    "Dominican Republic": "+18095550100",
}


@pytest.mark.parametrize("number", TERRITORIES.values(), ids=TERRITORIES.keys())
def test_a_us_line_may_call_and_text_numbers_in_us_territories(number):
    assert dialable(number, "US")


@pytest.mark.parametrize(
    "number", OTHER_COUNTRIES_ON_PLUS_ONE.values(), ids=OTHER_COUNTRIES_ON_PLUS_ONE.keys()
)
def test_a_us_line_refuses_other_countries_that_share_plus_one(number):
    assert not dialable(number, "US")


def bridged(simulator, facilitator, member):
    (to_facilitator,) = simulator.calls_to(facilitator)
    (to_member,) = [c for c in simulator.calls_to(member) if c.direction == "outbound-dial"]
    return to_member.bridged_with == to_facilitator.sid, " ".join(to_facilitator.said())


def test_a_puerto_rico_facilitator_answering_a_masked_callback_is_connected_to_the_member(
    app, session, simulator
):
    request = claimed_request(session, PR_FACILITATOR, member_phone=US_MEMBER)
    simulator.phone(PR_FACILITATOR).answers("1", SILENCE)
    simulator.phone(US_MEMBER).answers("1")
    simulator.text_line(PR_FACILITATOR, f"CALL {request.code}")
    work(app, simulator)
    connected, said = bridged(simulator, PR_FACILITATOR, US_MEMBER)
    assert connected and "not yours" not in said and "The call has ended" in said


def test_a_puerto_rico_member_who_texts_call_is_called_back(app, session, simulator):
    factories.facilitator(session, US_FACILITATOR, timezone=midday_zone())
    session.commit()
    assert "call you back" in simulator.text_line(PR_MEMBER, "CALL")[0]
    work(app, simulator)
    code = request_row(session).code
    assert any(f"CLAIM {code}" in text for text in texts(simulator, US_FACILITATOR))
    simulator.text_line(US_FACILITATOR, f"CLAIM {code}")
    simulator.phone(US_FACILITATOR).answers("1", SILENCE)
    simulator.phone(PR_MEMBER).answers("1")
    simulator.text_line(US_FACILITATOR, f"CALL {code}")
    work(app, simulator)
    connected, said = bridged(simulator, US_FACILITATOR, PR_MEMBER)
    assert connected and "cannot call this number" not in said


def test_a_canadian_members_request_is_never_dialled(app, session, simulator):
    request = claimed_request(session, US_FACILITATOR, member_phone=CANADIAN)
    simulator.phone(US_FACILITATOR).answers("1", SILENCE)
    simulator.text_line(US_FACILITATOR, f"CALL {request.code}")
    work(app, simulator)
    (to_facilitator,) = simulator.calls_to(US_FACILITATOR)
    assert "The line cannot call this number" in " ".join(to_facilitator.said())
    assert simulator.calls_to(CANADIAN) == []


def test_a_caller_from_puerto_rico_is_called_back_on_their_own_number(twilio, session):
    script = [("1", None), ("0", "The call will come from"), ("2", "may we leave a voicemail")]
    script += [("1", "Saved."), ("2", "Goodbye")]
    run_call(twilio, script, caller=PR_MEMBER)
    request = fresh(session).scalars(select(CallbackRequest)).one()
    assert request.member.phone == PR_MEMBER


def test_a_jamaican_caller_keys_in_a_number_and_a_jamaican_one_is_refused(twilio, session):
    script = [("1", None), ("0", "enter the 10-digit phone number")]
    run_call(twilio, [*script, ("8765550100", "We cannot call that number")], caller=JAMAICAN)
    assert fresh(session).scalars(select(CallbackRequest)).all() == []


def test_a_number_in_puerto_rico_keyed_in_by_a_caller_is_accepted(twilio):
    script = [("1", None), ("0", "enter the 10-digit phone number")]
    heard = [*script, ("7875550100", "I heard 7, 8, 7. 5, 5, 5. 0, 1, 0, 0.")]
    run_call(twilio, heard, caller="anonymous")
