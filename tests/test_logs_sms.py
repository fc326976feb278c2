"""A real HTTP server with werkzeug's request log on, every log at DEBUG: a tour of the SMS line
leaves no message body and no phone number in any format in the logs (SPEC §12)."""

import logging
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.config import PLACEHOLDER_AUTH_TOKEN
from app.extensions import phoneline
from tests.privacy_scan import leaks, remember, scan_output
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


def procfile_web(port: int) -> list[str]:
    """The Procfile's ``web`` command, as a deployment runs it, for one port."""
    line = next(x for x in Path("Procfile").read_text().splitlines() if x.startswith("web:"))
    command = shlex.split(line.removeprefix("web:").replace("${WEB_CONCURRENCY:-3}", "1"))
    command = [c.replace("${PORT:-8000}", str(port)) for c in command]
    return [str(Path(sys.executable).parent / command[0]), *command[1:]]


@pytest.fixture
def gunicorn(settings, tmp_path):
    """The Procfile's gunicorn at DEBUG with its access log on, its output kept for the scan."""
    from tests.conftest import _empty_tables

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    environ = {k: str(v) for k, v in settings.items() if k != "INSTANCE_PATH"}
    environ |= {"PHONELINE_INSTANCE": settings["INSTANCE_PATH"], "PUBLIC_BASE_URL": base}
    app = create_app({**settings, "PUBLIC_BASE_URL": base})
    _empty_tables(app)
    phoneline(app).db.dispose()
    output = tmp_path / "gunicorn.log"
    scan_output(output)
    debug = ["--log-level", "debug", "--access-logfile", "-", "--error-logfile", "-"]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [*procfile_web(port), *debug],
            env={**os.environ, **environ},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(base, process)
        yield base, output
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, "gunicorn exited"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 - local
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn never answered")


def test_a_tour_under_gunicorn_at_debug_logs_no_body_and_no_number(gunicorn, session):
    base, output = gunicorn
    nearby_groups(session)
    replies = [text(base, body) for body in TOUR[:6]]
    assert replies[1][0].startswith("1 Circle 1, ")
    assert '"POST /twilio/sms" 200' in output.read_text()  # the access log was on
    for body in TOUR:
        remember({"Body": body})  # what the scan after this test looks for in gunicorn.log
