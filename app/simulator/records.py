"""What the simulator remembers: messages, calls, recordings, and a log of every request and
webhook, kept in memory to assert on and to measure rates."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import phonenumbers

API_VERSION = "2010-04-01"
FINAL_MESSAGE_STATUSES = frozenset({"delivered", "undelivered", "failed", "received"})


# SIDs: 32 hex digits like Twilio's, unique per simulator run (a random half, then a counter;
# uuid4 per SID costs a urandom call, which showed up as the simulator's largest cost).
_RUN = uuid.uuid4().hex[:16]
_COUNTER = itertools.count(1)


def new_sid(prefix: str) -> str:
    return f"{prefix}{_RUN}{next(_COUNTER):016x}"


def now() -> datetime:
    return datetime.now(UTC)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's date format: ``Wed, 25 Nov 2026 19:51:07 +0000``."""
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000") if moment else None


# The subresource keys in the examples of Twilio's OpenAPI description (twilio-oai, api v2010).
MESSAGE_SUBRESOURCES = ("feedback", "media")
CALL_SUBRESOURCES = (
    "events", "notifications", "payments", "recordings", "siprec", "streams", "transcriptions",
    "user_defined_message_subscriptions", "user_defined_messages",
)  # fmt: skip
RECORDING_SUBRESOURCES = ("add_on_results", "transcriptions")


def subresource_uris(uri: str, names: Iterable[str]) -> dict[str, str]:
    """``{"user_defined_messages": ".../CA…/UserDefinedMessages.json"}``, as Twilio names them."""
    base = uri.removesuffix(".json")
    return {name: f"{base}/{_camel(name)}.json" for name in names}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def formatted(number: str) -> str:
    """A call's ``from_formatted``/``to_formatted``: the national form for North American
    numbers (``(415) 867-5309``, as in Twilio's examples), anything else as it came."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    if parsed.country_code != 1:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def default_messaging_service(account_sid: str) -> str:
    """Twilio assigns "a unique default value" to ``messaging_service_sid`` when a text is sent
    without a Messaging Service (api v2010 ``message.messaging_service_sid``): one per account."""
    return "MG" + hashlib.sha256(account_sid.encode()).hexdigest()[:32]


@dataclass
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None  # None while a Messaging Service has not yet picked the sender
    body: str
    direction: str
    status: str
    num_segments: int
    num_media: int = 0
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    date_created: datetime = field(default_factory=now)
    date_sent: datetime | None = None
    date_updated: datetime = field(default_factory=now)
    # Every status it has had, in order, for tests to see the ones no callback reports.
    statuses: list[str] = field(default_factory=list, repr=False, compare=False)
    # Set once the message reached its final status (delivered, undelivered, failed).
    finished: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.statuses.append(self.status)

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def json(self, just_created: bool = False) -> dict[str, Any]:
        """The resource as Twilio answers it. The create answer's ``subresource_uris`` has only
        ``media`` (Twilio's create examples); fetches and lists add ``feedback``."""
        names = ("media",) if just_created else MESSAGE_SUBRESOURCES
        service = self.messaging_service_sid or default_messaging_service(self.account_sid)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": service,
            "num_media": str(self.num_media),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": subresource_uris(self.uri(), names),
            "to": self.to,
            "uri": self.uri(),
        }


@dataclass(frozen=True)
class Heard:
    """One thing a virtual phone heard: what was said (or played), in which voice."""

    text: str
    voice: str | None = None
    language: str | None = None
    kind: str = "say"  # say | play | beep


@dataclass
class Call:
    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    url: str | None
    method: str = "POST"
    twiml: str | None = None
    status: str = "queued"
    status_callback: str | None = None
    status_events: tuple[str, ...] = ("completed",)
    machine_detection: str | None = None
    async_amd_callback: str | None = None
    answered_by: str | None = None
    parent_call_sid: str | None = None
    bridged_with: str | None = None
    timeout: int = 60  # seconds to ring before no-answer (the create's Timeout)
    amd_timeout: int = 30  # MachineDetectionTimeout
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    start_time: datetime | None = None  # dialled
    end_time: datetime | None = None  # completed (not for busy, no-answer, failed)
    queue_ms: int = 0
    seconds: int | None = None  # from the answer to the end, in the call's own time
    heard: list[Heard] = field(default_factory=list)
    voicemail_from: int | None = None  # the first of ``heard`` a machine's recording kept
    documents: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sequence: int = 0
    # Set by a REST update (hang up, or new TwiML) for the running session to act on.
    redirect: tuple[str, str] | None = None
    redirect_twiml: str | None = None
    hangup_requested: bool = False
    changed: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def duration(self) -> int | None:
        """Empty for busy, failed, unanswered or ongoing calls (Twilio's ``duration``)."""
        return self.seconds

    def said(self) -> list[str]:
        return [h.text for h in self.heard if h.kind == "say"]

    def voicemail(self) -> list[str]:
        """What an answering machine recorded: what was said after its greeting's beep."""
        if self.voicemail_from is None:
            return []
        return [h.text for h in self.heard[self.voicemail_from :] if h.kind == "say"]

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}.json"

    def json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "answered_by": self.answered_by,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "duration": str(self.duration) if self.duration is not None else None,
            "end_time": rfc2822(self.end_time),
            "forwarded_from": None,
            "from": self.from_,
            "from_formatted": formatted(self.from_),
            "group_sid": None,
            "parent_call_sid": self.parent_call_sid,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": str(self.queue_ms),
            "sid": self.sid,
            "start_time": rfc2822(self.start_time),
            "status": self.status,
            "subresource_uris": subresource_uris(self.uri(), CALL_SUBRESOURCES),
            "to": self.to,
            "to_formatted": formatted(self.to),
            "trunk_sid": None,
            "uri": self.uri(),
        }


@dataclass
class Recording:
    sid: str
    account_sid: str
    call_sid: str
    duration: int
    status: str = "completed"
    date_created: datetime = field(default_factory=now)

    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}.json"

    def json(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "channels": 1,
            "conference_sid": None,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "duration": str(self.duration),
            "encryption_details": None,
            "error_code": None,
            "media_url": f"https://api.twilio.com{self.uri().removesuffix('.json')}",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "source": "RecordVerb",
            "start_time": rfc2822(self.date_created),
            "status": self.status,
            "subresource_uris": subresource_uris(self.uri(), RECORDING_SUBRESOURCES),
            "uri": self.uri(),
        }


@dataclass(frozen=True)
class ApiRequest:
    """One REST request the simulator answered (``at`` is ``time.monotonic()``)."""

    at: float
    method: str
    resource: str
    status: int
    segments: int = 0


@dataclass(frozen=True)
class Webhook:
    """One request the simulator made to the app, and how the app answered."""

    at: float
    url: str
    params: tuple[tuple[str, str], ...]
    status: int

    def param(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


@dataclass
class Store:
    lock: threading.RLock = field(default_factory=threading.RLock)
    messages: dict[str, Message] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    recordings: dict[str, Recording] = field(default_factory=dict)
    requests: list[ApiRequest] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)

    def log_request(self, method: str, resource: str, status: int, segments: int = 0) -> None:
        with self.lock:
            self.requests.append(ApiRequest(time.monotonic(), method, resource, status, segments))

    def log_webhook(self, url: str, params: list[tuple[str, str]], status: int) -> None:
        with self.lock:
            self.webhooks.append(Webhook(time.monotonic(), url, tuple(params), status))
