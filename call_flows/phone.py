"""A virtual phone that runs TwiML as Twilio does, for ``phoneline simulate call`` and the tests.

Rules it keeps (Twilio's): the verbs of a document run in order; a ``<Gather>`` speaks its
nested ``<Say>`` and waits; keys or words post to its ``action``; silence for ``timeout``
seconds runs the verb after it; a ``<Record>`` posts its ``action`` with the recording, and on
silence runs the next verb; ``<Redirect>`` fetches a new document; ``<Hangup>`` or the end of a
document hangs up. The phone keeps a transcript and an estimate of the call's length: words at
150 a minute plus every wait it took.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from xml.etree import ElementTree

WORDS_PER_MINUTE = 150
RECORDING_SECONDS = 15
MAX_DOCUMENTS = 400


class Transport(Protocol):
    def post(self, url: str, params: dict[str, str]) -> str: ...


@dataclass(frozen=True)
class Press:
    """What the caller does at a ``<Gather>`` or ``<Record>``: keys, words, silence (both
    empty), or hanging up."""

    keys: str = ""
    speech: str = ""
    hang_up: bool = False

    @classmethod
    def parse(cls, text: str | None) -> Press:
        """ "123#" is keys, "say: nine four" is speech, "" is silence, "hangup" hangs up."""
        text = (text or "").strip()
        if text.lower() in ("hangup", "hang up"):
            return cls(hang_up=True)
        if text.lower().startswith("say:"):
            return cls(speech=text[4:].strip())
        return cls(keys=text)


@dataclass
class Heard:
    text: str
    language: str


@dataclass
class Call:
    documents: list[str] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    seconds: float = 0.0
    ended_by: str = ""  # "line" (Hangup or end of document) or "caller"
    hung_up_with_verb: bool = False  # an explicit <Hangup>, not a document that ran out

    @property
    def said(self) -> str:
        return " ".join(h.text for h in self.heard)

    def last_document_said(self) -> str:
        if not self.documents:
            return ""
        root = ElementTree.fromstring(self.documents[-1])  # noqa: S314 - see _fetch
        return " ".join(node.text or "" for node in root.iter("Say"))


Chooser = Callable[[Call, ElementTree.Element], Press]
Listener = Callable[[Heard], None]


class Phone:
    def __init__(
        self,
        transport: Transport,
        params: dict[str, str],
        listener: Listener | None = None,
        checker: Callable[[str], list[str]] | None = None,
    ) -> None:
        self.transport = transport
        self.params = {
            "CallSid": "CA" + uuid.uuid4().hex,
            "AccountSid": "AC" + "0" * 32,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            **params,
        }
        self.listener = listener
        self.checker = checker

    def call(self, url: str, choose: Chooser) -> Call:
        call = Call()
        document: ElementTree.Element | None = self._fetch(call, url, {})
        while document is not None and len(call.documents) < MAX_DOCUMENTS:
            document = self._run(call, document, choose)
        return call

    def _fetch(self, call: Call, url: str, extra: dict[str, str]) -> ElementTree.Element | None:
        text = self.transport.post(url, {**self.params, **extra})
        call.documents.append(text)
        if self.checker is not None:
            problems = self.checker(text)
            assert not problems, f"TwiML checker: {problems}"
        # The documents come from the line under test, not from strangers.
        root = ElementTree.fromstring(text)  # noqa: S314
        assert root.tag == "Response", "a TwiML document is a <Response>"
        return root

    def _run(
        self, call: Call, root: ElementTree.Element, choose: Chooser
    ) -> ElementTree.Element | None:
        for verb in root:
            if verb.tag == "Say":
                self._hear(call, verb)
            elif verb.tag == "Pause":
                call.seconds += float(verb.get("length", "1"))
            elif verb.tag == "Redirect":
                return self._fetch(call, (verb.text or "").strip(), {})
            elif verb.tag == "Hangup":
                call.ended_by, call.hung_up_with_verb = "line", True
                return None
            elif verb.tag in ("Gather", "Record"):
                outcome = self._wait(call, verb, choose)
                if isinstance(outcome, str):
                    call.ended_by = "caller"
                    return None
                if outcome is not None:
                    return outcome
            else:
                raise AssertionError(f"the phone does not know <{verb.tag}>")
        call.ended_by = "line"  # the end of a document hangs up
        return None

    def _wait(
        self, call: Call, verb: ElementTree.Element, choose: Chooser
    ) -> ElementTree.Element | str | None:
        for say in verb.iter("Say"):
            self._hear(call, say)
        press = choose(call, verb)
        if press.hang_up:
            return "hangup"
        action = verb.get("action") or ""
        if verb.tag == "Record":
            return self._record(call, verb, press, action)
        if not press.keys and not press.speech:
            call.seconds += float(verb.get("timeout", "5"))
            return None  # silence: the verb after the Gather runs
        call.seconds += 2
        if press.keys:
            keys = press.keys
            if verb.get("finishOnKey", "#") and keys.endswith(verb.get("finishOnKey", "#")):
                keys = keys[: -len(verb.get("finishOnKey", "#"))]
            return self._fetch(call, action, {"Digits": keys})
        return self._fetch(call, action, {"SpeechResult": press.speech, "Confidence": "0.9"})

    def _record(
        self, call: Call, verb: ElementTree.Element, press: Press, action: str
    ) -> ElementTree.Element | None:
        if not press.keys and not press.speech:
            call.seconds += float(verb.get("timeout", "5"))
            return None
        call.seconds += RECORDING_SECONDS
        sid = "RE" + uuid.uuid4().hex
        extra = {"RecordingSid": sid, "RecordingUrl": f"https://api.twilio.com/recordings/{sid}"}
        return self._fetch(call, action, {**extra, "RecordingDuration": str(RECORDING_SECONDS)})

    def _hear(self, call: Call, say: ElementTree.Element) -> None:
        heard = Heard(say.text or "", say.get("language", ""))
        call.heard.append(heard)
        call.seconds += len(heard.text.split()) * 60 / WORDS_PER_MINUTE
        if self.listener is not None:
            self.listener(heard)


def scripted(presses: list[str | None]) -> Chooser:
    """A chooser that plays a list of presses in order, then hangs up."""
    queue = list(presses)

    def choose(call: Call, verb: ElementTree.Element) -> Press:
        return Press.parse(queue.pop(0)) if queue else Press(hang_up=True)

    return choose
