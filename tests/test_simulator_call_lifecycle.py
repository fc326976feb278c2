"""A call's life at the simulator as at Twilio: queued until dialled, ringing, then answered or
busy, unanswered or failed; its times and statuses as Twilio's Call resource describes them."""

import time
from datetime import timedelta

import pytest
import time_machine

from app.simulator import Disorder

MEMBER = "+14155550100"
OTHER = "+14155550123"
LINE = "+15005550006"
BASE = "http://127.0.0.1:5000"
STATUS = f"{BASE}/status/call?o=9"
HELLO = "<Response><Say>Hello.</Say></Response>"


def statuses(fake_app):
    return [r.params["CallStatus"] for r in fake_app.to("/status/call")]


def start(gateway, simulator, **kwargs):
    started = gateway.start_call(MEMBER, BASE + "/start", status_callback=STATUS, **kwargs)
    simulator.wait_idle()
    return started.sid


def test_a_call_stays_queued_without_a_start_time_until_twilio_dials_it(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = HELLO
    backlog = bare_simulator.hold_calls(at="dial")
    sid = bare_gateway.start_call(MEMBER, BASE + "/start").sid
    assert backlog.reached.wait(10)
    waiting = bare_gateway.fetch_call(sid)
    assert (waiting.status, waiting.start_time, waiting.end_time) == ("queued", None, None)
    backlog.release()
    bare_simulator.wait_idle()
    done = bare_gateway.fetch_call(sid)
    assert done.status == "completed" and done.start_time <= done.end_time


def test_a_call_hung_up_before_twilio_dialled_it_is_canceled_and_never_started(
    bare_gateway, bare_simulator, fake_app
):
    backlog = bare_simulator.hold_calls(at="dial")
    sid = bare_gateway.start_call(MEMBER, BASE + "/start").sid
    assert backlog.reached.wait(10)
    bare_gateway.client.calls(sid).update(status="canceled")
    backlog.release()
    bare_simulator.wait_idle()
    record = bare_gateway.fetch_call(sid)
    assert (record.status, record.start_time, record.end_time) == ("canceled", None, None)
    assert fake_app.to("/start") == []


@pytest.mark.parametrize(
    ("how", "heard"),
    [
        ("no-answer", ["initiated", "ringing", "no-answer"]),
        ("busy", ["initiated", "ringing", "busy"]),
        ("failed", ["initiated", "failed"]),
    ],
)
def test_a_dialled_call_nobody_answered_has_a_start_time_but_no_end_time_or_duration(
    bare_gateway, bare_simulator, fake_app, how, heard
):
    bare_simulator.phone(MEMBER).does_not_answer(how)
    record = bare_gateway.fetch_call(start(bare_gateway, bare_simulator))
    assert record.status == how and record.start_time is not None
    assert (record.end_time, record.duration) == (None, None)
    assert statuses(fake_app) == heard
    assert fake_app.to("/start") == []


def test_a_voicemail_that_picks_up_after_the_timeout_is_no_answer(
    bare_gateway, bare_simulator, fake_app
):
    bare_simulator.phone(MEMBER).answers_as_machine()  # after four rings, about 20 s
    record = bare_gateway.fetch_call(start(bare_gateway, bare_simulator, timeout=15))
    assert record.status == "no-answer"
    assert fake_app.to("/start") == []


def test_a_completed_call_lasts_as_long_as_its_twiml_took_to_play(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = '<Response><Say>Hello.</Say><Pause length="40"/></Response>'
    record = bare_gateway.fetch_call(start(bare_gateway, bare_simulator))
    assert record.duration == 40
    assert fake_app.to("/status/call")[-1].params["CallDuration"] == "40"


def test_date_updated_changes_when_the_call_does_not_when_it_is_read(
    bare_gateway, bare_simulator, fake_app
):
    fake_app.documents["/start"] = HELLO
    sid = start(bare_gateway, bare_simulator)
    first = bare_gateway.client.calls(sid).fetch().date_updated
    with time_machine.travel(timedelta(hours=1)):
        assert bare_gateway.client.calls(sid).fetch().date_updated == first


def test_a_call_not_yet_dialled_is_listed_by_number_but_not_as_started(
    bare_gateway, bare_simulator, fake_app
):
    backlog = bare_simulator.hold_calls(at="dial")
    sid = bare_gateway.start_call(MEMBER, BASE + "/start").sid
    assert backlog.reached.wait(10)
    today = bare_simulator.store.calls[sid].date_created.date()
    by_number = bare_gateway.client.calls.list(to=MEMBER)
    started = bare_gateway.client.calls.list(to=MEMBER, start_time_after=today)
    backlog.release()
    assert [c.sid for c in by_number] == [sid] and started == []


def test_call_time_runs_in_real_time_at_the_pace_asked(bare_gateway, bare_simulator, fake_app):
    bare_simulator.timing.pace = 0.01  # 100 s of call time in about a second
    fake_app.documents["/start"] = '<Response><Pause length="93"/></Response>'
    began = time.monotonic()
    start(bare_gateway, bare_simulator)  # queued 1 s, rings 6 s, pauses 93 s
    assert time.monotonic() - began >= 1.0


def test_hanging_up_through_the_api_cuts_a_paced_call_short(bare_gateway, bare_simulator, fake_app):
    bare_simulator.timing.pace = 0.1
    fake_app.documents["/start"] = '<Response><Pause length="600"/></Response>'
    verdict = bare_simulator.hold_calls(at="verdict")  # a moment inside the pause
    began = time.monotonic()
    sid = bare_gateway.start_call(MEMBER, BASE + "/start", async_amd_callback=BASE + "/amd").sid
    assert verdict.reached.wait(10)
    bare_gateway.hang_up(sid)
    verdict.release()
    bare_simulator.wait_idle()
    assert time.monotonic() - began < 30  # not the 60 s the pause would take
    assert bare_gateway.fetch_call(sid).status == "completed"


def test_an_early_initiated_callback_still_comes_once(bare_gateway, bare_simulator, fake_app):
    bare_simulator.disorder = Disorder.EARLY
    fake_app.documents["/start"] = HELLO
    start(bare_gateway, bare_simulator)
    assert statuses(fake_app) == ["initiated", "ringing", "in-progress", "completed"]


@pytest.mark.parametrize("how", ["no-answer", "busy", "failed"])
def test_a_dialled_number_that_does_not_answer_tells_the_dial_action_how(
    bare_gateway, bare_simulator, fake_app, how
):
    fake_app.documents["/start"] = (
        f'<Response><Dial action="/dialled" callerId="{LINE}">'
        f"<Number>{OTHER}</Number></Dial></Response>"
    )
    bare_simulator.phone(OTHER).does_not_answer(how)
    start(bare_gateway, bare_simulator)
    assert fake_app.to("/dialled")[0].params["DialCallStatus"] == how
    (leg,) = bare_simulator.calls_to(OTHER)
    assert (leg.status, leg.end_time, leg.duration) == (how, None, None)


def test_a_call_in_progress_does_not_hold_up_texts(bare_gateway, bare_simulator, fake_app):
    backlog = bare_simulator.hold_calls(at="dial")  # as a long call would, at pace 1
    bare_gateway.start_call(MEMBER, BASE + "/start")
    assert backlog.reached.wait(10)
    for n in range(8):  # every background lane gets some
        bare_gateway.send_sms(f"+1415555{n:04d}", "Hello")
    assert bare_simulator.lanes.wait_idle(10)
    backlog.release()
