"""The simulator's REST answers against Twilio's own OpenAPI description (api v2010, twilio-oai
d50069b; ``tests/twilio_contract.py``): every operation of the subset, through the real
``twilio`` client as the gateway calls it, and through raw HTTP for what the client hides
(status codes, paging links, error bodies, media types)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import requests

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
from app.db import utcnow
from app.gateway import Gateway
from app.simulator import Simulator, Talk
from tests.simulator_fixtures import FakeApp
from tests.twilio_contract import Contract

CONTRACT = Contract.load()
MEMBER = "+14155550100"
FACILITATOR = "+14155550123"
LINE = "+15005550006"
BASE = "http://127.0.0.1:5000"
AUTH = (PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN)
ACCOUNT_PATH = f"/2010-04-01/Accounts/{PLACEHOLDER_ACCOUNT_SID}"
UNKNOWN = "0" * 32
SAY = "<Response><Say>Hello.</Say></Response>"
RECORD = '<Response><Record action="/recorded" maxLength="60"/><Hangup/></Response>'


class Wire:
    """Every answer the gateway's twilio client received, as it came over the wire (a
    ``requests`` response hook, the client's own ``request_hooks``)."""

    def __init__(self) -> None:
        self.answers: list[requests.Response] = []

    def __call__(self, answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.answers.append(answer)

    @property
    def last(self) -> requests.Response:
        return self.answers[-1]


@pytest.fixture
def wire(bare_gateway: Gateway) -> Wire:
    seen = Wire()
    bare_gateway.http.request_hooks = {"response": [seen]}
    return seen


def http(sim: Simulator, method: str, uri: str, auth: Any = AUTH, **kwargs: Any) -> Any:
    """A raw request to ``uri`` (a path, as Twilio's answers give them) at the simulator."""
    return requests.request(method, sim.url + uri, auth=auth, timeout=10, **kwargs)


def api(sim: Simulator, method: str, path: str, auth: Any = AUTH, **kwargs: Any) -> Any:
    return http(sim, method, f"{ACCOUNT_PATH}/{path}", auth=auth, **kwargs)


# --- the gateway's own requests, one per operation of the subset ------------------------------


class Line:
    """The line's requests to the simulator, each leaving what the next operation needs."""

    def __init__(self, sim: Simulator, gateway: Gateway, app: FakeApp, wire: Wire) -> None:
        self.sim, self.gateway, self.app, self.wire = sim, gateway, app, wire
        app.documents["/start"] = SAY

    def sent_text(self, body: str = "Hello") -> str:
        sid = self.gateway.send_sms(MEMBER, body, status_callback=f"{BASE}/status").sid
        self.sim.wait_idle()
        return sid

    def finished_call(self) -> str:
        sid = self.gateway.start_call(MEMBER, f"{BASE}/start", status_callback=f"{BASE}/s").sid
        self.sim.wait_idle()
        return sid

    def recording(self) -> str:
        self.app.documents["/start"] = RECORD
        self.sim.phone(MEMBER).answers(Talk(4))
        self.finished_call()
        (sid,) = self.sim.store.recordings
        return sid

    def redirected_call(self) -> requests.Response:
        """The update the voice reminders make: a live call moved to other TwiML."""
        answers = []

        def redirect(params: dict[str, str]) -> str:
            self.gateway.redirect_call(params["CallSid"], f"{BASE}/next")
            answers.append(self.wire.last)
            return "<Response><Pause length='1'/></Response>"

        self.app.documents.update({"/start": redirect, "/next": SAY})
        self.finished_call()
        return answers[0]


def _send(line: Line) -> requests.Response:
    line.gateway.send_sms(MEMBER, "Hello", status_callback=f"{BASE}/status")
    line.sim.wait_idle()
    return line.wire.last


def _list_texts(line: Line) -> requests.Response:
    for n in range(3):
        line.sent_text(f"text {n}")
    line.gateway.list_messages(MEMBER, created_after=utcnow() - timedelta(minutes=1))
    return line.wire.last


def _call(line: Line) -> requests.Response:
    line.gateway.start_call(MEMBER, f"{BASE}/start", async_amd_callback=f"{BASE}/amd")
    line.sim.wait_idle()
    return next(a for a in line.wire.answers if a.request.method == "POST")


def _list_calls(line: Line) -> requests.Response:
    line.finished_call()
    line.sim.phone(FACILITATOR).does_not_answer()
    line.gateway.start_call(FACILITATOR, f"{BASE}/start")
    line.sim.wait_idle()
    line.gateway.list_calls(MEMBER, created_after=utcnow() - timedelta(minutes=1))
    return line.wire.last


def _then(action: Callable[[Line, str], object], given: Callable[[Line], str]) -> Any:
    def scenario(line: Line) -> requests.Response:
        action(line, given(line))
        return line.wire.last

    return scenario


SCENARIOS: dict[str, Callable[[Line], requests.Response]] = {
    "CreateMessage": _send,
    "FetchMessage": _then(lambda line, sid: line.gateway.fetch_message(sid), Line.sent_text),
    "ListMessage": _list_texts,
    "UpdateMessage": _then(
        lambda line, sid: line.gateway.client.messages(sid).update(body=""), Line.sent_text
    ),
    "DeleteMessage": _then(lambda line, sid: line.gateway.delete_message(sid), Line.sent_text),
    "CreateCall": _call,
    "FetchCall": _then(lambda line, sid: line.gateway.fetch_call(sid), Line.finished_call),
    "ListCall": _list_calls,
    "UpdateCall": Line.redirected_call,
    "DeleteCall": _then(
        lambda line, sid: line.gateway.client.calls(sid).delete(), Line.finished_call
    ),
    "FetchRecording": _then(lambda line, sid: line.gateway.fetch_recording(sid), Line.recording),
    "DeleteRecording": _then(lambda line, sid: line.gateway.delete_recording(sid), Line.recording),
}


@pytest.fixture
def line(bare_simulator: Simulator, bare_gateway: Gateway, fake_app: FakeApp, wire: Wire) -> Line:
    return Line(bare_simulator, bare_gateway, fake_app, wire)


@pytest.mark.parametrize("operation_id", sorted(CONTRACT.operations))
def test_every_operation_answers_with_the_status_and_body_twilio_s_spec_gives(line, operation_id):
    answer = SCENARIOS[operation_id](line)  # a KeyError: an operation of the spec left untried
    assert answer.request.method == CONTRACT.operations[operation_id].method.upper()
    CONTRACT.check(operation_id, answer)


def _subresource_files(record: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """``(("media", "Media.json"), ...)``: each key and the file its URI ends in."""
    uris = record["subresource_uris"]
    return tuple(sorted((key, uri.rsplit("/", 1)[1]) for key, uri in uris.items()))


def _records(body: dict[str, Any]) -> list[dict[str, Any]]:
    listed = body.get("messages", body.get("calls"))
    return listed if listed is not None else [body]


@pytest.mark.parametrize(
    "operation_id",
    sorted(
        name
        for name, operation in CONTRACT.operations.items()
        if any(_records(example)[:1] for example in operation.examples())
    ),
)
def test_subresource_uris_name_what_twilio_s_examples_name(line, operation_id):
    body = SCENARIOS[operation_id](line).json()
    examples = [r for e in CONTRACT.operations[operation_id].examples() for r in _records(e)]
    (files,) = {_subresource_files(example) for example in examples}
    for record in _records(body):
        base = record["uri"].removesuffix(".json")
        assert record["subresource_uris"] == {key: f"{base}/{file}" for key, file in files}


# --- every state a record can be in ----------------------------------------------------------


def test_texts_in_every_state_the_simulator_makes_match_the_spec(bare_simulator, fake_app):
    sim = bare_simulator
    sim.phone("+14155550111").texts_fail("undelivered", 30003)
    fake_app.documents["/twilio/sms"] = "<Response><Message>Thanks.</Message></Response>"
    for to in (MEMBER, "+14155550111"):
        api(sim, "POST", "Messages.json", data={"To": to, "From": LINE, "Body": "Hi"})
    service = {"To": MEMBER, "MessagingServiceSid": "MG" + "1" * 32, "Body": "Hi"}
    CONTRACT.check("CreateMessage", api(sim, "POST", "Messages.json", data=service))
    sim.text_line("+14155550112", "hello")  # answered with a TwiML reply
    sim.text_line("+14155550113", "STOP")  # its reply fails with 21610
    sim.wait_idle()
    listed = CONTRACT.check("ListMessage", api(sim, "GET", "Messages.json"))
    assert {m["direction"] for m in listed["messages"]} == {
        "outbound-api", "inbound", "outbound-reply"
    }  # fmt: skip
    assert {m["error_code"] for m in listed["messages"]} == {None, 30003, 21610}


def test_calls_in_every_state_the_simulator_makes_match_the_spec(bare_simulator, fake_app):
    sim = bare_simulator
    live = []

    def fetch_while_live(params: dict[str, str]) -> str:
        live.append(api(sim, "GET", f"Calls/{params['CallSid']}.json"))
        return SAY

    fake_app.documents.update(
        {
            "/dial": '<Response><Dial action="/dialled" callerId="+15005550006">'
            f"<Number>{FACILITATOR}</Number></Dial></Response>",
            "/dialled": SAY,
            "/live": fetch_while_live,
            "/twilio/voice": SAY,
        }
    )
    sim.phone("+14155550131").does_not_answer("busy")
    sim.phone("+14155550132").does_not_answer("failed")
    sim.phone(FACILITATOR).answers_as_machine()
    for to, path in ((MEMBER, "/dial"), ("+14155550131", "/dial"), ("+14155550132", "/live")):
        data = {"To": to, "From": LINE, "Url": BASE + path, "MachineDetection": "Enable"}
        api(sim, "POST", "Calls.json", data=data)
    api(sim, "POST", "Calls.json", data={"To": "+14155550133", "From": LINE, "Url": BASE + "/live"})
    sim.call_line("+14155550134")
    sim.wait_idle()
    assert CONTRACT.check("FetchCall", live[0])["status"] == "in-progress"
    listed = CONTRACT.check("ListCall", api(sim, "GET", "Calls.json"))
    assert {c["status"] for c in listed["calls"]} == {"completed", "busy", "failed"}
    assert {c["direction"] for c in listed["calls"]} == {"outbound-api", "outbound-dial", "inbound"}


# --- fields whose meaning the spec gives ------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "shown"),
    [
        (MEMBER, "(415) 555-0100"),  # North America: national form, as in the spec's examples
        ("+17875550100", "(787) 555-0100"),
        ("+442071838750", "+442071838750"),  # elsewhere as dialled (a UK call Twilio returned)
    ],
)
def test_a_call_shows_its_numbers_formatted_as_twilio_does(bare_simulator, to, shown):
    data = {"To": to, "From": LINE, "Twiml": SAY}
    call = CONTRACT.check("CreateCall", api(bare_simulator, "POST", "Calls.json", data=data))
    bare_simulator.wait_idle()
    assert (call["to_formatted"], call["from_formatted"]) == (shown, "(500) 555-0006")


def test_a_text_sent_from_a_number_names_the_account_s_default_messaging_service(
    bare_simulator, bare_gateway, wire
):
    for body in ("one", "two"):
        bare_gateway.send_sms(MEMBER, body)
    services = {answer.json()["messaging_service_sid"] for answer in wire.answers}
    (service,) = services
    assert service.startswith("MG")


# --- paging ------------------------------------------------------------------------------------


def _walk(sim: Simulator, first: str) -> list[dict[str, Any]]:
    pages, uri = [], first
    while uri:
        pages.append(CONTRACT.check("ListMessage", http(sim, "GET", uri)))
        uri = pages[-1]["next_page_uri"]
    return pages


def test_pages_link_to_each_other_with_twilio_s_page_tokens(bare_simulator, bare_gateway):
    sent = [bare_gateway.send_sms(MEMBER, f"text {n}").sid for n in range(5)]
    bare_simulator.wait_idle()
    path = f"{ACCOUNT_PATH}/Messages.json"
    pages = _walk(bare_simulator, f"{path}?To=%2B14155550100&PageSize=2")
    sids = [[m["sid"] for m in page["messages"]] for page in pages]
    assert [sid for page in sids for sid in page] == sent[::-1]  # newest first, each once
    query = f"{path}?To=%2B14155550100&PageSize=2"
    for number, page in enumerate(pages):
        first, last = sids[number][0], sids[number][-1]
        assert (page["page"], page["page_size"], page["start"]) == (number, 2, 2 * number)
        assert page["end"] == 2 * number + len(sids[number]) - 1
        assert page["first_page_uri"] == f"{query}&Page=0"
        following = f"{query}&Page={number + 1}&PageToken=PA{last}"
        assert page["next_page_uri"] == (following if number < 2 else None)
        before = f"{query}&Page={number - 1}&PageToken=PB{first}"
        assert page["previous_page_uri"] == (before if number else None)
        if number:  # and back again
            back = CONTRACT.check("ListMessage", http(bare_simulator, "GET", before))
            assert [m["sid"] for m in back["messages"]] == sids[number - 1]


def test_a_text_sent_while_the_line_pages_through_a_list_is_neither_repeated_nor_skipped(
    bare_simulator, bare_gateway
):
    for n in range(4):
        bare_gateway.send_sms(MEMBER, f"text {n}")
    bare_simulator.wait_idle()
    page = bare_gateway.client.messages.page(to=MEMBER, page_size=2)
    seen = [m.body for m in page]
    bare_gateway.send_sms(MEMBER, "arrived meanwhile")
    bare_simulator.wait_idle()
    seen += [m.body for m in page.next_page()]
    assert seen == ["text 3", "text 2", "text 1", "text 0"]


# --- list filters the spec describes ------------------------------------------------------------


def test_calls_started_before_a_day_exclude_that_day_and_end_time_filters_apply(
    bare_simulator, bare_gateway, fake_app
):
    fake_app.documents["/start"] = SAY
    sid = bare_gateway.start_call(MEMBER, f"{BASE}/start").sid
    bare_simulator.wait_idle()
    call = bare_gateway.fetch_call(sid)
    started, ended = call.start_time.date(), call.end_time.date()
    day = timedelta(days=1)

    def listed(**day_filter: Any) -> list[str]:  # days as the gateway sends them: YYYY-MM-DD
        dates = {name: when.isoformat() for name, when in day_filter.items()}
        return [c.sid for c in bare_gateway.client.calls.list(**dates)]

    assert listed(start_time_before=started) == []  # "started before this date"
    assert listed(start_time_before=started + day) == [sid]
    assert listed(start_time_after=started) == [sid]  # "on or after"
    assert listed(end_time=ended) == [sid]
    assert listed(end_time_before=ended) == []
    assert listed(end_time_after=ended + day) == []


def test_calls_can_be_listed_by_the_call_that_dialled_them(bare_simulator, bare_gateway, fake_app):
    fake_app.documents["/start"] = (
        f'<Response><Dial action="/dialled"><Number>{FACILITATOR}</Number></Dial></Response>'
    )
    fake_app.documents["/dialled"] = SAY
    parent = bare_gateway.start_call(MEMBER, f"{BASE}/start").sid
    bare_gateway.start_call("+14155550199", f"{BASE}/dialled")
    bare_simulator.wait_idle()
    (leg,) = bare_gateway.client.calls.list(parent_call_sid=parent)
    assert (leg.to, leg.parent_call_sid) == (FACILITATOR, parent)


# --- the operations the gateway does not call, and media ---------------------------------------


def test_a_redacted_text_keeps_everything_but_its_body(bare_simulator, bare_gateway, wire):
    sent = bare_gateway.send_sms(MEMBER, "Your group meets at 6")
    bare_simulator.wait_idle()
    before = bare_gateway.client.messages(sent.sid).fetch()
    bare_gateway.client.messages(sent.sid).update(body="")
    after = bare_gateway.client.messages(sent.sid).fetch()
    assert (after.body, after.status, after.to) == ("", before.status, before.to)


def test_a_deleted_call_is_gone_from_fetch_and_list(bare_simulator, bare_gateway, fake_app):
    fake_app.documents["/start"] = SAY
    sid = bare_gateway.start_call(MEMBER, f"{BASE}/start").sid
    bare_simulator.wait_idle()
    assert bare_gateway.client.calls(sid).delete() is True
    CONTRACT.check_error(api(bare_simulator, "GET", f"Calls/{sid}.json"), 404, 20404)
    assert bare_gateway.client.calls.list(to=MEMBER) == []


@pytest.mark.parametrize(
    ("extension", "media_type", "starts"),
    [
        ("", "audio/x-wav", b"RIFF"),
        (".wav", "audio/x-wav", b"RIFF"),
        (".mp3", "audio/mpeg", b"\xff"),
    ],
)
def test_a_recording_downloads_as_wav_by_default_and_as_mp3_when_asked(
    bare_simulator, bare_gateway, fake_app, extension, media_type, starts
):
    fake_app.documents["/start"] = RECORD
    bare_simulator.phone(MEMBER).answers(Talk(4))
    bare_gateway.start_call(MEMBER, f"{BASE}/start")
    bare_simulator.wait_idle()
    (recording,) = bare_simulator.store.recordings.values()
    media_url = recording.json()["media_url"]  # what RecordingUrl says: no extension
    path = media_url.removeprefix("https://api.twilio.com")
    answer = http(bare_simulator, "GET", path + extension)
    assert (answer.status_code, answer.headers["Content-Type"]) == (200, media_type)
    assert answer.content.startswith(starts)
    if extension == ".mp3":  # an MPEG audio frame: 11 sync bits set
        assert answer.content[1] & 0xE0 == 0xE0


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", f"Messages/SM{UNKNOWN}.json", None),
        ("POST", f"Messages/SM{UNKNOWN}.json", {"Body": ""}),
        ("DELETE", f"Messages/SM{UNKNOWN}.json", None),
        ("GET", f"Calls/CA{UNKNOWN}.json", None),
        ("POST", f"Calls/CA{UNKNOWN}.json", {"Status": "completed"}),
        ("DELETE", f"Calls/CA{UNKNOWN}.json", None),
        ("GET", f"Recordings/RE{UNKNOWN}.json", None),
        ("DELETE", f"Recordings/RE{UNKNOWN}.json", None),
        ("GET", f"Recordings/RE{UNKNOWN}", None),
        ("GET", f"Recordings/RE{UNKNOWN}.mp3", None),
        ("GET", "Conferences.json", None),
    ],
)
def test_an_unknown_sid_or_route_gets_twilio_s_20404(bare_simulator, method, path, data):
    CONTRACT.check_error(api(bare_simulator, method, path, data=data), 404, 20404)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "Messages.json"), ("POST", "Calls.json"), ("GET", f"Recordings/RE{UNKNOWN}.wav")],
)
@pytest.mark.parametrize("auth", [(PLACEHOLDER_ACCOUNT_SID, "wrong"), None])
def test_wrong_or_missing_credentials_get_twilio_s_20003(bare_simulator, method, path, auth):
    CONTRACT.check_error(api(bare_simulator, method, path, auth=auth), 401, 20003)


