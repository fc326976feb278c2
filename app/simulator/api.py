"""Twilio's REST API (2010-04-01) for Messages, Calls and Recordings: routes, validation in
Twilio's order, Twilio's JSON and error shapes, list filters and paging."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import phonenumbers

from app.simulator.records import API_VERSION, Call, Message, now
from app.simulator.segments import segment_count

if TYPE_CHECKING:
    from app.simulator.server import Simulator

# A recording's media has no extension (WAV), ``.wav`` or ``.mp3``; everything else is JSON.
ROUTE = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>AC\w+)/(?P<resource>Messages|Calls|Recordings)"
    r"(?:/(?P<sid>\w+))?(?:\.(?P<format>json|wav|mp3))?$"
)
MAX_BODY = 1600
# Twilio's magic test numbers (twilio.com/docs/iam/test-credentials) behave the same here.
MAGIC_INVALID, MAGIC_BLOCKED, MAGIC_NOT_MOBILE = "+15005550001", "+15005550004", "+15005550009"
# 1x1 silence: a valid, tiny WAV so a download can be stored and played back.
SILENT_WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00"
    b"\x02\x00\x10\x00data\x00\x00\x00\x00"
)
# One silent MPEG-1 Layer III frame (32 kbit/s, 44.1 kHz, mono: a 4-byte header, then 100 bytes
# of zero side information and data), for ``.mp3``.
SILENT_MP3 = b"\xff\xfb\x10\xc0" + bytes(100)
# Twilio's media types: WAV without an extension or with ``.wav``, MP3 with ``.mp3``
# (twilio.com/docs/api/rest/recording, "Returns one of several representations").
RECORDING_MEDIA = {
    None: (SILENT_WAV, "audio/x-wav"),
    "wav": (SILENT_WAV, "audio/x-wav"),
    "mp3": (SILENT_MP3, "audio/mpeg"),
}
Form = dict[str, list[str]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Form
    form: Form
    auth: tuple[str, str] | None

    def value(self, name: str) -> str | None:
        values = self.values(name)
        return values[0] if values else None

    def values(self, name: str) -> list[str]:
        """Every value of a repeated parameter (``MediaUrl`` once per attachment)."""
        return self.form.get(name) or self.query.get(name) or []


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    segments: int = 0


def json_reply(status: int, payload: dict[str, Any], segments: int = 0) -> Reply:
    return Reply(status, json.dumps(payload).encode(), segments=segments)


def error(status: int, code: int, message: str) -> Reply:
    """Twilio's legacy error shape, which twilio-python turns into ``TwilioRestException``."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    payload = {"code": code, "message": message, "more_info": more_info, "status": status}
    return json_reply(status, payload)


def not_found(path: str) -> Reply:
    return error(404, 20404, f"The requested resource {path} was not found")


Handler = Callable[["Simulator", Request, str | None], Reply]


def handler_for(method: str, resource: str, sid: str | None, fmt: str | None) -> Handler | None:
    media = resource == "Recordings" and sid is not None
    if fmt is None and not media:
        return _no_such_route  # only a recording's media has a URL without an extension
    if fmt != "json":
        return fetch_recording_media if media and method == "GET" else None
    table: dict[tuple[str, str, bool], Handler] = {
        ("Messages", "POST", False): create_message,
        ("Messages", "GET", False): list_messages,
        ("Messages", "GET", True): fetch_message,
        ("Messages", "POST", True): update_message,
        ("Messages", "DELETE", True): delete_message,
        ("Calls", "POST", False): create_call,
        ("Calls", "GET", False): list_calls,
        ("Calls", "GET", True): fetch_call,
        ("Calls", "POST", True): update_call,
        ("Calls", "DELETE", True): delete_call,
        ("Recordings", "GET", True): fetch_recording,
        ("Recordings", "DELETE", True): delete_recording,
    }
    handler = table.get((resource, method, sid is not None))
    return _answering(handler) if handler else None


