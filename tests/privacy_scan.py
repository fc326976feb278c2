"""The privacy scan (SPEC §2, §12): no phone number and no message body in a log line, a Redis
job argument or RQ's failed-job registry, checked over the whole run of the suite.

A pytest plugin (``pytest_plugins`` in tests/conftest.py). For the whole session every logger
logs at DEBUG (werkzeug's request log, RQ's worker log, the app's own) into one capturing
handler. After each test, what was logged during it, and, for a test that used Redis, every key
and value in it (job hashes decompressed, so job arguments and stored exceptions are read),
is scanned for:

- any of the suite's fictional numbers (555-0100 and the like) in any format: E.164
  (+14155550100), national ((415) 555-0100), dashed, dotted, digits only, percent-encoded;
- any number a test posted to a webhook (``From``, ``To``, ``Caller``...), in the same formats;
- any message body of five characters or more, and any speech result of two words or more,
  that a test sent in.

The state of a call in progress (``phoneline:call:<CallSid>``) is scanned like everything
else: a number a caller keyed in to be called back on is kept there sealed (review L5), never
readable.

A find fails the test at teardown, naming where the data was seen; a test marked
``plants_personal_data`` fails when nothing is found (that is how the scan proves it can fail).
Output of processes a test starts (``phoneline serve``, ``phoneline worker``) is scanned too:
the test writes it to a file and hands the path to ``scan_output``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import pytest
import redis

# The line's own number is public (it is on every wallet card), so it may be logged.
LINE_NUMBER = "+15005550006"
BODY_FIELDS = ("Body", "SpeechResult", "UnstableSpeechResult")
NUMBER_FIELDS = ("From", "To", "Caller", "Called", "ForwardedFrom")
MIN_BODY = 5  # shorter bodies ("MY", "2") are words every log line may contain
DEBUG_LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access", "rq", "rq.worker", "app")

_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_SEP = r"[\s.()-]*"
_COUNTRY = r"(?:(?:\+|%2B)?1[\s.-]*)?"
_BASE64 = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")
# The suite's fictional numbers: 555 then 0xxx, with or without an area code, in any format.
TEST_NUMBER = re.compile(
    _EDGE_BEFORE
    + r"(?:"
    + _COUNTRY
    + r"\(?\d{3}\)?"
    + _SEP
    + r")?555"
    + _SEP
    + r"0\d{3}"
    + _EDGE_AFTER
)


def number_pattern(e164: str) -> str:
    """A regex for one number in every format people and libraries write it."""
    digits = e164.lstrip("+")
    if digits.startswith("1") and len(digits) == 11:
        area, prefix, line = digits[1:4], digits[4:7], digits[7:]
        body = rf"\(?{area}\)?{_SEP}{prefix}{_SEP}{line}"
        return _EDGE_BEFORE + _COUNTRY + body + _EDGE_AFTER
    national = str(phonenumbers.parse(e164).national_number)
    return _EDGE_BEFORE + rf"(?:(?:\+|%2B)?{digits}|{national})" + _EDGE_AFTER


@dataclass
class Sent:
    """What tests sent into the line during one test: the patterns a leak would match."""

    numbers: set[str] = field(default_factory=set)
    bodies: set[str] = field(default_factory=set)

    def remember(self, params: Mapping[str, object]) -> None:
        for name in BODY_FIELDS:
            value = params.get(name)
            if isinstance(value, str) and _distinctive(name, value.strip()):
                self.bodies.add(value.strip())
        for name in NUMBER_FIELDS:
            value = params.get(name)
            if isinstance(value, str) and (number := _e164(value)) and number != LINE_NUMBER:
                self.numbers.add(number)

    def leaks(self, lines: Iterable[str]) -> list[str]:
        numbers = [re.compile(number_pattern(n)) for n in sorted(self.numbers)]
        found = []
        for line in lines:
            readable = line.replace(LINE_NUMBER, "<line>")
            if (
                TEST_NUMBER.search(readable)
                or any(p.search(readable) for p in numbers)
                or any(body in line for body in self.bodies)
            ):
                found.append(line)
        return found


def _distinctive(field_name: str, text: str) -> bool:
    """Long enough to mean something when found. A spoken menu word ("privacy", "settings")
    is also the name of the menu it chooses, so speech counts from two words on."""
    if field_name != "Body" and len(text.split()) < 2:
        return False
    return len(text) >= MIN_BODY


def _e164(value: str) -> str | None:
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def leaks(records: list[logging.LogRecord], bodies: list[str]) -> list[str]:
    """Log records that carry a test phone number or one of ``bodies``."""
    sent = Sent(bodies={b.strip() for b in bodies if len(b.strip()) >= MIN_BODY})
    return sent.leaks(render(record) for record in records)


def render(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception as error:  # noqa: BLE001 - a bad format string is the logger's bug, not ours
        message = f"{record.msg!r} {record.args!r} ({type(error).__name__})"
    return f"{record.name} {message} {record.exc_text or ''}"


class Capture(logging.Handler):
    """Every record of the session, kept as text until the test it belongs to is scanned."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        self.lines.append(render(record))

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


