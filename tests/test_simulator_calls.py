"""Virtual phones running the app's TwiML as Twilio would."""

from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from app.config import PLACEHOLDER_AUTH_TOKEN
from app.simulator import SILENCE, Disorder, HangUp, Keys, Speech, Talk, TerminalScript
from app.simulator.phones import typed_input

MEMBER = "+14155550100"
FACILITATOR = "+14155550123"
BASE = "http://127.0.0.1:5000"
STATUS = f"{BASE}/status/call?o=9"

GATHER = (
    'input="dtmf speech" timeout="8" numDigits="1" speechTimeout="auto" '
    'speechModel="numbers_and_commands" profanityFilter="false" hints="yes, no"'
)
MENU = (
    f'<Response><Gather {GATHER} action="/answer">'
    "<Say>To come, press 1.</Say></Gather><Say>Take your time.</Say></Response>"
)


REMINDER_TEXT = "This is a reminder of your meeting tomorrow evening at six."
REMINDER = f"<Response><Say>{REMINDER_TEXT}</Say></Response>"


def paths(fake_app):
    return [urlsplit(r.url).path for r in fake_app.received]


def run_call(gateway, simulator, path="/start", **kwargs):
    started = gateway.start_call(MEMBER, BASE + path, **kwargs)
    simulator.wait_idle()
    return simulator.store.calls[started.sid]


