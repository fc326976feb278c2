"""A real HTTP server with werkzeug's request log on, every log at DEBUG: a tour of the SMS line
leaves no message body and no phone number in any format in the logs (SPEC §12)."""

import logging
import socket
import threading
import urllib.parse
import urllib.request
import uuid

import pytest
from werkzeug.serving import make_server

from app.config import PLACEHOLDER_AUTH_TOKEN
from tests.privacy_scan import leaks
from tests.sms_phone import MEMBER, messages, nearby_groups
from tests.twilio_signing import signature

TOUR = [
    "hello there",
    "94110",
    "MORE",
    "2",
    "RSVP",
    "MY",
    "DROP 1",
    "CALL",
    "please call after five, my name is Rosa",
    "REMIND CALL",
    "JOIN",
    "ESPAÑOL",
    "I want to kill myself",
    "stop texting me, I want to die",
    "EMPEZAR",
    "BORRAR",
    "BORRAR",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(settings):
    """The app behind werkzeug's own server (so its request log runs), signed for its URL."""
    from app import create_app
    from app.extensions import phoneline
    from tests.conftest import _empty_tables

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app({**settings, "PUBLIC_BASE_URL": base})
    _empty_tables(app)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, app
    server.shutdown()
    phoneline(app).db.dispose()
    phoneline(app).redis.close()


def text(base: str, body: str, sender: str = MEMBER) -> list[str]:
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "To": "+15005550006",
              "Body": body}  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 - a local http server
        base + "/twilio/sms",
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": signature(PLACEHOLDER_AUTH_TOKEN, base + "/twilio/sms", params)
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
        return messages(response.read())


def test_a_tour_of_the_sms_line_logs_no_body_and_no_number(served, session, caplog):
    base, _ = served
    nearby_groups(session)
    caplog.set_level(logging.DEBUG)
    replies = [text(base, body) for body in TOUR]
    assert replies[1][0].startswith("1 Circle 1, ")  # the tour really ran
    assert any(
        r.name == "werkzeug" and "POST /twilio/sms" in r.getMessage() for r in caplog.records
    )
    assert leaks(caplog.records, TOUR) == []
