"""Answering-machine detection at the simulator as Twilio documents it: every ``AnsweredBy``
value, decided at its own moment while the call's TwiML plays (asynchronous), or before the
TwiML starts (synchronous), and what a machine's recording keeps."""

import pytest

MEMBER = "+14155550100"
LINE = "+15005550006"
BASE = "http://127.0.0.1:5000"
LONG = '<Response><Say>Hello, this is the line.</Say><Pause length="60"/></Response>'


def call_with_amd(gateway, simulator, mode="DetectMessageEnd", asynchronous=True, **more):
    options = {"async_amd": "true", "async_amd_status_callback": BASE + "/amd"}
    created = gateway.client.calls.create(
        to=MEMBER, from_=LINE, url=BASE + "/start", machine_detection=mode,
        **(options if asynchronous else {}), **more,
    )  # fmt: skip
    simulator.wait_idle()
    return simulator.store.calls[created.sid]


def verdict_of(fake_app):
    (posted,) = fake_app.to("/amd")
    return posted.params["AnsweredBy"], posted.params["MachineDetectionDuration"]


@pytest.mark.parametrize(
    ("phone", "mode", "expected"),
    [
        (lambda p: p.answers("1"), "DetectMessageEnd", ("human", "2400")),
        (lambda p: p.answers_as_machine(), "DetectMessageEnd", ("machine_end_beep", "12000")),
        (
            lambda p: p.answers_as_machine(end="silence"),
            "DetectMessageEnd",
            ("machine_end_silence", "12000"),
        ),
        (
            lambda p: p.answers_as_machine(end="other"),
            "DetectMessageEnd",
            ("machine_end_other", "12000"),
        ),
        (lambda p: p.answers_as_machine(), "Enable", ("machine_start", "2800")),
        (lambda p: p.answers_as_fax(), "DetectMessageEnd", ("fax", "3000")),
        (lambda p: p.answers_as_machine(greeting=45), "DetectMessageEnd", ("unknown", "30000")),
        (lambda p: p.detected_as("unknown", after=5), "Enable", ("unknown", "5000")),
    ],
)
def test_each_answer_gets_the_verdict_twilio_gives_it(
    bare_gateway, bare_simulator, fake_app, phone, mode, expected
):
    fake_app.documents["/start"] = LONG
    phone(bare_simulator.phone(MEMBER))
    call = call_with_amd(bare_gateway, bare_simulator, mode)
    assert verdict_of(fake_app) == expected
    assert bare_gateway.fetch_call(call.sid).answered_by == expected[0]


def test_machine_detection_timeout_bounds_the_wait_for_a_verdict(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = LONG
    bare_simulator.phone(MEMBER).answers_as_machine(greeting=12)
    call_with_amd(bare_gateway, bare_simulator, machine_detection_timeout=8)
    assert verdict_of(fake_app) == ("unknown", "8000")


def test_the_verdict_comes_after_the_message_started(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = LONG
    bare_simulator.phone(MEMBER).answers_as_machine()
    call_with_amd(bare_gateway, bare_simulator)
    paths = [r.url.removeprefix(BASE) for r in fake_app.received]
    assert paths == ["/start", "/amd"]
    assert "AnsweredBy" not in fake_app.to("/start")[0].params


def test_a_call_that_ends_before_detection_decides_is_unknown_afterwards(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = "<Response><Say>Hi.</Say></Response>"  # done in 0.4 s
    bare_simulator.phone(MEMBER).answers("1")
    call = call_with_amd(bare_gateway, bare_simulator, status_callback=BASE + "/status")
    order = [r.url.removeprefix(BASE) for r in fake_app.received]
    assert order == ["/start", "/status", "/amd"]  # the call had completed
    assert verdict_of(fake_app) == ("unknown", "400")
    assert call.status == "completed"


def test_synchronous_detection_waits_for_the_greeting_before_the_first_request(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = "<Response><Say>A message for you.</Say></Response>"
    bare_simulator.phone(MEMBER).answers_as_machine()
    call = call_with_amd(bare_gateway, bare_simulator, asynchronous=False)
    assert fake_app.to("/start")[0].params["AnsweredBy"] == "machine_end_beep"
    assert call.voicemail() == ["A message for you."]  # all of it, after the beep


def test_a_machine_records_only_what_plays_after_its_beep(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = (
        '<Response><Say>Before the beep.</Say><Pause length="15"/>'
        "<Say>After the beep.</Say></Response>"
    )
    bare_simulator.phone(MEMBER).answers_as_machine(greeting=12)
    call = call_with_amd(bare_gateway, bare_simulator)
    assert call.said() == ["Before the beep.", "After the beep."]
    assert call.voicemail() == ["After the beep."]


def test_a_verdict_hold_lets_the_app_move_the_call_at_the_beep(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = (
        "<Response><Say>"
        + "A long reminder that plays over the greeting. " * 8
        + "</Say></Response>"
    )
    fake_app.documents["/voicemail"] = "<Response><Say>Neutral message.</Say></Response>"
    bare_simulator.phone(MEMBER).answers_as_machine(greeting=10)
    verdict = bare_simulator.hold_calls(at="verdict")
    created = bare_gateway.client.calls.create(
        to=MEMBER, from_=LINE, url=BASE + "/start", machine_detection="DetectMessageEnd",
        async_amd="true", async_amd_status_callback=BASE + "/amd",
    )  # fmt: skip
    assert verdict.reached.wait(10)
    bare_gateway.redirect_call(created.sid, BASE + "/voicemail")
    verdict.release()
    bare_simulator.wait_idle()
    call = bare_simulator.store.calls[created.sid]
    assert call.voicemail() == ["Neutral message."]  # the reminder was cut at the beep
