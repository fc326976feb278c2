"""Twilio's REST API (2010-04-01) for Messages, Calls and Recordings: routes, validation in
Twilio's order, Twilio's JSON and error shapes, list filters and paging."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import phonenumbers

from app.simulator.records import API_VERSION, Call, Message

if TYPE_CHECKING:
    from app.simulator.server import Simulator

ROUTE = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>AC\w+)/(?P<resource>Messages|Calls|Recordings)"
    r"(?:/(?P<sid>\w+))?\.(?P<format>json|wav|mp3)$"
)
MAX_BODY = 1600
# Twilio's magic test numbers (twilio.com/docs/iam/test-credentials) behave the same here.
MAGIC_INVALID, MAGIC_BLOCKED, MAGIC_NOT_MOBILE = "+15005550001", "+15005550004", "+15005550009"
# 1x1 silence: a valid, tiny WAV so a download can be stored and played back.
SILENT_WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00\x80>\x00\x00"
    b"\x02\x00\x10\x00data\x00\x00\x00\x00"
)
Form = dict[str, list[str]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Form
    form: Form
    auth: tuple[str, str] | None

    def value(self, name: str) -> str | None:
        values = self.form.get(name) or self.query.get(name)
        return values[0] if values else None


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


def handler_for(method: str, resource: str, sid: str | None, fmt: str) -> Handler | None:
    if fmt != "json":
        return fetch_recording_media if (resource, method) == ("Recordings", "GET") else None
    table: dict[tuple[str, str, bool], Handler] = {
        ("Messages", "POST", False): create_message,
        ("Messages", "GET", False): list_messages,
        ("Messages", "GET", True): fetch_message,
        ("Messages", "DELETE", True): delete_message,
        ("Calls", "POST", False): create_call,
        ("Calls", "GET", False): list_calls,
        ("Calls", "GET", True): fetch_call,
        ("Calls", "POST", True): update_call,
        ("Recordings", "GET", True): fetch_recording,
        ("Recordings", "DELETE", True): delete_recording,
    }
    return table.get((resource, method, sid is not None))


# --- Messages ---------------------------------------------------------------------------------


def create_message(sim: Simulator, request: Request, _: str | None) -> Reply:
    problem = _message_problem(sim, request)
    if problem is not None:
        return problem
    body = request.value("Body") or ""
    service = request.value("MessagingServiceSid")
    message = sim.add_message(
        to=_e164(request.value("To") or ""),
        from_=request.value("From") or sim.line_numbers[0],
        body=body,
        direction="outbound-api",
        status="accepted" if service else "queued",
        messaging_service_sid=service,
        status_callback=request.value("StatusCallback"),
    )
    sim.carrier.dispatch_message(message)
    return json_reply(201, message.json(), segments=message.num_segments)


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
    with sim.store.lock:
        message = sim.store.messages.get(sid or "")
        if message is None:
            return not_found(request.path)
        if message.status in ("queued", "accepted", "sending"):
            return error(
                409, 20009, "Cannot delete message because delivery has not been completed"
            )
        del sim.store.messages[message.sid]
    return Reply(204)


def list_messages(sim: Simulator, request: Request, _: str | None) -> Reply:
    with sim.store.lock:
        found = [m for m in sim.store.messages.values() if _message_matches(m, request)]
    found.sort(key=lambda m: m.date_created, reverse=True)
    return _page(request, "messages", [m.json() for m in found])


def _message_matches(message: Message, request: Request) -> bool:
    for name, value in (("To", message.to), ("From", message.from_)):
        wanted = request.value(name)
        if wanted and _e164(wanted) != value:
            return False
    return _within(request, "DateSent", message.date_sent)


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
    if call.status not in ("queued", "ringing", "in-progress"):
        return error(400, 21220, "Call is not in-progress. Cannot redirect.")
    if request.value("Status") in ("completed", "canceled"):
        call.hangup_requested = True
    elif request.value("Url"):
        call.redirect = (request.value("Url") or "", request.value("Method") or "POST")
    elif request.value("Twiml"):
        call.redirect_twiml = request.value("Twiml")
    call.changed.set()
    return json_reply(200, call.json())


def list_calls(sim: Simulator, request: Request, _: str | None) -> Reply:
    with sim.store.lock:
        found = [c for c in sim.store.calls.values() if _call_matches(c, request)]
    found.sort(key=lambda c: c.date_created, reverse=True)
    return _page(request, "calls", [c.json() for c in found])


def _call_matches(call: Call, request: Request) -> bool:
    for name, value in (("To", call.to), ("From", call.from_), ("Status", call.status)):
        wanted = request.value(name)
        if wanted and wanted != value and _e164(wanted) != value:
            return False
    # A call still queued has not started: Twilio's StartTime filters leave it out.
    return _within(request, "StartTime", call.start_time)


# --- Recordings -------------------------------------------------------------------------------


def fetch_recording(sim: Simulator, request: Request, sid: str | None) -> Reply:
    recording = sim.store.recordings.get(sid or "")
    return json_reply(200, recording.json()) if recording else not_found(request.path)


def fetch_recording_media(sim: Simulator, request: Request, sid: str | None) -> Reply:
    if (sid or "") not in sim.store.recordings:
        return not_found(request.path)
    return Reply(200, SILENT_WAV, "audio/x-wav")


def delete_recording(sim: Simulator, request: Request, sid: str | None) -> Reply:
    with sim.store.lock:
        if sim.store.recordings.pop(sid or "", None) is None:
            return not_found(request.path)
    return Reply(204)


# --- filters and paging -----------------------------------------------------------------------


def _within(request: Request, field: str, moment: datetime | None) -> bool:
    """Twilio's ``Field``, ``Field>`` (on or after) and ``Field<`` (on or before) filters, with a
    date (whole days) or an ISO 8601 datetime."""
    for suffix, test in (("", _same), (">", _on_or_after), ("<", _on_or_before)):
        wanted = request.value(field + suffix)
        if wanted and (moment is None or not test(moment, wanted)):
            return False
    return True


def _bound(text: str) -> tuple[datetime, bool]:
    """The moment and whether it was a whole date."""
    if "T" in text:
        return datetime.fromisoformat(text.replace("Z", "+00:00")), False
    return datetime.combine(date.fromisoformat(text), time(), UTC), True


def _same(moment: datetime, text: str) -> bool:
    bound, whole_day = _bound(text)
    return moment.date() == bound.date() if whole_day else moment == bound


def _on_or_after(moment: datetime, text: str) -> bool:
    bound, whole_day = _bound(text)
    return moment.date() >= bound.date() if whole_day else moment >= bound


def _on_or_before(moment: datetime, text: str) -> bool:
    bound, whole_day = _bound(text)
    return moment.date() <= bound.date() if whole_day else moment <= bound


def _page(request: Request, key: str, records: list[dict[str, Any]]) -> Reply:
    size = min(int(request.value("PageSize") or 50), 1000)
    number = int(request.value("Page") or 0)
    chunk = records[number * size : (number + 1) * size]
    more = len(records) > (number + 1) * size
    payload = {
        key: chunk,
        "end": number * size + max(len(chunk) - 1, 0),
        "first_page_uri": _page_uri(request, size, 0),
        "next_page_uri": _page_uri(request, size, number + 1) if more else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": _page_uri(request, size, number - 1) if number else None,
        "start": number * size,
        "uri": _page_uri(request, size, number),
    }
    return json_reply(200, payload)


def _page_uri(request: Request, size: int, number: int) -> str:
    params: Iterable[tuple[str, str]] = [
        (k, v) for k, vs in request.query.items() if k not in ("Page", "PageSize") for v in vs
    ]
    query = urlencode([*params, ("PageSize", str(size)), ("Page", str(number))])
    return f"{request.path}?{query}"