TEXT = {"To": MEMBER, "From": LINE, "Body": "Hi"}
CALL = {"To": MEMBER, "From": LINE, "Url": f"{BASE}/start"}


def _without(fields: dict[str, str], name: str) -> dict[str, str]:
    return {key: value for key, value in fields.items() if key != name}


@pytest.mark.parametrize(
    ("path", "data", "code"),
    [
        ("Messages.json", _without(TEXT, "To"), 21604),
        ("Messages.json", _without(TEXT, "From"), 21603),
        ("Messages.json", _without(TEXT, "Body"), 21602),
        ("Messages.json", {**TEXT, "Body": "a" * 1601}, 21617),
        ("Messages.json", {**TEXT, "From": "+14155559999"}, 21606),
        ("Messages.json", {**TEXT, "To": "+15005550001"}, 21211),
        ("Messages.json", {**TEXT, "To": "+15005550004"}, 21610),
        ("Messages.json", {**TEXT, "To": "+15005550009"}, 21614),
        ("Calls.json", _without(CALL, "To"), 21201),
        ("Calls.json", _without(CALL, "From"), 21213),
        ("Calls.json", _without(CALL, "Url"), 21205),
        ("Calls.json", {**CALL, "From": "+14155559999"}, 21210),
        ("Calls.json", {**CALL, "To": "+15005550001"}, 21211),
    ],
)
def test_a_create_twilio_refuses_gets_its_code_and_a_400(bare_simulator, path, data, code):
    CONTRACT.check_error(api(bare_simulator, "POST", path, data=data), 400, code)
    assert bare_simulator.store.messages == {} and bare_simulator.store.calls == {}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"Body": "something else"}, 30400),  # only an empty body redacts
        ({}, 30400),
        ({"Body": "", "Status": "canceled"}, 30400),
        ({"Status": "sent"}, 30400),
        ({"Status": "canceled"}, 30409),  # only a scheduled text can be canceled
    ],
)
def test_a_text_update_twilio_refuses_gets_its_code(bare_simulator, bare_gateway, data, code):
    sid = bare_gateway.send_sms(MEMBER, "Hello").sid
    bare_simulator.wait_idle()
    CONTRACT.check_error(api(bare_simulator, "POST", f"Messages/{sid}.json", data=data), 400, code)
    assert bare_simulator.store.messages[sid].body == "Hello"


