"""The gateway against the simulator, through the real ``twilio`` client."""

from datetime import timedelta

import pytest

from app.db import utcnow
from app.gateway import GatewayError
from app.simulator import SILENCE, Fault
from tests.simulator_fixtures import API_KEY_SECRET, API_KEY_SID, gateway_for

MEMBER = "+14155550100"
STATUS_URL = "http://127.0.0.1:5000/twilio/status/message?o=7"


def test_a_text_reaches_the_member_s_phone(gateway, simulator):
    sent = gateway.send_sms(MEMBER, "Your meeting is tomorrow at 6:30 PM.")
    simulator.wait_idle()
    assert simulator.phone(MEMBER).inbox == ["Your meeting is tomorrow at 6:30 PM."]
    assert gateway.fetch_message(sent.sid).status == "delivered"


def test_a_text_reports_its_segments(gateway):
    assert gateway.send_sms(MEMBER, "x" * 161).num_segments == 2


def test_a_number_that_texted_stop_is_refused_with_21610_for_good(gateway, simulator):
    simulator.text_line(MEMBER, "STOP")
    with pytest.raises(GatewayError) as refused:
        gateway.send_sms(MEMBER, "Reminder")
    assert (refused.value.code, refused.value.permanent) == (21610, True)
    assert simulator.phone(MEMBER).inbox[-1] != "Reminder"


def test_an_invalid_number_is_a_permanent_21211_that_does_not_repeat_the_number(gateway):
    with pytest.raises(GatewayError) as refused:
        gateway.send_sms("+15005550001", "Reminder")
    assert (refused.value.code, refused.value.status, refused.value.permanent) == (21211, 400, True)
    assert "5550001" not in str(refused.value) and "5550001" not in repr(refused.value.args)


def test_a_429_is_transient_and_nothing_was_sent(gateway, simulator):
    simulator.add_fault(Fault(status=429))
    with pytest.raises(GatewayError) as limited:
        gateway.send_sms(MEMBER, "Reminder")
    assert (limited.value.code, limited.value.permanent, limited.value.maybe_sent) == (
        20429,
        False,
        False,
    )
    assert simulator.messages_to(MEMBER) == []


def test_a_503_after_twilio_recorded_the_text_is_transient_and_may_have_been_sent(
    gateway, simulator
):
    simulator.add_fault(Fault(status=503, when="after"))
    with pytest.raises(GatewayError) as failed:
        gateway.send_sms(MEMBER, "Reminder")
    assert (failed.value.permanent, failed.value.maybe_sent) == (False, True)
    simulator.wait_idle()
    assert simulator.phone(MEMBER).inbox == ["Reminder"]


def test_the_text_that_may_have_been_sent_can_be_found_by_listing(gateway, simulator):
    claimed_at = utcnow() - timedelta(seconds=1)
    simulator.add_fault(Fault(status=500, when="after"))
    with pytest.raises(GatewayError):
        gateway.send_sms(MEMBER, "Reminder")
    simulator.wait_idle()
    (found,) = gateway.list_messages(MEMBER, created_after=claimed_at)
    assert found.body == "Reminder"


def test_a_text_twilio_still_holds_queued_is_listed_though_not_yet_sent(gateway, simulator):
    claimed_at = utcnow() - timedelta(seconds=1)
    simulator.carrier.hold()  # beyond the sender's throughput: no date_sent yet
    simulator.add_fault(Fault(status=500, when="after"))
    with pytest.raises(GatewayError):
        gateway.send_sms(MEMBER, "Reminder")
    (found,) = gateway.list_messages(MEMBER, created_after=claimed_at)
    assert (found.body, found.status, found.date_sent) == ("Reminder", "queued", None)
    simulator.carrier.release()


def test_texts_created_before_the_claim_are_not_listed(gateway, simulator):
    gateway.send_sms(MEMBER, "Yesterday's reminder")
    simulator.wait_idle()
    later = utcnow() + timedelta(seconds=5)
    assert gateway.list_messages(MEMBER, created_after=later) == []


