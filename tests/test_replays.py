"""Captured webhooks replayed after the data they touched is gone (security review M2).

Twilio's signatures never expire, so a request captured once validates until the auth token
changes. Every handled MessageSid and answered CallSid leaves a content-free tombstone that
outlives erasure and retention: a replayed text is ignored, a replayed call hears goodbye."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from app.models import ConsentEvent, HandledSid, InboundMessage, Member
from app.services import tombstones
from tests.conftest import LINE_NUMBER, fresh
from tests.twiml_reading import gathers, spoken, verbs

PHONE = "+14155550211"
SECRET = "test-secret-key"
THEN = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)


def _text(body: str, n: int) -> dict[str, str]:
    sid = "SM" + f"{n:032d}"
    return {"MessageSid": sid, "From": PHONE, "To": LINE_NUMBER, "Body": body}


def _count(session, model):
    return fresh(session).scalar(select(func.count()).select_from(model))


def test_it_ignores_texts_replayed_after_the_member_erased_their_data(twilio, session):
    captured = [_text("JOIN", 1), _text("REMIND TEXT", 2)]
    for request in captured:
        twilio.post("/twilio/sms", request)
    twilio.post("/twilio/sms", _text("DELETE", 3))
    twilio.post("/twilio/sms", _text("DELETE", 4))
    assert _count(session, Member) == 0
    replies = [twilio.post("/twilio/sms", request) for request in captured]
    assert [spoken_texts(r.data) for r in replies] == [[], []]
    assert _count(session, Member) == 0


def spoken_texts(document: bytes) -> list[str]:
    from xml.etree import ElementTree

    return [m.text or "" for m in ElementTree.fromstring(document).iter("Message")]


def test_it_ignores_a_text_replayed_after_retention_deleted_its_record(app, twilio, session):
    from app.cli import cli

    captured = _text("JOIN", 5)
    with time_machine.travel(THEN, tick=False):
        twilio.post("/twilio/sms", captured)
    with time_machine.travel(THEN + timedelta(days=91), tick=False):
        assert app.test_cli_runner().invoke(cli, ["retention", "run"]).exit_code == 0
        assert _count(session, InboundMessage) == 0
        grants = _count(session, ConsentEvent)
        assert spoken_texts(twilio.post("/twilio/sms", captured).data) == []
    assert _count(session, ConsentEvent) == grants
    assert _count(session, InboundMessage) == 0


def test_a_text_retried_while_its_record_is_kept_still_gets_the_same_reply(twilio):
    first = twilio.post("/twilio/sms", _text("JOIN", 6))
    again = twilio.post("/twilio/sms", _text("JOIN", 6))
    assert spoken_texts(again.data) == spoken_texts(first.data) != []


def test_a_tombstone_holds_no_sid_no_number_and_no_content(twilio, session):
    twilio.post("/twilio/sms", _text("JOIN", 7))
    (row,) = fresh(session).scalars(select(HandledSid)).all()
    kept = f"{row.sid_hash} {row.kind} {row.received_on}"
    assert "0000007" not in kept and "4155550211" not in kept and "JOIN" not in kept
    assert row.sid_hash == tombstones.sid_hash(_text("JOIN", 7)["MessageSid"], SECRET)


def test_tombstones_go_after_their_horizon(app, twilio, session):
    from app.cli import cli

    with time_machine.travel(THEN, tick=False):
        twilio.post("/twilio/sms", _text("JOIN", 8))
    with time_machine.travel(THEN + tombstones.HORIZON, tick=False):
        app.test_cli_runner().invoke(cli, ["retention", "run"])
        assert _count(session, HandledSid) == 1
    with time_machine.travel(THEN + tombstones.HORIZON + timedelta(days=1), tick=False):
        output = app.test_cli_runner().invoke(cli, ["retention", "run"]).output
    assert "tombstones deleted: 1" in output
    assert _count(session, HandledSid) == 0


# --- calls ---------------------------------------------------------------------------------------

CALL = {"CallSid": "CA" + "9" * 32, "From": PHONE, "To": LINE_NUMBER}
GOODBYE = [
    "Thank you for calling Community Support Line. Goodbye.",
    "Gracias por llamar a Community Support Line. Adiós.",
]


def _press(twilio, answer, key):
    path = gathers(answer.data)[0].get("action").split("/twilio", 1)[1]
    return twilio.post("/twilio" + path, {**CALL, "Digits": key})


def _a_call_to_its_goodbye(twilio):
    """English, star for the main menu, my meetings, by text, then 2: goodbye. Returns the
    requests, as captured."""
    captured = [("/twilio/voice", CALL)]
    answer = twilio.post("/twilio/voice", CALL)
    for key in ("1", "*", "2", "2", "2"):
        path = gathers(answer.data)[0].get("action").split("/twilio", 1)[1]
        captured.append(("/twilio" + path, {**CALL, "Digits": key}))
        answer = twilio.post(*captured[-1])
    assert spoken(answer.data)[-1].endswith("Goodbye.")
    return captured


def test_it_says_only_goodbye_to_a_replayed_call_that_has_ended(twilio):
    captured = _a_call_to_its_goodbye(twilio)
    for path, params in captured:
        replayed = twilio.post(path, params).data
        assert (spoken(replayed), verbs(replayed)) == (GOODBYE, ["Say", "Say", "Hangup"]), path


def test_a_replay_long_after_the_call_hears_goodbye_though_redis_forgot_the_call(
    twilio, redis_client
):
    with time_machine.travel(THEN, tick=False):
        captured = _a_call_to_its_goodbye(twilio)
    redis_client.flushdb()
    with time_machine.travel(THEN + timedelta(days=4), tick=False):
        assert spoken(twilio.post(*captured[0]).data) == GOODBYE


def test_a_call_whose_state_redis_lost_mid_call_starts_again_at_the_notice(twilio, redis_client):
    answer = twilio.post("/twilio/voice", CALL)
    redis_client.flushdb()
    again = _press(twilio, answer, "1")
    assert "not for emergencies" in spoken(again.data)[0]


def test_twilio_retrying_the_first_request_of_a_live_call_is_answered_again(twilio):
    first = twilio.post("/twilio/voice", CALL)
    assert twilio.post("/twilio/voice", CALL).data == first.data
