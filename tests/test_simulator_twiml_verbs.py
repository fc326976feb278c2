"""How a virtual caller leaves a ``<Record>`` or a ``<Gather>``, and how an answer's Content-Type
is run, each as Twilio documents it (sources in docs/simulator.md)."""

import pytest

from app.simulator import SILENCE, HangUp, Keys, Speech, Talk
from app.simulator.webhooks import Answer

MEMBER = "+14155550100"
BASE = "http://127.0.0.1:5000"
THANKS = "<Response><Say>Thanks.</Say><Hangup/></Response>"
GATHER = (
    'input="dtmf speech" timeout="8" speechTimeout="auto" speechModel="numbers_and_commands" '
    'profanityFilter="false" hints="yes, no"'
)


def record_document(**attributes):
    written = " ".join(f'{name}="{value}"' for name, value in attributes.items())
    return (
        f'<Response><Record action="/recorded" recordingStatusCallback="/recording-status" '
        f"{written}/><Say>After the recording.</Say></Response>"
    )


def record(gateway, simulator, fake_app, caller_does, **attributes):
    """A call that records the caller, then runs the action's answer."""
    fake_app.documents.update({"/start": record_document(**attributes), "/recorded": THANKS})
    simulator.phone(MEMBER).answers(caller_does)
    started = gateway.start_call(MEMBER, BASE + "/start")
    simulator.wait_idle()
    return simulator.store.calls[started.sid]


def posted(fake_app):
    (request,) = fake_app.to("/recorded")
    return request.params


def test_a_caller_who_hangs_up_after_speaking_ends_the_call_with_digits_hangup(
    bare_gateway, bare_simulator, fake_app
):
    call = record(bare_gateway, bare_simulator, fake_app, Talk(6, then=HangUp()))
    params = posted(fake_app)
    assert (params["Digits"], params["RecordingDuration"]) == ("hangup", "6")
    assert params["CallStatus"] == "completed"
    assert call.said() == []  # neither the action's answer nor the verb after <Record> ran
    assert call.status == "completed" and call.problems == []


def test_a_caller_who_stays_silent_ends_the_recording_by_its_timeout(
    bare_gateway, bare_simulator, fake_app
):
    call = record(bare_gateway, bare_simulator, fake_app, Talk(6, then=SILENCE), timeout="8")
    params = posted(fake_app)
    assert "Digits" not in params and params["RecordingDuration"] == "14"
    assert fake_app.to("/recording-status")[0].params["RecordingDuration"] == "6"
    assert call.said() == ["Thanks."]


def test_an_untrimmed_recording_keeps_the_silence_that_ended_it(
    bare_gateway, bare_simulator, fake_app
):
    record(bare_gateway, bare_simulator, fake_app, Talk(6), timeout="8", trim="do-not-trim")
    assert fake_app.to("/recording-status")[0].params["RecordingDuration"] == "14"


def test_talking_past_max_length_is_cut_off_there(bare_gateway, bare_simulator, fake_app):
    call = record(bare_gateway, bare_simulator, fake_app, Talk(300), maxLength="120")
    params = posted(fake_app)
    assert "Digits" not in params and params["RecordingDuration"] == "120"
    assert call.said() == ["Thanks."]


def test_a_caller_cut_off_at_max_length_who_hangs_up_leaves_at_the_next_wait(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/recorded"] = (
        f'<Response><Gather {GATHER} action="/answer"><Say>Press 1.</Say></Gather>'
        "<Say>Still there?</Say></Response>"
    )
    fake_app.documents["/start"] = record_document(maxLength="120")
    bare_simulator.phone(MEMBER).answers(Talk(300, then=HangUp()), "1")
    bare_gateway.start_call(MEMBER, BASE + "/start")
    bare_simulator.wait_idle()
    assert posted(fake_app)["RecordingDuration"] == "120"
    assert fake_app.to("/answer") == []


def test_a_key_of_finish_on_key_ends_the_recording_and_only_that_key_is_posted(
    bare_gateway, bare_simulator, fake_app
):
    call = record(
        bare_gateway, bare_simulator, fake_app, Talk(6, then=Keys("12#")), finishOnKey="#"
    )
    assert (posted(fake_app)["Digits"], posted(fake_app)["RecordingDuration"]) == ("#", "6")
    assert call.said() == ["Thanks."]


def test_any_key_ends_a_recording_by_default(bare_gateway, bare_simulator, fake_app):
    record(bare_gateway, bare_simulator, fake_app, Talk(6, then=Keys("3")))
    assert posted(fake_app)["Digits"] == "3"


def test_keys_that_do_not_finish_the_recording_are_only_sound(
    bare_gateway, bare_simulator, fake_app
):
    record(bare_gateway, bare_simulator, fake_app, Talk(6, then=Keys("12")), finishOnKey="#")
    assert "Digits" not in posted(fake_app)


@pytest.mark.parametrize("caller_does", [SILENCE, Keys("#"), Talk(0)], ids=str)
def test_an_empty_recording_skips_the_action_and_runs_the_next_verb(
    bare_gateway, bare_simulator, fake_app, caller_does
):
    call = record(bare_gateway, bare_simulator, fake_app, caller_does, finishOnKey="#")
    assert fake_app.to("/recorded") == [] and bare_simulator.store.recordings == {}
    assert call.said() == ["After the recording."]


