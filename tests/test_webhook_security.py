from sqlalchemy import func, select

from app.models import InboundMessage
from tests.conftest import BASE_URL, LINE_NUMBER
from tests.twiml_reading import spoken

SMS = {"MessageSid": "SM" + "a" * 32, "From": "+14155550100", "To": LINE_NUMBER, "Body": "hi"}


def inbound_count(session):
    return session.scalar(select(func.count()).select_from(InboundMessage))


def test_an_unsigned_sms_gets_403_and_changes_nothing(client, session):
    response = client.post("/twilio/sms", data=SMS)
    assert response.status_code == 403
    assert inbound_count(session) == 0


def test_a_request_signed_with_another_token_gets_403(twilio, session):
    response = twilio.post("/twilio/sms", SMS, token="someone-elses-token")
    assert response.status_code == 403
    assert inbound_count(session) == 0


def test_an_unsigned_call_gets_403(client):
    response = client.post("/twilio/voice", data={"CallSid": "CA1", "From": "+14155550100"})
    assert response.status_code == 403


def test_a_signed_sms_is_answered(twilio, session):
    assert twilio.post("/twilio/sms", SMS).status_code == 200
    assert inbound_count(session) == 1


def test_the_secondary_token_is_accepted_during_a_rotation(settings, twilio):
    from app import create_app
    from tests.conftest import Twilio

    settings["TWILIO_AUTH_TOKEN_SECONDARY"] = "next-token"
    rotated = Twilio(create_app(settings).test_client(), "next-token")
    assert rotated.post("/twilio/sms", SMS).status_code == 200


def test_stir_verstat_added_after_signing_is_tolerated(twilio):
    call = {"CallSid": "CA" + "2" * 32, "From": "+14155550100", "To": LINE_NUMBER}
    added = {**call, "StirVerstat": "TN-Validation-Passed-A"}
    response = twilio.post("/twilio/voice", added, signed_params=call)
    assert response.status_code == 200
    assert b"<Say" in response.data


def test_other_parameters_added_after_signing_are_refused(twilio):
    call = {"CallSid": "CA" + "2" * 32, "From": "+14155550100", "To": LINE_NUMBER}
    response = twilio.post("/twilio/voice", {**call, "Digits": "1"}, signed_params=call)
    assert response.status_code == 403


def test_the_signature_covers_the_query_string(twilio, client):
    from tests.twilio_signing import signature

    call = {"CallSid": "CA" + "3" * 32, "From": "+14155550100", "To": LINE_NUMBER}
    sig = signature(twilio.token, BASE_URL + "/twilio/voice/step?attempt=1", call)
    ok = client.post("/twilio/voice/step?attempt=1", data=call, headers={"X-Twilio-Signature": sig})
    tampered = client.post(
        "/twilio/voice/step?attempt=2", data=call, headers={"X-Twilio-Signature": sig}
    )
    assert (ok.status_code, tampered.status_code) == (200, 403)


def test_unknown_extra_parameters_are_accepted(twilio):
    assert twilio.post("/twilio/sms", {**SMS, "SomethingNew": "x"}).status_code == 200


def test_an_sms_missing_required_parameters_gets_400_and_changes_nothing(twilio, session):
    response = twilio.post("/twilio/sms", {"From": "+14155550100", "Body": "hi"})
    assert response.status_code == 400
    assert inbound_count(session) == 0


def test_a_call_missing_required_parameters_still_hears_an_apology(twilio):
    response = twilio.post("/twilio/voice", {"CallSid": "CA" + "4" * 32})
    assert response.status_code == 200
    assert b"something went wrong" in response.data
    assert b"<Hangup" in response.data


def test_every_twilio_route_refuses_an_unsigned_request(app, client):
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/twilio/")]
    assert routes, "the webhooks are registered"
    for rule in routes:
        path = rule.rule.replace("<", "").replace(">", "")
        assert client.post(path, data={"CallSid": "CA1"}).status_code == 403, rule.rule


def _member_with_a_meeting(session):
    from datetime import timedelta

    from app.services import rsvps
    from tests import factories

    member = factories.member(session, phone="+14155550100", language="en", reminder_channel="sms")
    group = factories.group(session, name="Hope Circle")
    meeting = factories.meeting(session, group, starts_in=timedelta(days=2))
    rsvps.create(session, member, meeting.id, "sms")
    session.commit()


def _call_through(twilio, keys, params, signed_params):
    """A call's requests, each signed over ``signed_params`` (and that request's Digits)."""
    from tests.twiml_reading import gathers

    answer = twilio.post("/twilio/voice", params, signed_params=signed_params)
    for key in keys:
        path = gathers(answer.data)[0].get("action").removeprefix(BASE_URL)
        digits = {"Digits": key}
        answer = twilio.post(path, {**params, **digits}, signed_params={**signed_params, **digits})
    return " ".join(spoken(answer.data))


def test_it_treats_stir_verstat_added_to_a_captured_request_as_an_unverified_caller(
    twilio, session
):
    _member_with_a_meeting(session)
    call = {"CallSid": "CA" + "5" * 32, "From": "+14155550100", "To": LINE_NUMBER}
    replayed = {**call, "StirVerstat": "TN-Validation-Passed-A"}
    heard = _call_through(twilio, ["1", "*", "2"], replayed, signed_params=call)
    assert "We can text or call this phone's number with your meetings" in heard
    assert "Hope Circle" not in heard


def test_it_trusts_stir_verstat_that_the_signature_covers(twilio, session):
    _member_with_a_meeting(session)
    call = {
        "CallSid": "CA" + "6" * 32,
        "From": "+14155550100",
        "To": LINE_NUMBER,
        "StirVerstat": "TN-Validation-Passed-A",
    }
    assert "Hope Circle" in _call_through(twilio, ["2"], call, signed_params=call)