def _answering(handler: Handler) -> Handler:
    """A refused parameter gets Twilio's 400 error JSON: never a dropped connection, which a
    client must read as "maybe done"."""

    def answer(sim: Simulator, request: Request, sid: str | None) -> Reply:
        try:
            return handler(sim, request, sid)
        except BadRequest as refused:
            return error(400, refused.code, refused.message)

    return answer


def _no_such_route(sim: Simulator, request: Request, _: str | None) -> Reply:
    return not_found(request.path)


# --- Messages ---------------------------------------------------------------------------------


def create_message(sim: Simulator, request: Request, _: str | None) -> Reply:
    problem = _message_problem(sim, request)
    if problem is not None:
        return problem
    body = request.value("Body") or ""
    service = request.value("MessagingServiceSid")
    message = sim.add_message(
        to=_e164(request.value("To") or ""),
        from_=request.value("From"),  # a Messaging Service picks one once the text is queued
        body=body,
        direction="outbound-api",
        status="accepted" if service else "queued",
        messaging_service_sid=service,
        status_callback=request.value("StatusCallback"),
        num_media=len(request.values("MediaUrl")),
    )
    answer = message.json(just_created=True)  # as created: before the carrier moves it on
    sim.carrier.dispatch_message(message)
    return json_reply(201, answer, segments=segment_count(body))


