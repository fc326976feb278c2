"""Recording links (security review L3, L4, L11): the URL the facilitator's call plays a member's
message from opens that recording, under that claim, for five minutes, and nothing else; a
malformed signature is a plain 404, never a server error."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import time_machine

from app.db import utcnow
from app.extensions import config, db
from app.models import CallbackRequest, Member
from app.services import callbacks, erasure
from app.simulator.api import SILENT_WAV
from tests import factories
from tests.conftest import BASE_URL, LINE_NUMBER, fresh
from workers.sweep import sweep_once

SECRET = "test-secret-key"
ANA = "+14155550123"


def recorded_request(session, simulator, member_phone: str, holder):
    """A member's request with a recording, claimed and fetched, as the line leaves it."""
    call = simulator.add_call(to=LINE_NUMBER, from_=member_phone, direction="inbound", url=None)
    recording = simulator.add_recording(call, 6)
    member = factories.member(session, member_phone)
    new = callbacks.NewRequest(member, "en", "voice", recording_sid=recording.sid)
    request = callbacks.open_request(session, new, timedelta(hours=4))
    callbacks.claim(session, request, holder, utcnow(), config())
    session.commit()
    sweep_once(db())
    return fresh(session).get(CallbackRequest, request.id)


def link_played_to(twilio, request_id: int) -> str:
    """What the facilitator's call fetches after they press 1: the <Play> URL, as a path."""
    form = {
        "CallSid": "CA" + "4" * 32,
        "From": LINE_NUMBER,
        "To": ANA,
        "Direction": "outbound-api",
        "Digits": "1",
    }
    answer = twilio.post(f"/twilio/voice/outbound/callback/connect?c={request_id}", form)
    found = re.search(r"<Play>([^<]+)</Play>", answer.get_data(as_text=True))
    assert found, "the holder's call plays the member's message"
    return html.unescape(found.group(1)).removeprefix(BASE_URL)


def test_the_link_plays_the_message_to_whoever_fetches_it_in_time(
    twilio, client, session, simulator
):
    ana = factories.facilitator(session, ANA)
    request = recorded_request(session, simulator, "+14155550100", ana)
    assert client.get(link_played_to(twilio, request.id)).data == SILENT_WAV


def test_a_link_from_an_erased_members_request_never_plays_another_members(
    twilio, client, session, simulator
):
    ana = factories.facilitator(session, ANA)
    first = recorded_request(session, simulator, "+14155550100", ana)
    link = link_played_to(twilio, first.id)
    erasure.forget_member(session, fresh(session).get(Member, first.member_id), SECRET)
    session.commit()
    second = recorded_request(session, simulator, "+14155550101", ana)
    assert second.id != first.id  # ids are never handed out twice, SQLite included
    assert client.get(link).status_code == 404
    assert client.get(link.replace(f"/{first.id}.wav", f"/{second.id}.wav")).status_code == 404


def test_a_link_opens_nothing_once_the_request_is_released_and_claimed_again(
    app, twilio, client, session, simulator
):
    ana = factories.facilitator(session, ANA)
    request = recorded_request(session, simulator, "+14155550100", ana)
    link = link_played_to(twilio, request.id)
    settings, catalog = app.extensions["phoneline"].config, app.extensions["phoneline"].prompts
    request = fresh(session).get(CallbackRequest, request.id)
    callbacks.release(session, request, settings, catalog, utcnow())
    callbacks.claim(session, request, ana, utcnow() + timedelta(seconds=5), config())
    session.commit()
    assert client.get(link).status_code == 404


def test_a_link_lasts_five_minutes(twilio, client, session, simulator):
    ana = factories.facilitator(session, ANA)
    request = recorded_request(session, simulator, "+14155550100", ana)
    link = link_played_to(twilio, request.id)
    with time_machine.travel(utcnow() + timedelta(minutes=6)):
        assert client.get(link).status_code == 404


def test_a_signature_that_is_not_ascii_gets_a_plain_404(client):
    answer = client.get("/recordings/3.wav?e=9999999999&s=%C3%A9")
    assert answer.status_code == 404
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