CAPTURE = Capture()
SENT = Sent()
_OUTPUTS: list[Path] = []


def remember(params: Mapping[str, object]) -> None:
    """Called for every request a test (or the simulator, for a test) posts into the line."""
    SENT.remember(params)


def scan_output(path: Path) -> None:
    """A file a process the test started writes its output to, scanned with the test's logs."""
    _OUTPUTS.append(path)


def redis_lines(connection: redis.Redis, prefix: bytes = b"") -> Iterator[str]:
    """Every key (under ``prefix``) and value, job data decompressed, one line per value."""
    for key in connection.scan_iter(match=prefix + b"*", count=1000):
        values = _values(connection, key)
        yield f"redis key {_text(key)}"
        for value in values:
            yield f"redis {_text(key)}: {_text(value)}"


def _values(connection: redis.Redis, key: bytes) -> list[bytes]:
    kind = connection.type(key)
    if kind == b"string":
        return [connection.get(key) or b""]
    if kind == b"hash":
        return [part for pair in connection.hgetall(key).items() for part in pair]
    if kind == b"list":
        return list(connection.lrange(key, 0, -1))
    if kind == b"set":
        return list(connection.smembers(key))
    if kind == b"zset":
        return list(connection.zrange(key, 0, -1))
    if kind == b"stream":  # RQ 2 keeps job results, and failures' tracebacks, in streams
        entries = connection.xrange(key)
        return [part for _, fields in entries for pair in fields.items() for part in pair]
    return [f"<unread {kind!r}>".encode()]


def _text(value: bytes) -> str:
    """RQ keeps a job's function and arguments zlib-compressed (pickled), and a failure's
    traceback zlib-compressed and base64-encoded."""
    with contextlib.suppress(zlib.error):
        return zlib.decompress(value).decode("utf-8", "replace")
    if _BASE64.fullmatch(value):
        with contextlib.suppress(binascii.Error, zlib.error):
            return zlib.decompress(base64.b64decode(value)).decode("utf-8", "replace")
    return value.decode("utf-8", "replace")


def pytest_configure(config: pytest.Config) -> None:
    root = logging.getLogger()
    root.addHandler(CAPTURE)
    root.setLevel(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    _remember_simulator_requests()


def _remember_simulator_requests() -> None:
    """The simulator's phones text and speak into the line too (straight into the WSGI app)."""
    from app.simulator.webhooks import WsgiTransport

    send = WsgiTransport.send

    def remembering(self: WsgiTransport, method: str, url: str, params, headers):  # type: ignore[no-untyped-def]
        remember(dict(params))
        return send(self, method, url, params, headers)

    WsgiTransport.send = remembering  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def no_personal_data_in_logs_or_redis(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test: its log lines and Redis carry no test number and no body it sent."""
    connection = None
    if "redis_url" in request.fixturenames:
        connection = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    CAPTURE.take()
    SENT.numbers.clear()
    SENT.bodies.clear()
    _OUTPUTS.clear()
    yield
    lines = CAPTURE.take()
    for path in _OUTPUTS:
        text = path.read_text("utf-8", "replace") if path.exists() else ""
        lines += [f"{path.name}: {line}" for line in text.splitlines()]
    found = []
    if connection is not None:
        lines += list(redis_lines(connection))
        connection.close()
    found += SENT.leaks(lines)
    if request.node.get_closest_marker("plants_personal_data"):
        assert found, "the scan missed the personal data this test planted"
    else:
        assert found == [], f"personal data in logs or Redis: {found[:5]}"
