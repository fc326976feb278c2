"""Property-based tests (hypothesis, derandomised for CI) over every ``/twilio/*`` webhook in
``app.url_map`` (SPEC §14): parameters missing, huge, not UTF-8, injection strings, unknown
extras, odd query strings. Signed: never a 500, and voice always answers valid TwiML. Unsigned
or wrongly signed: 403, and the database and Redis are exactly as they were."""

from __future__ import annotations

import tempfile
from urllib.parse import parse_qsl, quote_from_bytes

import pytest
import werkzeug.formparser  # noqa: F401 - registers the "werkzeug.url_quote" decoding handler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.config import PLACEHOLDER_AUTH_TOKEN
from app.db import Base
from app.twiml_checker import check_twiml
from tests.conftest import BASE_URL, LINE_NUMBER
from tests.twilio_signing import signature
from tests.twiml_reading import parse

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What Twilio sends each kind of route (SPEC §7, §8, §9), to be kept, mangled or dropped.
VOICE = {"CallSid": "CA" + "f" * 32, "From": "+14155550100", "To": LINE_NUMBER,
         "AccountSid": "AC" + "0" * 32, "CallStatus": "in-progress", "Direction": "inbound",
         "Digits": "1", "SpeechResult": "find a group", "Confidence": "0.9",
         "StirVerstat": "TN-Validation-Passed-A", "AnsweredBy": "human"}  # fmt: skip
SMS = {"MessageSid": "SM" + "f" * 32, "From": "+14155550100", "To": LINE_NUMBER,
       "Body": "FIND 94110", "NumMedia": "0", "OptOutType": "STOP"}  # fmt: skip
STATUS = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered", "CallSid": "CA" + "f" * 32,
          "CallStatus": "completed", "ErrorCode": "30003"}  # fmt: skip
QUERY_NAMES = ["o", "t", "r", "attempt"]

INJECTIONS = [
    "' OR 1=1 --", "'; DROP TABLE members; --", "</Say><Dial>911</Dial><Say>", "<![CDATA[x]]>",
    "&amp;&#0;&#xD800;", "{line_name}", "{0.__class__}", "%s%s%n", "{{7*7}}", "${jndi:x}",
    "\r\nSet-Cookie: x=1", "../../etc/passwd", "\x00", "\u202e\u200b", "🆘" * 50, "9" * 400,
    "-1", "1e309", "NaN", "+1911", "911", "+1 (900) 555-0100", "", " ", "STOP", "AYUDA",
]  # fmt: skip
BROKEN_UTF8 = [b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"caf\xe9"]

VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(INJECTIONS),
    st.sampled_from(BROKEN_UTF8),
    st.integers(2000, 200_000).map(lambda n: "x" * n),  # huge
    st.from_regex(r"-?[0-9]{1,30}", fullmatch=True),
)

QUERY_VALUES = st.one_of(st.from_regex(r"-?[0-9]{1,30}", fullmatch=True), VALUES)


def twilio_routes() -> list[str]:
    """Read from the app, so a webhook added later is fuzzed too."""
    from app import create_app

    # Only the URL map is read: no database file, and a Redis URL that is never connected to.
    app = create_app({"DATABASE_URL": "sqlite://", "REDIS_URL": "redis://127.0.0.1:9/0",
                      "INSTANCE_PATH": tempfile.mkdtemp(), "SECRET_KEY": "routes"})  # fmt: skip
    return sorted(r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/twilio/"))


ROUTES = twilio_routes()


def base_form(path: str) -> dict[str, str]:
    if path.startswith("/twilio/voice"):
        return VOICE
    return SMS if path.startswith("/twilio/sms") else STATUS


def base_query(path: str) -> dict[str, str]:
    """The query string the line puts in its own callback URLs: a turn, an RSVP, an outbox row."""
    named = {"/twilio/voice/step": "t", "/twilio/voice/outbound/reminder": "r"}
    name = named.get(path, "o" if path.startswith("/twilio/status") else None)
    return {name: "1"} if name else {}


@st.composite
def requests(draw, path: str) -> tuple[str, bytes]:
    """A query string and a form body: each known parameter kept, dropped or replaced, plus
    unknown extras; values may be bytes that are not UTF-8."""
    form: list[tuple[str, str | bytes]] = []
    for name, value in base_form(path).items():
        fate = draw(st.sampled_from(["keep", "keep", "keep", "drop", "mangle"]))
        if fate != "drop":
            form.append((name, value if fate == "keep" else draw(VALUES)))
    extras = draw(st.lists(st.tuples(st.text(min_size=1, max_size=12), VALUES), max_size=3))
    names = {name for name, _ in form}
    form += [(name, value) for name, value in extras if name not in names]
    query = {}
    for name, value in base_query(path).items():
        fate = draw(st.sampled_from(["keep", "drop", "mangle", "mangle"]))
        if fate != "drop":
            query[name] = value if fate == "keep" else draw(QUERY_VALUES)
    query |= dict(draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), VALUES), max_size=1)))
    body = encoded(dict(form)).encode()
    if draw(st.integers(0, 9)) == 0:  # bytes sent as they are, not percent-encoded
        body += b"&Raw=" + draw(st.sampled_from(BROKEN_UTF8))
    return encoded(query), body


def encoded(pairs: dict[str, str | bytes]) -> str:
    return "&".join(
        f"{quote_from_bytes(as_bytes(k))}={quote_from_bytes(as_bytes(v))}" for k, v in pairs.items()
    )


def as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def as_the_server_reads(body: bytes) -> dict[str, str]:
    """The form Flask gives the view (and the signature check): werkzeug's own decoding, which
    gives an empty form for a body that is not even ASCII."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"))


def post(client, path: str, query: str, body: bytes, sign: bool | str):
    url = f"{path}?{query}" if query else path
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        token = PLACEHOLDER_AUTH_TOKEN if sign is True else sign
        headers["X-Twilio-Signature"] = signature(token, BASE_URL + url, as_the_server_reads(body))
    return client.post(url, data=body, headers=headers)


def everything_stored(session, redis_client) -> tuple[list[int], int]:
    counts = [
        session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    ]
    session.rollback()
    return counts, redis_client.dbsize()


@pytest.mark.parametrize("path", ROUTES)
@FUZZ
@given(data=st.data())
def test_a_signed_request_with_any_parameters_never_gets_a_500(client, path, data):
    query, body = data.draw(requests(path))
    response = post(client, path, query, body, sign=True)
    assert response.status_code in (200, 204, 400), response.status_code
    if path.startswith("/twilio/voice"):
        assert response.status_code == 200
        assert check_twiml(response.data) == []
    elif response.status_code == 200:
        assert parse(response.data).tag == "Response"


@pytest.mark.parametrize("path", ROUTES)
@FUZZ
@given(data=st.data(), sign=st.sampled_from([False, "someone-elses-token"]))
def test_a_request_without_a_valid_signature_is_refused_and_changes_nothing(
    client, session, redis_client, path, data, sign
):
    query, body = data.draw(requests(path))
    before = everything_stored(session, redis_client)
    assert post(client, path, query, body, sign=sign).status_code == 403
    assert everything_stored(session, redis_client) == before


def test_a_status_callback_for_a_row_id_no_column_can_hold_gets_400_not_500(client):
    body = encoded(STATUS).encode()
    assert (
        post(client, "/twilio/status/message", "o=10000000000000000000", body, True).status_code
        == 400
    )
