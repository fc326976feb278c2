"""The carrier: outbound texts moving queued -> sending -> sent -> delivered (or failing) over
a configurable time, with their status callbacks;
texts from virtual phones to the line, with the carrier's own keyword handling (Twilio's
default opt-out management: STOP blocks the number, START unblocks it); and the app's TwiML
replies, which never reach a blocked phone."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from app.simulator.phones import Phone, opt_out_type
from app.simulator.records import API_VERSION, Message, new_sid, now
from app.simulator.segments import segment_count
from app.simulator.webhooks import Disorder, Params

if TYPE_CHECKING:
    from app.simulator.server import Simulator

# Stand-ins for the replies Twilio's opt-out management sends itself (the real texts are set in
# the Twilio console, SPEC §8); marked so no test mistakes them for the line's own words.
CARRIER_REPLY = {kind: f"<carrier {kind} reply>" for kind in ("STOP", "START", "HELP")}


@dataclass(frozen=True)
class MessageTiming:
    """Seconds each step of an outbound text takes here (docs/simulator.md has the sources)."""

    accepted: float = 0.2  # a Messaging Service picks the sender: accepted -> queued
    queued: float = 0.5  # waiting its turn in the sender's queue: queued -> sending
    sending: float = 0.5  # handing it to the carrier: sending -> sent (date_sent is set)
    delivery: float = 2.0  # the carrier's delivery receipt: sent -> delivered | undelivered


# Twilio's own examples put ``date_sent`` 1-4 s after ``date_created``; a delivery receipt
# follows in seconds. ``make run`` and benchmarks see this pace.
TWILIO_LIKE = MessageTiming()
# Tests: every text still passes through every status, in milliseconds.
QUICK = MessageTiming(accepted=0.002, queued=0.002, sending=0.002, delivery=0.002)


class Carrier:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.timing = TWILIO_LIKE
        # A sender's throughput in texts per second (None: unlimited). Above it texts wait in
        # ``queued``, as at Twilio (a long code sends about 1 a second, a toll-free 3).
        self.per_second: float | None = None
        self.holding = False
        self.held: list[Message] = []
        self._free_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def add_message(self, **fields: object) -> Message:
        body = str(fields.get("body", ""))
        # a message with media is an MMS: an MM… SID, billed as one message whatever its body.
        # A Messaging Service's text counts no segments until a sender is picked (the spec's
        # ``num_segments``: "initially 0, since a sender hasn't yet been assigned").
        mms = bool(fields.get("num_media"))
        segments = 1 if mms else segment_count(body)
        message = Message(
            sid=new_sid("MM" if mms else "SM"), account_sid=self.sim.account_sid,
            num_segments=0 if fields.get("status") == "accepted" else segments,
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
        with self.sim.store.lock:
            self.sim.store.messages[message.sid] = message
        return message

    # --- holding texts in the sender's queue ---------------------------------------------

    def hold(self) -> None:
        """From now on every text stays ``queued`` (no ``date_sent``), as Twilio keeps texts
        beyond a sender's throughput, until ``release``. It can be fetched and listed."""
        with self._lock:
            self.holding = True

    def release(self) -> None:
        with self._lock:
            self.holding, held, self.held = False, self.held, []
        for message in held:
            self._schedule(message)

    # --- an outbound text's life ---------------------------------------------------------

    def dispatch_message(self, message: Message) -> None:
        if self.sim.disorder is Disorder.EARLY:
            while self._step(message):  # every status before the create request is answered
                pass
        else:
            self._schedule(message)

    def _schedule(self, message: Message) -> None:
        delay = self._wait_before_next(message)
        if delay is not None:
            # One lane per recipient: texts to one phone (a reply and its footer) arrive in
            # the order they were sent, and one text's callbacks keep their order.
            self.sim.later(message.to, lambda: self._advance(message), delay)

    def _advance(self, message: Message) -> None:
        if self._step(message):
            self._schedule(message)

    def _wait_before_next(self, message: Message) -> float | None:
        """Seconds until the text's next status; None while it is held in the queue."""
        timing = self.timing
        if message.status == "accepted":
            return timing.accepted
        if message.status == "sending":
            return timing.sending
        if message.status == "sent":
            return timing.delivery
        with self._lock:
            if self.holding:
                self.held.append(message)
                return None
            return self._turn(message, timing.queued)

    def _turn(self, message: Message, least: float) -> float:
        """When the sender may send this one: at ``per_second`` at most (under ``_lock``)."""
        if not self.per_second:
            return least
        sender = message.messaging_service_sid or message.from_ or ""
        start = max(time.monotonic() + least, self._free_at.get(sender, 0.0))
        self._free_at[sender] = start + 1 / self.per_second
        return start - time.monotonic()

    def _step(self, message: Message) -> bool:
        """Move the text one status on; False once it is final."""
        if message.status == "accepted":
            message.from_ = message.from_ or self.sim.line_numbers[0]
            message.num_segments = 1 if message.num_media else segment_count(message.body)
            self._set_message_status(message, "queued", None)
        elif message.status == "queued":
            self._set_message_status(message, "sending", None)
        elif message.status == "sending":
            final, code = self.sim.phone(message.to).sms_outcome
            if final == "failed":  # never reached the carrier: no ``sent`` before it
                self._finish(message, final, code)
            else:
                self._set_message_status(message, "sent", None)
        else:
            final, code = self.sim.phone(message.to).sms_outcome
            self._finish(message, "undelivered" if final == "failed" else final, code)
        return not message.finished.is_set()

    def _finish(self, message: Message, final: str, code: int | None) -> None:
        self._set_message_status(message, final, code)
        if final == "delivered":
            self.sim.phone(message.to).inbox.append(message.body)
        message.finished.set()
        self.sim.status_callbacks.flush(message.sid)

    def _set_message_status(self, message: Message, status: str, code: int | None) -> None:
        with self.sim.store.lock:
            message.status, message.error_code, message.date_updated = status, code, now()
            message.statuses.append(status)
            if status == "sent":
                message.date_sent = message.date_updated
        if message.status_callback and status != "sending":  # Twilio calls back no ``sending``
            self.sim.status_callbacks.send(
                message.sid, message.status_callback, _status_params(message, status, code)
            )

    def text_line(self, number: str, body: str, media: Sequence[str] = ()) -> list[str]:
        """A virtual phone texts the line, a picture message when ``media`` gives the content
        types of its attachments; returns what came back to it in this exchange."""
        phone = self.sim.phone(number)
        kind = opt_out_type(body)
        if kind in ("STOP", "START"):
            phone.blocked = kind == "STOP"
        inbound = self.add_message(
            to=self.sim.line_numbers[0], from_=number, body=body, direction="inbound",
            status="received", num_media=len(media),
        )  # fmt: skip
        inbound.date_sent = inbound.date_created
        before = len(phone.inbox)
        if kind is not None:
            phone.inbox.append(CARRIER_REPLY[kind])
        params = [*self._inbound_params(inbound, kind), *_media_params(inbound, media)]
        answer = self.sim.webhooks.send(self.sim.sms_url, params)
        if answer.status == 200 and answer.is_twiml:  # otherwise Twilio's 12300: nothing sent
            for reply in self._reply(phone, answer.body):
                self._wait_for(reply)
        return phone.inbox[before:]

    def _inbound_params(self, message: Message, kind: str | None) -> Params:
        params = [
            ("AccountSid", self.sim.account_sid), ("ApiVersion", API_VERSION),
            ("Body", message.body), ("From", message.from_ or ""), ("MessageSid", message.sid),
            ("NumMedia", str(message.num_media)), ("NumSegments", str(message.num_segments)),
            ("SmsMessageSid", message.sid), ("SmsSid", message.sid), ("SmsStatus", "received"),
            ("To", message.to),
        ]  # fmt: skip
        return [*params, ("OptOutType", kind)] if kind else params

    def _reply(self, phone: Phone, document: bytes) -> list[Message]:
        """Messages in the app's TwiML reply, on their way like any text; none reach a phone
        the carrier has blocked."""
        try:
            root = ElementTree.fromstring(document)  # noqa: S314 - the app's own TwiML
        except ElementTree.ParseError:
            return []  # Twilio logs error 12100 and sends nothing
        replies = []
        for node in root.iter("Message"):
            body = " ".join("".join(node.itertext()).split())
            message = self.add_message(
                to=phone.number, from_=self.sim.line_numbers[0], body=body,
                direction="outbound-reply", status="queued",
            )  # fmt: skip
            if phone.blocked:
                self._finish(message, "failed", 21610)
            else:
                self.dispatch_message(message)
            replies.append(message)
        return replies

    def _wait_for(self, message: Message, timeout: float = 30.0) -> None:
        """Until the reply reached its final status (or is held in the queue)."""
        deadline = time.monotonic() + timeout
        while not message.finished.wait(0.005) and time.monotonic() < deadline:
            with self._lock:
                if message in self.held:
                    return


def _media_params(message: Message, content_types: Sequence[str]) -> Params:
    """``MediaContentType{N}`` and ``MediaUrl{N}`` as Twilio sends them for an inbound MMS, each
    URL naming a Media resource (ME…) of the message on api.twilio.com."""
    base = f"https://api.twilio.com{message.uri().removesuffix('.json')}/Media"
    params: Params = []
    for n, content_type in enumerate(content_types):
        params += [
            (f"MediaContentType{n}", content_type),
            (f"MediaUrl{n}", f"{base}/{new_sid('ME')}"),
        ]
    return params


def _status_params(message: Message, status: str, code: int | None) -> Params:
    """What Twilio posts to a text's ``StatusCallback``."""
    params = [
        ("AccountSid", message.account_sid), ("ApiVersion", API_VERSION),
        ("From", message.from_ or ""), ("MessageSid", message.sid),
        ("MessageStatus", status), ("SmsSid", message.sid), ("SmsStatus", status),
        ("To", message.to),
    ]  # fmt: skip
    if message.messaging_service_sid:
        params.append(("MessagingServiceSid", message.messaging_service_sid))
    if code is not None:
        params.append(("ErrorCode", str(code)))
    return params