def test_a_key_press_is_posted_to_the_gather_action(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = MENU
    bare_simulator.phone(MEMBER).answers("1")
    run_call(bare_gateway, bare_simulator)
    (answer,) = fake_app.to("/answer")
    assert answer.params["Digits"] == "1"


def test_speech_is_posted_as_a_speech_result(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = MENU
    bare_simulator.phone(MEMBER).answers(Speech("yes please"))
    run_call(bare_gateway, bare_simulator)
    assert fake_app.to("/answer")[0].params["SpeechResult"] == "yes please"


def test_silence_runs_the_verb_after_the_gather(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = MENU
    bare_simulator.phone(MEMBER).answers(SILENCE)
    call = run_call(bare_gateway, bare_simulator)
    assert call.said() == ["To come, press 1.", "Take your time."]
    assert fake_app.to("/answer") == [] and call.problems == []


def test_the_end_of_a_document_hangs_up(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = "<Response><Say>Goodbye.</Say></Response>"
    call = run_call(bare_gateway, bare_simulator)
    assert (call.status, call.said()) == ("completed", ["Goodbye."])


def test_a_redirect_fetches_the_next_document(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = "<Response><Redirect>/next</Redirect></Response>"
    fake_app.documents["/next"] = "<Response><Say>Next step.</Say></Response>"
    assert run_call(bare_gateway, bare_simulator).said() == ["Next step."]


def test_status_callbacks_follow_the_call_in_order(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = "<Response><Say>Hello.</Say></Response>"
    run_call(bare_gateway, bare_simulator, status_callback=STATUS)
    received = [r.params for r in fake_app.to("/status/call")]
    assert [p["CallStatus"] for p in received] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [p["SequenceNumber"] for p in received] == ["0", "1", "2", "3"]
    assert "CallDuration" in received[-1]


def test_an_unanswered_call_fetches_no_twiml_and_says_so(bare_gateway, bare_simulator, fake_app):
    bare_simulator.phone(MEMBER).does_not_answer("busy")
    run_call(bare_gateway, bare_simulator, status_callback=STATUS)
    assert fake_app.to("/start") == []
    assert fake_app.to("/status/call")[-1].params["CallStatus"] == "busy"


def test_synchronous_machine_detection_tells_the_first_request(
    bare_gateway, bare_simulator, fake_app
):
    bare_simulator.phone(MEMBER).answers_as_machine()
    bare_gateway.client.calls.create(
        to=MEMBER, from_="+15005550006", url=BASE + "/start", machine_detection="Enable"
    )
    bare_simulator.wait_idle()
    assert fake_app.to("/start")[0].params["AnsweredBy"] == "machine_start"


def test_async_machine_detection_starts_the_message_at_once_then_reports(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = REMINDER
    call = run_call(bare_gateway, bare_simulator, async_amd_callback=BASE + "/amd")
    (verdict,) = fake_app.to("/amd")
    assert (verdict.params["AnsweredBy"], verdict.params["CallSid"]) == ("human", call.sid)
    assert paths(fake_app) == ["/start", "/amd"]  # the message had started
    assert "AnsweredBy" not in fake_app.to("/start")[0].params
    assert call.said() == [REMINDER_TEXT]


def test_a_machine_verdict_can_move_the_call_to_a_voicemail(bare_gateway, bare_simulator, fake_app):
    def on_verdict(params):
        if params["AnsweredBy"].startswith("machine"):
            bare_gateway.redirect_call(params["CallSid"], BASE + "/voicemail")
        return "<Response/>"

    fake_app.documents["/start"] = MENU
    fake_app.documents["/amd"] = on_verdict
    fake_app.documents["/voicemail"] = "<Response><Say>Neutral voicemail.</Say></Response>"
    bare_simulator.phone(MEMBER).answers_as_machine(greeting=5.0)  # ends while the menu waits
    call = run_call(bare_gateway, bare_simulator, async_amd_callback=BASE + "/amd")
    assert call.answered_by == "machine_end_beep"
    assert call.voicemail() == ["Neutral voicemail."]


def test_a_recording_is_made_posted_and_reported(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = (
        '<Response><Record action="/recorded" maxLength="120" '
        'recordingStatusCallback="/recording-status"/></Response>'
    )
    bare_simulator.phone(MEMBER).answers(Talk(8))
    run_call(bare_gateway, bare_simulator)
    (posted,) = fake_app.to("/recorded")
    assert posted.params["RecordingDuration"] == "13"  # 8 s talking, 5 s of silence ending it
    (status,) = fake_app.to("/recording-status")
    assert status.params["RecordingSid"] == posted.params["RecordingSid"]
    assert status.params["RecordingDuration"] == "8"  # trimmed of the silence
    assert bare_gateway.fetch_recording(posted.params["RecordingSid"]).duration == 8


def test_silence_at_a_record_skips_its_action(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = (
        '<Response><Record action="/recorded"/><Say>Nothing heard.</Say></Response>'
    )
    bare_simulator.phone(MEMBER).answers(SILENCE)
    call = run_call(bare_gateway, bare_simulator)
    assert fake_app.to("/recorded") == []
    assert call.said() == ["Nothing heard."]


def dial_document(screen=True):
    url = ' url="/screen"' if screen else ""
    return (
        '<Response><Dial action="/dialled" callerId="+15005550006">'
        f"<Number{url}>{FACILITATOR}</Number></Dial></Response>"
    )


SCREEN = (
    f'<Response><Gather {GATHER} action="/screened">'
    "<Say>Press 1 to talk now.</Say></Gather><Hangup/></Response>"
)


def test_a_dial_rings_another_virtual_phone_screens_it_and_bridges(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents.update({"/start": dial_document(), "/screen": SCREEN})
    bare_simulator.phone(FACILITATOR).answers("1")
    call = run_call(bare_gateway, bare_simulator)
    (leg,) = bare_simulator.calls_to(FACILITATOR)
    assert leg.said() == ["Press 1 to talk now."]
    assert (leg.parent_call_sid, call.bridged_with) == (call.sid, leg.sid)
    assert fake_app.to("/dialled")[0].params["DialCallStatus"] == "completed"


def test_a_screen_nobody_answers_does_not_bridge(bare_gateway, bare_simulator, fake_app):
    fake_app.documents.update({"/start": dial_document(), "/screen": SCREEN})
    bare_simulator.phone(FACILITATOR).answers_as_machine()
    call = run_call(bare_gateway, bare_simulator)
    assert call.bridged_with is None
    assert fake_app.to("/screened") == []


def test_a_dial_to_a_phone_that_does_not_answer_reports_no_answer(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = dial_document(screen=False)
    bare_simulator.phone(FACILITATOR).does_not_answer()
    run_call(bare_gateway, bare_simulator)
    assert fake_app.to("/dialled")[0].params["DialCallStatus"] == "no-answer"


def test_twiml_problems_are_kept_on_the_call(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = (
        '<Response><Gather input="dtmf" timeout="5"><Say>Hi</Say></Gather></Response>'
    )
    call = run_call(bare_gateway, bare_simulator)
    assert any("timeout" in p for p in call.problems)
    assert any("ends with <Gather>" in p for p in call.problems)


def test_an_app_error_is_heard_as_twilio_s_application_error(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = lambda params: None  # the app answers 500
    call = run_call(bare_gateway, bare_simulator)
    assert "application error" in call.said()[-1]
    assert any("HTTP 500" in p for p in call.problems)


def test_a_live_call_can_be_hung_up_through_the_api(bare_gateway, bare_simulator, fake_app):
    def hang_up(params):
        bare_gateway.hang_up(params["CallSid"])
        return MENU

    fake_app.documents["/start"] = hang_up
    bare_simulator.phone(MEMBER).answers("1")
    call = run_call(bare_gateway, bare_simulator)
    assert fake_app.to("/answer") == []
    assert call.status == "completed"


def test_a_flow_that_loops_forever_is_cut_off_and_reported(bare_gateway, bare_simulator, fake_app):
    fake_app.documents["/start"] = "<Response><Redirect>/start</Redirect></Response>"
    call = run_call(bare_gateway, bare_simulator)
    assert any("more than 200 documents" in p for p in call.problems)


def test_a_phone_can_call_the_line_with_a_stir_verdict(bare_simulator, fake_app):
    fake_app.documents["/twilio/voice"] = MENU
    call = bare_simulator.call_line(MEMBER, "2", stir="TN-Validation-Passed-A")
    first = fake_app.to("/twilio/voice")[0].params
    assert (first["From"], first["StirVerstat"]) == (MEMBER, "TN-Validation-Passed-A")
    assert first["CallStatus"] == "ringing" and first["Direction"] == "inbound"
    assert fake_app.to("/answer")[0].params["Digits"] == "2"
    assert call.direction == "inbound"


def test_a_caller_who_runs_out_of_script_hangs_up(bare_simulator, fake_app):
    fake_app.documents["/twilio/voice"] = MENU
    call = bare_simulator.call_line(MEMBER)
    assert call.said() == ["To come, press 1."]
    assert call.status == "completed"


@pytest.mark.parametrize(
    ("disorder", "expected"),
    [
        (
            Disorder.DUPLICATED,
            [s for s in ("initiated", "ringing", "in-progress", "completed") for _ in "xx"],
        ),
        (Disorder.OUT_OF_ORDER, ["completed", "in-progress", "ringing", "initiated"]),
        (Disorder.NEVER, []),
    ],
)
def test_call_status_callbacks_can_be_disordered(
    bare_gateway, bare_simulator, fake_app, disorder, expected
):
    fake_app.documents["/start"] = "<Response><Say>Hello.</Say></Response>"
    bare_simulator.disorder = disorder
    run_call(bare_gateway, bare_simulator, status_callback=STATUS)
    received = [r.params["CallStatus"] for r in fake_app.to("/status/call")]
    assert received == expected


def test_an_early_initiated_callback_arrives_before_the_call_is_created(
    bare_gateway, bare_simulator, fake_app
):
    bare_simulator.disorder = Disorder.EARLY
    bare_simulator.phone(MEMBER).does_not_answer()
    bare_gateway.start_call(MEMBER, BASE + "/start", status_callback=STATUS)
    assert fake_app.to("/status/call")[0].params["CallStatus"] == "initiated"


def test_every_request_of_a_call_is_signed_as_twilio_signs_it(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = (
        '<Response><Redirect method="GET">/next?step=2</Redirect></Response>'
    )
    run_call(bare_gateway, bare_simulator, status_callback=STATUS)
    validator = RequestValidator(PLACEHOLDER_AUTH_TOKEN)
    (fetched,) = fake_app.to("/next")
    assert fetched.method == "GET" and "CallSid=" in fetched.url and "step=2" in fetched.url
    for received in fake_app.received:
        params = received.params if received.method == "POST" else {}
        assert validator.validate(received.url, params, received.signature), received.url


def test_a_terminal_caller_hears_each_turn_and_speaks(bare_simulator, fake_app):
    fake_app.documents["/twilio/voice"] = MENU
    fake_app.documents["/answer"] = "<Response><Say>Thanks.</Say></Response>"
    typed, shown = iter(["I will come"]), []
    script = TerminalScript(lambda: next(typed, None), shown.append)
    call = bare_simulator.call_line(MEMBER, script=script)
    script.show(call)
    assert shown == ["[say] To come, press 1.", "[say] Thanks."]
    assert fake_app.to("/answer")[0].params["SpeechResult"] == "I will come"


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("", SILENCE),
        ("12#", Keys("12#")),
        ("*", Keys("*")),
        ("hangup", HangUp()),
        ("yes", Speech("yes")),
    ],
)
def test_a_typed_line_is_keys_speech_silence_or_a_hang_up(line, meant):
    assert typed_input(line) == meant
