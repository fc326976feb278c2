"""Security review L5: a number keyed in by a caller who withheld caller ID is never readable in
Redis. The call's state keeps it sealed, for minutes, and lets go of it once the request is
filed (the request holds it then)."""

import json

from sqlalchemy import select

from app.models import CallbackRequest
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh

KEYED = "4155550123"
START = [("1", None), ("0", "enter the 10-digit phone number"), (KEYED, "I heard 4, 1, 5.")]


def call_states(redis_client) -> list[tuple[bytes, int, dict]]:
    found = []
    for key in redis_client.scan_iter("phoneline:call:*"):
        value = redis_client.get(key)
        if value and not key.endswith(b":person"):
            found.append((value, redis_client.ttl(key), json.loads(value)["vars"]))
    return found


def test_it_keeps_a_keyed_in_number_sealed_and_short_lived_then_drops_it_once_filed(
    twilio, session, redis_client
):
    seen = {}

    def look(moment, key):
        def press():
            seen[moment] = call_states(redis_client)
            return key

        return press

    script = [
        *START,
        # Confirming the read-back files the request at once (docs/voice.md).
        (look("read back", "1"), "Your request is in"),
        (look("filed", "2"), "may we leave a voicemail"),
        ("hangup", None),
    ]
    run_call(twilio, script, caller="anonymous")
    ((value, ttl, _),) = seen["read back"]
    assert KEYED.encode() not in value
    assert 0 < ttl <= 20 * 60
    ((value, _, variables),) = seen["filed"]
    assert KEYED.encode() not in value and "callback_number" not in variables
    assert fresh(session).scalars(select(CallbackRequest)).one().member.phone == "+1" + KEYED


def test_after_filing_zero_goes_back_to_the_same_request_without_asking_for_the_number(
    twilio, session
):
    script = [*START, ("1", None), ("2", "may we leave a voicemail"), ("0", None)]
    run_call(twilio, [*script, ("1", "leave your message"), ("hangup", None)], caller="anonymous")
    assert len(fresh(session).scalars(select(CallbackRequest)).all()) == 1
