"""Callback recordings (SPEC §10, §12): fetched after Twilio's recording-status callback, stored
encrypted, heard only by the claiming facilitator and coordinators, and deleted here and at
Twilio ``RETENTION_RECORDINGS`` after the request closes, or when the member is erased."""

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from app.db import utcnow
from app.extensions import config as app_config
from app.extensions import db
from app.models import CallbackRequest, RecordingDeletion
from app.services import callbacks, recordings
from app.simulator.api import SILENT_WAV
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import Phone
from workers.sweep import sweep_once

SECRET = "test-secret-key"
MEMBER = "+14155550100"
ANA = "+14155550123"
BEN = "+14155550124"


def test_a_recording_is_sealed_so_only_its_own_row_and_key_open_it():
    sealed = recordings.seal(SECRET, 7, b"RIFF hello")
    assert b"hello" not in sealed
    assert recordings.unseal(SECRET, 7, sealed) == b"RIFF hello"
    with pytest.raises(InvalidTag):
        recordings.unseal(SECRET, 8, sealed)
    with pytest.raises(InvalidTag):
        recordings.unseal("another-secret", 7, sealed)


def recorded_request(session, simulator, claimed_by=None):
    """A member's request with a recording at the simulator, as the voice flow leaves it."""
    call = simulator.add_call(to="+15005550006", from_=MEMBER, direction="inbound", url=None)
    recording = simulator.add_recording(call, 6)
    member = factories.member(session, MEMBER)
    new = callbacks.NewRequest(member, "en", "voice", recording_sid=recording.sid)
    request = callbacks.open_request(session, new, timedelta(hours=4))
    if claimed_by is not None:
        callbacks.claim(session, request, claimed_by, utcnow(), app_config())
    session.commit()
    return request


def close_after_a_call(session, request_id, config, now):
    """The holder called through the line, then texted DONE."""
    request = fresh(session).get(CallbackRequest, request_id)
    callbacks.start_call(session, request, now)
    assert callbacks.finish(session, request, config, now)


def test_the_sweep_fetches_a_finished_recording_and_stores_it_encrypted(session, simulator):
    request = recorded_request(session, simulator)
    sweep_once(db())
    row = fresh(session).get(CallbackRequest, request.id)
    assert row.recording is not None and row.recording != SILENT_WAV
    assert recordings.unseal(SECRET, row.id, row.recording) == SILENT_WAV
    assert row.recording_fetch_at is None


def test_only_the_claiming_facilitator_and_coordinators_may_hear_it(session, simulator):
    ana = factories.facilitator(session, ANA)
    ben = factories.facilitator(session, BEN)
    request = recorded_request(session, simulator, claimed_by=ana)
    sweep_once(db())
    fresh(session)
    hear = recordings.audio_for
    assert hear(session, SECRET, request.id, facilitator_id=ana.id) == SILENT_WAV
    assert hear(session, SECRET, request.id, coordinator=True) == SILENT_WAV
    assert hear(session, SECRET, request.id, facilitator_id=ben.id) is None
    assert hear(session, SECRET, request.id) is None


def test_the_playback_url_works_only_signed_unexpired_and_while_the_request_is_held(
    app, session, simulator, client
):
    ana = factories.facilitator(session, ANA)
    request = recorded_request(session, simulator, claimed_by=ana)
    sweep_once(db())
    now = utcnow()
    request = fresh(session).get(CallbackRequest, request.id)
    query = recordings.playback_query(SECRET, request, now)
    assert client.get(f"/recordings/{request.id}.wav?{query}").data == SILENT_WAV
    assert client.get(f"/recordings/{request.id}.wav?{query}x").status_code == 404
    old = recordings.playback_query(SECRET, request, now - timedelta(hours=1))
    assert client.get(f"/recordings/{request.id}.wav?{old}").status_code == 404
    config = app.extensions["phoneline"].config
    close_after_a_call(session, request.id, config, now)
    session.commit()
    assert client.get(f"/recordings/{request.id}.wav?{query}").status_code == 404


def test_the_recording_status_callback_asks_for_the_fetch_now(twilio, session, simulator):
    request = recorded_request(session, simulator)
    request.recording_fetch_at = None
    session.commit()
    form = {"RecordingSid": request.recording_sid, "RecordingStatus": "completed"}
    assert twilio.post("/twilio/status/recording", form).status_code == 204
    assert fresh(session).get(CallbackRequest, request.id).recording_fetch_at is not None


def test_the_recording_status_route_is_signed_and_needs_its_parameters(twilio, client):
    assert twilio.post("/twilio/status/recording", {"RecordingSid": "RE1"}).status_code == 400
    form = {"RecordingSid": "RE1", "RecordingStatus": "completed"}
    assert client.post("/twilio/status/recording", data=form).status_code == 403


def test_a_closed_requests_recording_is_deleted_here_and_at_twilio_after_retention(
    app, session, simulator
):
    ana = factories.facilitator(session, ANA)
    request = recorded_request(session, simulator, claimed_by=ana)
    sweep_once(db())
    now = utcnow()
    config = app.extensions["phoneline"].config
    close_after_a_call(session, request.id, config, now)
    session.commit()
    sweep_once(db(), now + timedelta(days=6))
    assert fresh(session).get(CallbackRequest, request.id).recording is not None
    sweep_once(db(), now + timedelta(days=7, minutes=1))
    row = fresh(session).get(CallbackRequest, request.id)
    assert (row.recording, row.recording_sid) == (None, None)
    assert simulator.store.recordings == {}
    assert session.scalars(select(RecordingDeletion)).all() == []


def test_erasing_a_member_deletes_their_recording_at_twilio_too(twilio, session, simulator):
    recorded_request(session, simulator)
    phone = Phone(twilio, MEMBER)
    phone.text("DELETE")
    phone.text("DELETE")
    assert fresh(session).scalars(select(CallbackRequest)).all() == []
    sweep_once(db())
    assert simulator.store.recordings == {}
