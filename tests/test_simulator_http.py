"""The simulator as an HTTP server: speed, latency, faults, credentials, the control API."""

import statistics
import threading
import time

import pytest
import requests

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
from app.gateway import GatewayError
from app.simulator import Fault

MEMBER = "+14155550100"
AUTH = (PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN)


def messages_url(sim):
    return f"{sim.url}/2010-04-01/Accounts/{PLACEHOLDER_ACCOUNT_SID}/Messages.json"


def test_keep_alive_clients_do_not_stall_between_responses(bare_simulator, bare_gateway):
    sent = bare_gateway.send_sms(MEMBER, "Hello")
    durations = []
    for _ in range(40):
        started = time.perf_counter()
        bare_gateway.fetch_message(sent.sid)
        durations.append(time.perf_counter() - started)
    # A response written in two sends costs a keep-alive client ~40 ms every time (Nagle's
    # algorithm against delayed ACKs); the median ignores a busy machine's odd slow request.
    assert statistics.median(durations) < 0.015


def test_every_request_waits_the_configured_latency(bare_simulator, bare_gateway):
    bare_simulator.latency = 0.1
    started = time.perf_counter()
    bare_gateway.list_messages(MEMBER)
    assert time.perf_counter() - started >= 0.1


def test_a_slow_answer_arrives_late_but_arrives(bare_simulator, bare_gateway):
    bare_simulator.add_fault(Fault(status=0, delay=0.3))
    started = time.perf_counter()
    assert bare_gateway.send_sms(MEMBER, "Hello").status == "queued"
    assert time.perf_counter() - started >= 0.3


def test_a_5xx_before_recording_leaves_no_message(bare_simulator, bare_gateway):
    bare_simulator.add_fault(Fault(status=500))
    with pytest.raises(GatewayError) as failed:
        bare_gateway.send_sms(MEMBER, "Hello")
    assert (failed.value.status, failed.value.permanent) == (500, False)
    assert bare_simulator.messages_to(MEMBER) == []


def test_a_fault_is_used_up_after_its_times(bare_simulator, bare_gateway):
    bare_simulator.add_fault(Fault(status=503, times=2))
    for _ in range(2):
        with pytest.raises(GatewayError):
            bare_gateway.send_sms(MEMBER, "Hello")
    assert bare_gateway.send_sms(MEMBER, "Hello").status == "queued"


def test_a_fault_for_calls_leaves_messages_alone(bare_simulator, bare_gateway):
    bare_simulator.add_fault(Fault(status=503, resource="Calls"))
    assert bare_gateway.send_sms(MEMBER, "Hello").status == "queued"


def test_a_held_request_is_never_answered(bare_simulator):
    bare_simulator.add_fault(Fault(status=0, hold=True))
    with pytest.raises(requests.ReadTimeout):
        requests.post(messages_url(bare_simulator), auth=AUTH, timeout=0.3, data={"To": MEMBER})


def test_held_requests_are_let_go_when_released(bare_simulator):
    bare_simulator.add_fault(Fault(status=0, hold=True))
    outcome = []

    def post():
        try:
            requests.post(messages_url(bare_simulator), auth=AUTH, timeout=5, data={})
        except requests.ConnectionError:
            outcome.append("dropped")

    worker = threading.Thread(target=post)
    worker.start()
    time.sleep(0.1)
    bare_simulator.faults.release_held()
    worker.join(5)
    assert outcome == ["dropped"]


def test_wrong_credentials_get_twilio_s_401(bare_simulator):
    answer = requests.get(
        messages_url(bare_simulator), auth=(PLACEHOLDER_ACCOUNT_SID, "nope"), timeout=5
    )
    assert (answer.status_code, answer.json()["code"]) == (401, 20003)


def test_another_account_s_resources_are_not_found(bare_simulator):
    url = messages_url(bare_simulator).replace(PLACEHOLDER_ACCOUNT_SID, "AC" + "9" * 32)
    assert requests.get(url, auth=AUTH, timeout=5).status_code == 404


def test_every_request_is_recorded_to_measure_rates(bare_simulator, bare_gateway):
    for _ in range(3):
        bare_gateway.send_sms(MEMBER, "a" * 200)
    assert bare_simulator.peak_rate("Messages") == 3
    assert bare_simulator.peak_rate("Messages", segments=True) == 6


def test_the_control_api_lets_another_process_text_the_line(bare_simulator, fake_app):
    fake_app.documents["/twilio/sms"] = "<Response><Message>Welcome</Message></Response>"
    url = f"{bare_simulator.url}/_simulator/phones/{MEMBER}/texts"
    answer = requests.post(url, auth=AUTH, data={"Body": "hello"}, timeout=5)
    assert answer.json() == {"replies": ["Welcome"]}
    inbox = requests.get(url.replace("/texts", "/inbox"), auth=AUTH, timeout=5).json()
    assert inbox == {"inbox": ["Welcome"]}


def test_the_control_api_needs_the_credentials_too(bare_simulator):
    url = f"{bare_simulator.url}/_simulator/phones/{MEMBER}/inbox"
    assert requests.get(url, timeout=5).status_code == 401


def test_a_client_that_retries_after_a_5xx_after_recording_sends_twice(
    bare_simulator, bare_gateway
):
    bare_simulator.add_fault(Fault(status=500, when="after"))
    with pytest.raises(GatewayError):
        bare_gateway.send_sms(MEMBER, "Reminder")
    bare_gateway.send_sms(MEMBER, "Reminder")  # the naive retry the outbox must never make
    (twice,) = bare_simulator.duplicate_texts()
    assert [m.body for m in twice] == ["Reminder", "Reminder"]