def test_a_request_twilio_never_answers_is_transient_and_may_have_been_sent(simulator, tmp_path):
    impatient = gateway_for(simulator.url, tmp_path, timeout=0.3)
    simulator.add_fault(Fault(status=0, hold=True, when="after"))
    with pytest.raises(GatewayError) as timed_out:
        impatient.send_sms(MEMBER, "Reminder")
    assert (timed_out.value.code, timed_out.value.permanent) == (None, False)
    assert timed_out.value.maybe_sent


def test_an_unreachable_twilio_is_transient_and_certainly_not_sent(tmp_path):
    nowhere = gateway_for("http://127.0.0.1:9", tmp_path)
    with pytest.raises(GatewayError) as refused:
        nowhere.send_sms(MEMBER, "Reminder")
    assert (refused.value.permanent, refused.value.maybe_sent) == (False, False)


def test_a_call_runs_the_line_s_twiml_on_the_virtual_phone_to_the_end(gateway, simulator):
    # English, then silent at the main menu until the line offers a callback and says goodbye.
    simulator.phone(MEMBER).answers("1", SILENCE, SILENCE, SILENCE)
    started = gateway.start_call(MEMBER, "http://127.0.0.1:5000/twilio/voice")
    simulator.wait_idle()
    call = simulator.store.calls[started.sid]
    assert call.said()[-1] == "Thank you for calling Community Support Line. Goodbye."
    assert call.problems == []
    assert gateway.fetch_call(started.sid).status == "completed"


def test_calls_to_a_number_can_be_listed(gateway, simulator):
    simulator.phone(MEMBER).does_not_answer()
    started = gateway.start_call(MEMBER, "http://127.0.0.1:5000/twilio/voice")
    simulator.wait_idle()
    (listed,) = gateway.list_calls(MEMBER)
    assert (listed.sid, listed.status) == (started.sid, "no-answer")


def test_a_recording_is_fetched_then_deleted(gateway, simulator):
    call = simulator.add_call(to=MEMBER, from_="+15005550006", direction="inbound", url=None)
    recording = simulator.add_recording(call, seconds=12)
    assert gateway.fetch_recording(recording.sid).duration == 12
    assert gateway.fetch_recording_audio(recording.sid).startswith(b"RIFF")
    gateway.delete_recording(recording.sid)
    with pytest.raises(GatewayError) as gone:
        gateway.fetch_recording(recording.sid)
    assert (gone.value.status, gone.value.permanent) == (404, True)


def test_a_delivered_text_can_be_deleted_at_twilio(gateway, simulator):
    sent = gateway.send_sms(MEMBER, "Reminder")
    simulator.wait_idle()
    gateway.delete_message(sent.sid)
    assert simulator.messages_to(MEMBER) == []


def test_api_key_credentials_are_used_when_configured(bare_simulator, tmp_path):
    keyed = gateway_for(
        bare_simulator.url,
        tmp_path,
        TWILIO_API_KEY_SID=API_KEY_SID,
        TWILIO_API_KEY_SECRET=API_KEY_SECRET,
        TWILIO_AUTH_TOKEN="not-the-rest-credential",
    )
    assert keyed.send_sms(MEMBER, "Reminder").status == "queued"


def test_wrong_credentials_are_transient_so_queued_texts_survive_a_key_rotation(
    bare_simulator, tmp_path
):
    wrong = gateway_for(bare_simulator.url, tmp_path, TWILIO_AUTH_TOKEN="wrong")
    with pytest.raises(GatewayError) as refused:
        wrong.send_sms(MEMBER, "Reminder")
    assert (refused.value.code, refused.value.status, refused.value.permanent) == (
        20003,
        401,
        False,
    )


def test_a_messaging_service_sends_instead_of_the_line_s_number(bare_simulator, tmp_path):
    service = gateway_for(
        bare_simulator.url, tmp_path, TWILIO_MESSAGING_SERVICE_SID="MG" + "2" * 32
    )
    sent = service.send_sms(MEMBER, "Reminder")
    assert sent.status == "accepted"


def test_the_app_factory_binds_a_gateway_pointed_at_the_configured_base_url(app, simulator):
    from app.extensions import gateway

    assert gateway().http.base_url == simulator.url