def test_what_has_not_finished_cannot_be_deleted_or_redacted(bare_simulator):
    queued = bare_simulator.add_message(
        to=MEMBER, from_=LINE, body="x", direction="outbound-api", status="queued"
    )
    live = bare_simulator.add_call(
        to=MEMBER, from_=LINE, direction="outbound-api", url=f"{BASE}/start"
    )
    for method, path, data in (
        ("DELETE", f"Messages/{queued.sid}.json", None),
        ("POST", f"Messages/{queued.sid}.json", {"Body": ""}),
        ("DELETE", f"Calls/{live.sid}.json", None),
    ):
        CONTRACT.check_error(api(bare_simulator, method, path, data=data), 409, 20009)


def test_a_finished_call_cannot_be_redirected(bare_simulator, bare_gateway, fake_app):
    fake_app.documents["/start"] = SAY
    sid = bare_gateway.start_call(MEMBER, f"{BASE}/start").sid
    bare_simulator.wait_idle()
    answer = api(bare_simulator, "POST", f"Calls/{sid}.json", data={"Url": f"{BASE}/start"})
    CONTRACT.check_error(answer, 400, 21220)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"Messages/SM{UNKNOWN}.json"),
        ("PATCH", f"Calls/CA{UNKNOWN}.json"),
        ("DELETE", "Messages.json"),
        ("POST", f"Recordings/RE{UNKNOWN}.json"),
    ],
)
def test_a_method_no_twilio_operation_has_gets_twilio_s_405(bare_simulator, method, path):
    CONTRACT.check_error(api(bare_simulator, method, path), 405, 20004)


