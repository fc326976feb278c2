"""The carrier: outbound texts moving to delivered (or failing), with their status callbacks;
texts from virtual phones to the line, with the carrier's own keyword handling (Twilio's
default opt-out management: STOP blocks the number, START unblocks it); and the app's TwiML
replies, which never reach a blocked phone."""

from __future__ import annotations

from collections.abc import Sequence
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


class Carrier:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def add_message(self, **fields: object) -> Message:
        body = str(fields.get("body", ""))
        # a message with media is an MMS: an MM… SID, billed as one message whatever its body
        mms = bool(fields.get("num_media"))
        message = Message(
            sid=new_sid("MM" if mms else "SM"), account_sid=self.sim.account_sid,
            num_segments=1 if mms else segment_count(body),
            **fields,  # type: ignore[arg-type]
        )  # fmt: skip
        with self.sim.store.lock:
            self.sim.store.messages[message.sid] = message
        return message

    def dispatch_message(self, message: Message) -> None:
        if self.sim.disorder is Disorder.EARLY:
            self._deliver(message)  # before the create request is answered
        else:
            self.sim.later(message.sid, lambda: self._deliver(message))

    def _deliver(self, message: Message) -> None:
        phone = self.sim.phone(message.to)
        final, code = phone.sms_outcome
        for status in _message_statuses(message, final):
            self._set_message_status(message, status, code if status == final else None)
        if final == "delivered":
            phone.inbox.append(message.body)
        self.sim.status_callbacks.flush(message.sid)

    def _set_message_status(self, message: Message, status: str, code: int | None) -> None:
        with self.sim.store.lock:
            message.status, message.error_code, message.date_updated = status, code, now()
            if status == "sent":
                message.date_sent = message.date_updated
        if message.status_callback:
            params = [
                ("AccountSid", message.account_sid), ("ApiVersion", API_VERSION),
                ("From", message.from_), ("MessageSid", message.sid),
                ("MessageStatus", status), ("SmsSid", message.sid), ("SmsStatus", status),
                ("To", message.to),
            ]  # fmt: skip
            if code is not None:
                params.append(("ErrorCode", str(code)))
            self.sim.status_callbacks.send(message.sid, message.status_callback, params)

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
            self._reply(phone, answer.body)
        return phone.inbox[before:]

    def _inbound_params(self, message: Message, kind: str | None) -> Params:
        params = [
            ("AccountSid", self.sim.account_sid), ("ApiVersion", API_VERSION),
            ("Body", message.body), ("From", message.from_), ("MessageSid", message.sid),
            ("NumMedia", str(message.num_media)), ("NumSegments", str(message.num_segments)),
            ("SmsMessageSid", message.sid), ("SmsSid", message.sid), ("SmsStatus", "received"),
            ("To", message.to),
        ]  # fmt: skip
        return [*params, ("OptOutType", kind)] if kind else params

    def _reply(self, phone: Phone, document: bytes) -> None:
        """Messages in the app's TwiML reply; none reach a phone the carrier has blocked."""
        try:
            root = ElementTree.fromstring(document)  # noqa: S314 - the app's own TwiML
        except ElementTree.ParseError:
            return  # Twilio logs error 12100 and sends nothing
        for node in root.iter("Message"):
            body = " ".join("".join(node.itertext()).split())
            message = self.add_message(
                to=phone.number, from_=self.sim.line_numbers[0], body=body,
                direction="outbound-reply", status="delivered",
            )  # fmt: skip
            if phone.blocked:
                message.status, message.error_code = "failed", 21610
            else:
                message.date_sent = message.date_created
                phone.inbox.append(body)


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


def _message_statuses(message: Message, final: str) -> list[str]:
    """The changes Twilio calls back for: never the initial status; ``accepted`` (a Messaging
    Service) moves to ``queued`` first; ``failed`` comes without ``sent``."""
    queued = ["queued"] if message.status == "accepted" else []
    return [*queued, final] if final == "failed" else [*queued, "sent", final]