def _message_problem(sim: Simulator, request: Request) -> Reply | None:
    to, sender = request.value("To"), request.value("From")
    body = request.value("Body") or ""
    if not to:
        return error(400, 21604, "A 'To' phone number is required.")
    if not sender and not request.value("MessagingServiceSid"):
        return error(400, 21603, "A 'From' phone number is required.")
    if not body and not request.value("MediaUrl"):
        return error(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        return error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    if sender and sender not in sim.line_numbers:
        message = f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short code for your account."  # noqa: E501
        return error(400, 21606, message)
    return _recipient_problem(sim, to, sms=True)


def _recipient_problem(sim: Simulator, to: str, sms: bool) -> Reply | None:
    number = _e164(to)
    phone = sim.phone(number) if number else None
    if not number or number == MAGIC_INVALID or (phone is not None and phone.invalid):
        return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if not sms or phone is None:
        return None
    if number == MAGIC_BLOCKED or phone.blocked:
        return error(400, 21610, "Attempt to send to unsubscribed recipient")
    if number == MAGIC_NOT_MOBILE or phone.landline:
        return error(400, 21614, f"'To' number {to} is not a valid mobile number")
    return None


@lru_cache(maxsize=4096)
def _e164(text: str) -> str | None:
    if text in (MAGIC_INVALID, MAGIC_BLOCKED, MAGIC_NOT_MOBILE):
        return text
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def fetch_message(sim: Simulator, request: Request, sid: str | None) -> Reply:
    message = sim.store.messages.get(sid or "")
    return json_reply(200, message.json()) if message else not_found(request.path)


def delete_message(sim: Simulator, request: Request, sid: str | None) -> Reply:
    refusal = "Cannot delete message because delivery has not been completed"
    return _delete_finished(sim, request, sim.store.messages, sid, IN_FLIGHT, refusal)


def _delete_finished(
    sim: Simulator,
    request: Request,
    records: dict[str, Any],
    sid: str | None,
    unfinished: frozenset[str],
    refusal: str,
) -> Reply:
    """Twilio deletes a text or a call once it has finished (20009 before)."""
    with sim.store.lock:
        record = records.get(sid or "")
        if record is None:
            return not_found(request.path)
        if record.status in unfinished:
            return error(409, 20009, refusal)
        del records[record.sid]
    return Reply(204)


IN_FLIGHT = frozenset({"queued", "accepted", "sending", "scheduled"})


def update_message(sim: Simulator, request: Request, sid: str | None) -> Reply:
    """Twilio's two updates: ``Body=""`` redacts a message that has left (error 30400 for any
    other body, or for none, or for both parameters), ``Status=canceled`` cancels a scheduled
    one (30409: the simulator schedules none)."""
    body, status = request.value("Body"), request.value("Status")
    with sim.store.lock:
        message = sim.store.messages.get(sid or "")
        if message is None:
            return not_found(request.path)
        redact, cancel = body == "", status == "canceled"
        if (body is None) == (status is None) or not (redact or cancel):
            return error(400, 30400, "Parameters are not valid")
        if cancel:
            return error(400, 30409, "This message cannot be canceled")
        if message.status in IN_FLIGHT:
            return error(409, 20009, "Cannot redact message because it has not been sent")
        message.body, message.date_updated = "", now()
        return json_reply(200, message.json())


def list_messages(sim: Simulator, request: Request, _: str | None) -> Reply:
    sent = _date_filter(request, "DateSent")
    with sim.store.lock:
        found = [m for m in sim.store.messages.values() if _message_matches(m, request, sent)]
    found.sort(key=lambda m: m.date_created, reverse=True)
    return _page(request, "messages", [m.json() for m in found])


def _message_matches(
    message: Message, request: Request, sent: Callable[[datetime | None], bool]
) -> bool:
    for name, value in (("To", message.to), ("From", message.from_)):
        wanted = request.value(name)
        if wanted and _e164(wanted) != value:
            return False
    return sent(message.date_sent)


# --- Calls ------------------------------------------------------------------------------------


def create_call(sim: Simulator, request: Request, _: str | None) -> Reply:
    problem = _call_problem(sim, request)
    if problem is not None:
        return problem
    call = sim.add_call(
        to=_e164(request.value("To") or ""),
        from_=request.value("From"),
        direction="outbound-api",
        url=request.value("Url"),
        method=request.value("Method") or "POST",
        twiml=request.value("Twiml"),
        status_callback=request.value("StatusCallback"),
        status_events=tuple(request.form.get("StatusCallbackEvent") or ["completed"]),
        machine_detection=request.value("MachineDetection"),
        async_amd_callback=_async_amd(request),
        timeout=_whole(request.value("Timeout"), 60),
        amd_timeout=_whole(request.value("MachineDetectionTimeout"), 30),
    )
    sim.dispatch_call(call)
    return json_reply(201, call.json())


def _call_problem(sim: Simulator, request: Request) -> Reply | None:
    to, sender = request.value("To"), request.value("From")
    if not to:
        return error(400, 21201, "No 'To' number is specified")
    if not sender:
        return error(400, 21213, "No 'From' number is specified")
    if not request.value("Url") and not request.value("Twiml"):
        return error(400, 21205, "Url parameter is required.")
    if sender not in sim.line_numbers:
        message = (
            f"The source phone number provided, {sender}, is not yet verified for your account."
        )
        return error(400, 21210, message)
    return _recipient_problem(sim, to, sms=False)


def _async_amd(request: Request) -> str | None:
    if request.value("AsyncAmd") != "true":
        return None
    return request.value("AsyncAmdStatusCallback")


def _whole(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


def fetch_call(sim: Simulator, request: Request, sid: str | None) -> Reply:
    call = sim.store.calls.get(sid or "")
    return json_reply(200, call.json()) if call else not_found(request.path)


def update_call(sim: Simulator, request: Request, sid: str | None) -> Reply:
    """Hang up (``Status=completed``/``canceled``) or give the live call new TwiML."""
    call = sim.store.calls.get(sid or "")
    if call is None:
        return not_found(request.path)
    if call.status not in LIVE_CALL:
        return error(400, 21220, "Call is not in-progress. Cannot redirect.")
    if request.value("Status") in ("completed", "canceled"):
        call.hangup_requested = True
    elif request.value("Url"):
        call.redirect = (request.value("Url") or "", request.value("Method") or "POST")
    elif request.value("Twiml"):
        call.redirect_twiml = request.value("Twiml")
    call.changed.set()
    return json_reply(200, call.json())


def delete_call(sim: Simulator, request: Request, sid: str | None) -> Reply:
    refusal = "Cannot delete call because it is still in progress"
    return _delete_finished(sim, request, sim.store.calls, sid, LIVE_CALL, refusal)


LIVE_CALL = frozenset({"queued", "ringing", "in-progress"})


def list_calls(sim: Simulator, request: Request, _: str | None) -> Reply:
    # Calls "started before" / "ended before" a date: ``StartTime<`` and ``EndTime<`` exclude
    # it, where ``DateSent<`` for messages means on and before (the spec's parameter texts).
    started = _date_filter(request, "StartTime", strictly_before=True)
    ended = _date_filter(request, "EndTime", strictly_before=True)
    with sim.store.lock:
        found = [c for c in sim.store.calls.values() if _call_matches(c, request, started, ended)]
    found.sort(key=lambda c: c.date_created, reverse=True)
    return _page(request, "calls", [c.json() for c in found])


def _call_matches(call: Call, request: Request, started: DateTest, ended: DateTest) -> bool:
    for name, value in (
        ("To", call.to), ("From", call.from_), ("Status", call.status),
        ("ParentCallSid", call.parent_call_sid),
    ):  # fmt: skip
        wanted = request.value(name)
        if wanted and (value is None or value not in (wanted, _e164(wanted))):
            return False
    # A call still queued has not started: Twilio's StartTime filters leave it out.
    return started(call.start_time) and ended(call.end_time)


# --- Recordings -------------------------------------------------------------------------------


def fetch_recording(sim: Simulator, request: Request, sid: str | None) -> Reply:
    recording = sim.store.recordings.get(sid or "")
    return json_reply(200, recording.json()) if recording else not_found(request.path)


def fetch_recording_media(sim: Simulator, request: Request, sid: str | None) -> Reply:
    if (sid or "") not in sim.store.recordings:
        return not_found(request.path)
    extension = request.path.rpartition("/")[2].partition(".")[2] or None
    audio, content_type = RECORDING_MEDIA[extension]
    return Reply(200, audio, content_type)


def delete_recording(sim: Simulator, request: Request, sid: str | None) -> Reply:
    with sim.store.lock:
        if sim.store.recordings.pop(sid or "", None) is None:
            return not_found(request.path)
    return Reply(204)


# --- filters and paging -----------------------------------------------------------------------


class BadRequest(Exception):
    """A parameter Twilio would refuse: answered 400 with Twilio's error JSON."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code, self.message = code, message


DateTest = Callable[[datetime | None], bool]


def _date_filter(request: Request, field: str, strictly_before: bool = False) -> DateTest:
    """Twilio's ``Field`` (within the day, or that second), ``Field>`` (on or after) and
    ``Field<`` (on or before; before, when ``strictly_before``) filters, read once (a bad one
    is a 400 even when nothing would match). A record without the date (a text still queued
    has no ``date_sent``) matches none of them."""
    bounds = [
        (suffix, *_period(wanted))
        for suffix in ("", ">", "<")
        if (wanted := request.value(field + suffix))
    ]

    def matches(moment: datetime | None) -> bool:
        if not bounds:
            return True
        if moment is None:
            return False
        moment = moment.replace(microsecond=0)  # Twilio's dates have whole seconds
        return all(
            (suffix == "<" or moment >= start)
            and (suffix == ">" or moment < (start if suffix == "<" and strictly_before else end))
            for suffix, start, end in bounds
        )

    return matches


# Zones the spec's own example writes by name (``06/11/2019 22:05:25 MST``).
_ZONES = {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}  # fmt: skip
_US_DATE = re.compile(
    r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?: (?P<time>\d{1,2}:\d{2}(?::\d{2})?)(?: (?P<zone>[A-Z]{1,4}))?)?$"
)
_WHOLE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$")


def _period(text: str) -> tuple[datetime, datetime]:
    """The stretch of time a date filter names, as [start, end): a whole year, month or day
    (GMT), or one second. Every form Twilio's docs and spec examples use: ``2019-06-11``,
    ``2019-06``, ``2019``, ISO 8601 (``2019-06-11T22:05:25Z``, ``2019-06-11 22:05:25.000``,
    ``...-08:00``), RFC 2822 (``Wed, 19 Jun 2019 22:04:00 -0000``) and
    ``06/11/2019 22:05:25 MST``."""
    text = text.strip()
    try:
        whole = _WHOLE.match(text) or _US_DATE.match(text)
        if whole and not whole.groupdict().get("time"):
            return _whole_period(int(whole["year"]), whole["month"], whole["day"])
        moment = _moment(text)
    except (ValueError, OverflowError, TypeError):
        raise BadRequest(20001, "Invalid date value.") from None
    return moment, moment + timedelta(seconds=1)


def _whole_period(year: int, month: str | None, day: str | None) -> tuple[datetime, datetime]:
    if day:
        start = datetime(year, int(month or 1), int(day), tzinfo=UTC)
        return start, start + timedelta(days=1)
    if month:
        start = datetime(year, int(month), 1, tzinfo=UTC)
        following = datetime(year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
        return start, following
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _moment(text: str) -> datetime:
    us = _US_DATE.match(text)
    if us:
        moment = datetime.strptime(
            f"{us['year']}-{us['month']}-{us['day']} {us['time'] or '00:00'}",
            "%Y-%m-%d %H:%M:%S" if (us["time"] or "").count(":") == 2 else "%Y-%m-%d %H:%M",
        )
        if us["zone"] and us["zone"] not in _ZONES:
            raise ValueError(us["zone"])
        moment = moment.replace(tzinfo=timezone(timedelta(hours=_ZONES.get(us["zone"], 0))))
    elif text[:1].isdigit():
        moment = datetime.fromisoformat(text)
    else:
        moment = parsedate_to_datetime(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # Twilio reads dates as GMT
    return moment.astimezone(UTC).replace(microsecond=0)


def _page(request: Request, key: str, records: list[dict[str, Any]]) -> Reply:
    """One page, newest first. ``next_page_uri`` carries ``PageToken=PA<last SID>`` and
    ``previous_page_uri`` ``PageToken=PB<first SID>`` as Twilio's do, so walking the pages
    neither repeats nor skips a record when new ones arrive meanwhile."""
    size = min(_whole_number(request, "PageSize", 50, 1, None), 1000)
    number = _whole_number(request, "Page", 0, 0, None)
    first, end = _page_bounds(records, request.value("PageToken"), size, number)
    chunk = records[first:end]
    more = len(records) > end
    after = f"PA{chunk[-1]['sid']}" if chunk else None
    before = f"PB{chunk[0]['sid']}" if chunk else None
    payload = {
        key: chunk,
        "end": number * size + max(len(chunk) - 1, 0),
        "first_page_uri": _page_uri(request, size, 0),
        "next_page_uri": _page_uri(request, size, number + 1, after) if more else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": _page_uri(request, size, number - 1, before) if number else None,
        "start": number * size,
        "uri": _page_uri(request, size, number, request.value("PageToken")),
    }
    return json_reply(200, payload)


def _page_bounds(
    records: list[dict[str, Any]], token: str | None, size: int, number: int
) -> tuple[int, int]:
    """The slice a page holds: the records after (``PA``) or before (``PB``) the one its token
    names; without a token, or when that record is gone, by page number."""
    sids = [record["sid"] for record in records]
    if token and token[:2] in ("PA", "PB") and token[2:] in sids:
        at = sids.index(token[2:])
        return (at + 1, at + 1 + size) if token.startswith("PA") else (max(at - size, 0), at)
    return number * size, (number + 1) * size


def _whole_number(request: Request, name: str, default: int, least: int, most: int | None) -> int:
    text = request.value(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < least or (most is not None and int(text) > most):
        raise BadRequest(20001, f"Invalid {name}")
    return int(text)


def _page_uri(request: Request, size: int, number: int, token: str | None = None) -> str:
    params: Iterable[tuple[str, str]] = [
        (k, v)
        for k, vs in request.query.items()
        if k not in ("Page", "PageSize", "PageToken")
        for v in vs
    ]
    paging = [("PageSize", str(size)), ("Page", str(number))]
    query = urlencode([*params, *paging, *([("PageToken", token)] if token else [])])
    return f"{request.path}?{query}"
