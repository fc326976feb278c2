"""SPEC §7.6, §10: a member who asks for a call back and leaves a message gets exactly one
callback request, however they leave the recording: hanging up, pressing the key, falling
silent, talking past the two minutes, or saying nothing at all. Their message is attached and
goes when the request's retention ends, like any other. Through the simulator's phones, which
end a ``<Record>`` as Twilio does."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.models import CallbackRequest
from app.services import callbacks
from app.simulator import SILENCE, HangUp, Keys, Talk
from tests import factories
from tests.conftest import BASE_URL, fresh
from workers.sweep import sweep_once

MEMBER = "+14155550100"
TO_THE_BEEP = ("1", "0", "1")  # English, ask for a call back (filed at once), leave a message


def filed(session):
    return fresh(session).scalars(select(CallbackRequest)).all()


def test_a_member_who_hangs_up_after_recording_gets_a_callback_request(simulator, session):
    simulator.call_line(MEMBER, *TO_THE_BEEP, Talk(6, then=HangUp()))
    simulator.wait_idle()
    (request,) = filed(session)
    (recording,) = simulator.store.recordings.values()
    assert (request.member.phone, request.recording_sid) == (MEMBER, recording.sid)
    assert request.recording_fetch_at is not None and request.voicemail_ok is False


@pytest.mark.parametrize(
    ("leaving", "afterwards", "voicemail_ok"),
    [
        (Talk(6, then=Keys("#")), ["1"], True),
        (Talk(6, then=SILENCE), ["2"], False),
        (Talk(300), ["1"], True),
        (Talk(300, then=HangUp()), [], False),
        (Talk(6), [], False),  # hangs up when asked about a voicemail
    ],
    ids=["key", "silence", "max-length", "max-length-then-hang-up", "hang-up-at-the-question"],
)
def test_every_way_out_of_the_recording_files_one_request_with_the_message(
    simulator, session, leaving, afterwards, voicemail_ok
):
    call = simulator.call_line(MEMBER, *TO_THE_BEEP, leaving, *afterwards)
    simulator.wait_idle()
    (request,) = filed(session)
    (recording,) = simulator.store.recordings.values()
    assert (request.recording_sid, request.voicemail_ok) == (recording.sid, voicemail_ok)
    # Said once, when the request was filed, before the message was asked for.
    assert " ".join(call.said()).count("Your request is in") == 1


@pytest.mark.parametrize("leaving", [SILENCE, HangUp()], ids=["says-nothing", "hangs-up"])
def test_a_member_who_leaves_no_message_at_the_beep_still_gets_a_callback_request(
    simulator, session, leaving
):
    simulator.call_line(MEMBER, *TO_THE_BEEP, leaving, "2")
    simulator.wait_idle()
    (request,) = filed(session)
    assert request.recording_sid is None and simulator.store.recordings == {}


def test_twilio_repeating_the_hang_up_request_files_nothing_more(simulator, session, twilio):
    simulator.call_line(MEMBER, *TO_THE_BEEP, Talk(6, then=HangUp()))
    simulator.wait_idle()
    (action,) = [w for w in simulator.store.webhooks if ("Digits", "hangup") in w.params]
    repeated = twilio.post(action.url.removeprefix(BASE_URL), dict(action.params))
    assert repeated.status_code == 200
    assert len(filed(session)) == 1


def test_a_member_who_goes_back_and_records_again_keeps_one_request_and_the_last_message(
    simulator, session
):
    # at the voicemail question * goes back to the choice: a second message replaces the first
    simulator.call_line(MEMBER, *TO_THE_BEEP, Talk(6), "*", "1", Talk(9), "2")
    simulator.wait_idle()
    (request,) = filed(session)
    _first, second = simulator.store.recordings.values()
    assert request.recording_sid == second.sid
    sweep_once(db())
    assert list(simulator.store.recordings) == [second.sid]  # the first is deleted at Twilio


def test_the_message_of_a_member_who_hung_up_is_deleted_when_its_retention_ends(
    app, simulator, session
):
    simulator.call_line(MEMBER, *TO_THE_BEEP, Talk(6, then=HangUp()))
    simulator.wait_idle()
    sweep_once(db())
    (request,) = filed(session)
    assert request.recording is not None  # fetched and kept encrypted for the facilitator
    now = utcnow()
    config = app.extensions["phoneline"].config
    callbacks.claim(session, request, factories.facilitator(session, "+14155550123"), now, config)
    callbacks.start_call(session, request, now)  # the facilitator called: DONE may follow
    callbacks.finish(session, request, config, now)
    session.commit()
    sweep_once(db(), now + timedelta(days=7, minutes=1))
    assert simulator.store.recordings == {}