# --- the contract itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation_id", "example"),
    [
        (name, example)
        for name, operation in sorted(CONTRACT.operations.items())
        for example in operation.examples()
    ],
)
def test_twilio_s_own_examples_pass_the_contract(operation_id, example):
    operation = CONTRACT.operations[operation_id]
    (answer,) = (a for a in operation.spec["responses"].values() if "content" in a)
    CONTRACT.validate(example, answer["content"]["application/json"]["schema"])


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"annotation": None}, "Additional properties"),
        ({"status": None}, "None is not one of"),
        ({"body": 7}, "is not of type 'string'"),
        ({"date_sent": "2019-05-24T17:44:50Z"}, "date-time-rfc-2822"),
        ({"date_sent": "Sat, 24 May 2019 17:44:50 +0000"}, "date-time-rfc-2822"),  # a Friday
        ({"sid": "SM" + "g" * 32}, "does not match"),
        ({"subresource_uris": {"media": "Media.json"}}, "uri-map"),
        ({"from": "415-555-0100"}, "phone-number"),
    ],
)
def test_the_contract_refuses_what_twilio_would_never_send(change, complaint):
    fetch = CONTRACT.operations["FetchMessage"]
    (example,) = fetch.examples()
    schema = fetch.spec["responses"]["200"]["content"]["application/json"]["schema"]
    with pytest.raises(AssertionError, match=complaint):
        CONTRACT.validate({**example, **change}, schema)
    missing = {k: v for k, v in example.items() if k != "price"}
    with pytest.raises(AssertionError, match="'price' is a required property"):
        CONTRACT.validate(missing, schema)