def test_a_caller_who_hangs_up_at_the_beep_leaves_nothing(bare_gateway, bare_simulator, fake_app):
    call = record(bare_gateway, bare_simulator, fake_app, HangUp())
    assert fake_app.to("/recorded") == [] and bare_simulator.store.recordings == {}
    assert call.said() == [] and call.status == "completed"


def test_spoken_words_are_recorded_then_the_silence_ends_the_recording(
    bare_gateway, bare_simulator, fake_app
):
    record(bare_gateway, bare_simulator, fake_app, Speech("please call me back tomorrow"))
    params = posted(fake_app)
    assert "Digits" not in params and params["RecordingDuration"] == "7"  # 2 s, then 5 s


ENTRY = (
    f'<Response><Gather {GATHER} numDigits="5" finishOnKey="#" action="/answer">'
    "<Say>Enter your ZIP code.</Say></Gather><Say>Take your time.</Say></Response>"
)


def gather(gateway, simulator, fake_app, caller_does, document=ENTRY):
    fake_app.documents["/start"] = document
    simulator.phone(MEMBER).answers(caller_does)
    started = gateway.start_call(MEMBER, BASE + "/start")
    simulator.wait_idle()
    return simulator.store.calls[started.sid]


def test_the_finish_key_before_any_digit_runs_the_verb_after_the_gather(
    bare_gateway, bare_simulator, fake_app
):
    call = gather(bare_gateway, bare_simulator, fake_app, Keys("#"))
    assert fake_app.to("/answer") == []
    assert call.said() == ["Enter your ZIP code.", "Take your time."]


def test_digits_are_posted_without_the_finish_key(bare_gateway, bare_simulator, fake_app):
    gather(bare_gateway, bare_simulator, fake_app, Keys("941#"))
    assert fake_app.to("/answer")[0].params["Digits"] == "941"


def test_digits_that_end_on_the_finish_key_say_so_and_others_post_it_empty(
    bare_gateway, bare_simulator, fake_app
):
    gather(bare_gateway, bare_simulator, fake_app, Keys("0#"))
    gather(bare_gateway, bare_simulator, fake_app, Keys("94110"))
    posted_keys = [(p.params["Digits"], p.params["FinishedOnKey"]) for p in fake_app.to("/answer")]
    assert posted_keys == [("0", "#"), ("94110", "")]


def test_a_key_short_of_num_digits_is_posted_only_when_the_timeout_runs_out(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/answer"] = "<Response/>"
    lone = gather(bare_gateway, bare_simulator, fake_app, Keys("0"))
    ended = gather(bare_gateway, bare_simulator, fake_app, Keys("0#"))
    durations = [bare_gateway.fetch_call(call.sid).duration for call in (lone, ended)]
    assert durations[0] - durations[1] == 8


def test_speech_carries_the_confidence_the_test_chooses(bare_gateway, bare_simulator, fake_app):
    gather(bare_gateway, bare_simulator, fake_app, Speech("nine four one one oh", 0.41))
    params = fake_app.to("/answer")[0].params
    assert (params["SpeechResult"], params["Confidence"]) == ("nine four one one oh", "0.41")


def test_speech_may_come_without_a_confidence(bare_gateway, bare_simulator, fake_app):
    gather(bare_gateway, bare_simulator, fake_app, Speech("yes", confidence=None))
    params = fake_app.to("/answer")[0].params
    assert params["SpeechResult"] == "yes" and "Confidence" not in params


@pytest.mark.parametrize("content_type", ["application/json", "text/html", ""])
def test_an_answer_that_is_not_twiml_is_twilio_error_12300(
    bare_gateway, bare_simulator, fake_app, content_type
):
    body = b"<Response><Say>Never run.</Say></Response>"
    document = Answer(200, body, content_type)
    call = gather(bare_gateway, bare_simulator, fake_app, SILENCE, document=document)
    assert call.said() == ["We are sorry, an application error has occurred. Goodbye."]
    assert any("12300" in problem for problem in call.problems)


def test_a_plain_text_answer_is_read_out_then_the_call_hangs_up(
    bare_gateway, bare_simulator, fake_app
):
    document = Answer(200, b"The line is closed today.", "text/plain; charset=utf-8")
    call = gather(bare_gateway, bare_simulator, fake_app, SILENCE, document=document)
    assert call.said() == ["The line is closed today."] and call.status == "completed"


def test_an_audio_answer_is_played_then_the_call_hangs_up(bare_gateway, bare_simulator, fake_app):
    document = Answer(200, b"RIFF....", "audio/x-wav")
    call = gather(bare_gateway, bare_simulator, fake_app, SILENCE, document=document)
    assert [h.kind for h in call.heard] == ["play"] and call.problems == []


def test_an_sms_answer_that_is_not_twiml_sends_nothing(bare_simulator, fake_app):
    reply = b"<Response><Message>Welcome.</Message></Response>"
    fake_app.documents["/twilio/sms"] = Answer(200, reply, "application/json")
    assert bare_simulator.text_line(MEMBER, "hello") == []  # Twilio's 12300
    fake_app.documents["/twilio/sms"] = Answer(200, reply, "text/xml; charset=utf-8")
    assert bare_simulator.text_line(MEMBER, "hello") == ["Welcome."]
