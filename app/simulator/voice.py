"""A virtual phone call: fetch TwiML from the app and run it as Twilio does.

Silence on a ``<Gather>`` runs the verb after it; the end of a document hangs up; ``<Redirect>``
and every ``action`` fetch the next document, signed. A caller who hangs up to end a
``<Record>`` still has its ``action`` requested, and nothing more runs. ``<Dial><Number>`` rings
another virtual phone, runs the number's ``url`` (a screen) on that phone's leg, and bridges
when the screen ends without hanging up. Each answer is run by its Content-Type as Twilio runs
it; each document is checked with ``check_twiml`` and its problems are kept on the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin
from xml.etree import ElementTree

from app.simulator import recorder
from app.simulator.phones import HangUp, Keys, Phone, Script, Silence, Speech, Talk
from app.simulator.records import API_VERSION, Call, Heard, Recording
from app.simulator.webhooks import Answer
from app.twiml_checker import check_twiml

if TYPE_CHECKING:
    from app.simulator.server import Simulator

MAX_DOCUMENTS = 200  # a flow that loops forever is a bug; a real call would cost money
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
Params = dict[str, str]


@dataclass(frozen=True)
class Next:
    """Where the call goes after a document: fetch ``url`` with ``params``."""

    url: str
    method: str = "POST"
    params: tuple[tuple[str, str], ...] = ()
    caller_gone: bool = False  # requested, but nothing it answers will run


class Ended(Exception):
    """The caller hung up, or the document hung up."""


class _Moved(Ended):
    """Not a hang-up: a REST update gave the call new TwiML while it was waiting for input."""


class CallSession:
    def __init__(self, sim: Simulator, call: Call, script: Script, extra: Params | None = None):
        self.sim = sim
        self.call = call
        self.script = script
        self.extra = extra or {}
        self.hung_up_by_document = False
        self.caller_leaving = False  # hangs up the next time the call waits for them
        self.on_answer: Callable[[], None] | None = None  # runs once the first document is in

    def run(self, first: Next | str) -> None:
        """Run documents until the call ends; ``first`` is a URL or an inline TwiML string."""
        try:
            self._run(first)
        except Ended:  # hung up through the API while a redirect was being taken
            return

    def _run(self, first: Next | str) -> None:
        step = first if isinstance(first, Next) else self._run_document(first, self.call.url or "")
        for _ in range(MAX_DOCUMENTS):
            if step is None:
                return
            step = self._follow(step)
        self.call.problems.append(f"more than {MAX_DOCUMENTS} documents in one call")

    def _follow(self, step: Next) -> Next | None:
        answer = self._fetch(step)
        if self.on_answer is not None:
            hook, self.on_answer = self.on_answer, None
            hook()
        if step.caller_gone:
            return None
        if answer is None:
            return self._application_error()
        return self._run_answer(answer, step.url)

    def _fetch(self, step: Next) -> Answer | None:
        params = [*self.base_params().items(), *step.params]
        self.call.documents.append(step.url)
        answer = self.sim.webhooks.send(step.url, params, step.method)
        if answer.status != 200:
            self.call.problems.append(f"{step.url} answered HTTP {answer.status} (Twilio 11200)")
            return None
        return answer

    def _run_answer(self, answer: Answer, url: str) -> Next | None:
        """By Content-Type, as Twilio's "TwiML Voice: Your Response" says: XML is TwiML, plain
        text is read out and audio played before hanging up; anything else is error 12300."""
        kind, text = answer.media_type, answer.body.decode("utf-8", "replace")
        if answer.is_twiml:
            return self._run_document(text, url)
        if kind == "text/plain":
            self.call.heard.append(Heard(" ".join(text.split())))
        elif kind.startswith("audio/"):
            self.call.heard.append(Heard(url, kind="play"))
        else:
            self.call.problems.append(
                f"{url} answered Content-Type {kind or 'none'} (Twilio 12300)"
            )
            return self._application_error()
        return None

    def _application_error(self) -> Next | None:
        """What the caller hears when Twilio cannot run the app's answer; then it hangs up
        (a Fallback URL is not simulated)."""
        self.call.heard.append(Heard(APPLICATION_ERROR, kind="say"))
        return None

    def base_params(self) -> Params:
        call = self.call
        params = {
            "AccountSid": call.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": call.sid,
            "CallStatus": call.status,
            "Called": call.to,
            "Caller": call.from_,
            "Direction": call.direction,
            "From": call.from_,
            "To": call.to,
        }
        if call.parent_call_sid:
            params["ParentCallSid"] = call.parent_call_sid
        if call.answered_by and not call.async_amd_callback:
            params["AnsweredBy"] = call.answered_by
        return {**params, **self.extra}

    def _run_document(self, document: str, url: str) -> Next | None:
        problems = check_twiml(document)
        self.call.problems.extend(f"{url}: {p}" for p in problems)
        try:
            root = ElementTree.fromstring(document)  # noqa: S314 - the app's own TwiML
        except ElementTree.ParseError:
            return self._application_error()  # Twilio 12100
        try:
            for verb in root:
                change = self._pending_change()
                if change is not None:
                    return change
                step = self._run_verb(verb, url)
                if step is not None:
                    return step
        except _Moved:
            return self._pending_change()
        except Ended:
            return None
        return None

    def _pending_change(self) -> Next | None:
        """A REST update of the call (new URL or TwiML, or hang up) replaces what runs."""
        call = self.call
        if call.hangup_requested:
            raise Ended
        if call.redirect is not None:
            url, method = call.redirect
            call.redirect = None
            return Next(url, method)
        if call.redirect_twiml is not None:
            twiml, call.redirect_twiml = call.redirect_twiml, None
            return self._run_document(twiml, call.url or "")
        return None

    def _run_verb(self, verb: ElementTree.Element, url: str) -> Next | None:
        handler = self._handlers().get(verb.tag)
        if handler is None:
            self.call.problems.append(f"the simulator does not run <{verb.tag}>; skipped")
            return None
        return handler(verb, url)

    def _handlers(self) -> dict[str, Callable[[ElementTree.Element, str], Next | None]]:
        return {
            "Say": self._say,
            "Play": self._play,
            "Pause": lambda verb, url: self._spend(float(verb.get("length") or 1)),
            "Gather": self._gather,
            "Record": self._record,
            "Redirect": self._redirect,
            "Dial": self._dial,
            "Hangup": self._hangup,
            "Reject": self._hangup,
        }

    def _say(self, verb: ElementTree.Element, url: str) -> None:
        loops = int(verb.get("loop") or 1) or 1
        for _ in range(min(loops, 3)):
            text = " ".join("".join(verb.itertext()).split())
            self.call.heard.append(Heard(text, verb.get("voice"), verb.get("language")))
            self._spend(self.sim.timing.saying(text), playing=True)

    def _play(self, verb: ElementTree.Element, url: str) -> None:
        self.call.heard.append(Heard((verb.text or verb.get("digits") or "").strip(), kind="play"))
        self._spend(self.sim.timing.play, playing=True)

    def _spend(self, seconds: float, playing: bool = False) -> None:
        """The verb takes its time on the call's clock; a REST update meanwhile cuts it."""
        self.sim.spend(self.call, seconds, len(self.call.heard) - 1 if playing else None)
        if self.call.hangup_requested or self.sim.calls.stopped.is_set():
            raise Ended
        if self.call.redirect is not None or self.call.redirect_twiml is not None:
            raise _Moved

    def _waited(self, verb: ElementTree.Element, choice: Keys | Speech | Silence | Talk) -> float:
        """How long the caller took: a silent wait runs to the verb's ``timeout``."""
        if isinstance(choice, Talk):
            return float(choice.seconds)
        if isinstance(choice, Silence):
            return float(verb.get("timeout") or 5)
        gather = verb.tag == "Gather"
        if gather and isinstance(choice, Keys) and waits_after_keys(verb.attrib, choice.digits):
            return self.sim.timing.keys + float(verb.get("timeout") or 5)
        return self.sim.timing.keys

    def _hangup(self, verb: ElementTree.Element, url: str) -> None:
        self.hung_up_by_document = True
        raise Ended

    def _redirect(self, verb: ElementTree.Element, url: str) -> Next:
        return Next(urljoin(url, (verb.text or "").strip()), verb.get("method", "POST"))

    def _listen(self, verb: str) -> Keys | Speech | Silence | Talk:
        call = self.call
        if call.hangup_requested or self.caller_leaving:
            raise Ended
        if call.redirect is not None or call.redirect_twiml is not None:
            raise _Moved  # the app moved the call while the caller was listening
        choice = self.script.next_input(self.call, verb)
        if isinstance(choice, HangUp):
            raise Ended
        return choice

    def _gather(self, verb: ElementTree.Element, url: str) -> Next | None:
        for child in verb:
            if child.tag in ("Say", "Play"):
                self._run_verb(child, url)
        choice = self._listen("Gather")
        self._spend(self._waited(verb, choice))
        params = _gather_result(verb, choice)
        if params is None:
            if verb.get("actionOnEmptyResult") != "true":
                return None  # silence: on to the verb after the Gather
            params = {}
        action = urljoin(url, verb.get("action") or url)
        return Next(action, verb.get("method", "POST"), tuple(params.items()))

    def _record(self, verb: ElementTree.Element, url: str) -> Next | None:
        if verb.get("playBeep", "true") != "false":
            self.call.heard.append(Heard("beep", kind="beep"))
        choice = self._listen("Record")
        ended = recorder.take(verb.attrib, choice)
        self._spend(ended.duration or self._waited(verb, choice))  # silence: the whole timeout
        if ended.empty:
            if ended.hung_up:
                raise Ended
            return None  # Twilio skips the action for an empty recording: the next verb runs
        recording = self.sim.add_recording(self.call, ended.kept)
        self._recording_status(verb, url, recording)
        self.caller_leaving = ended.hangs_up_later
        if ended.hung_up:
            self.call.status = "completed"  # what Twilio's action request says after a hang-up
        params = {
            "RecordingSid": recording.sid,
            "RecordingUrl": recording.json()["media_url"],
            "RecordingDuration": str(ended.duration),
        }
        if ended.digits is not None:
            params["Digits"] = ended.digits
        action = urljoin(url, verb.get("action") or url)
        method = verb.get("method", "POST")
        return Next(action, method, tuple(params.items()), caller_gone=ended.hung_up)

    def _recording_status(self, verb: ElementTree.Element, url: str, recording: Recording) -> None:
        target = verb.get("recordingStatusCallback")
        if not target:
            return
        params = [
            ("AccountSid", recording.account_sid),
            ("CallSid", recording.call_sid),
            ("RecordingSid", recording.sid),
            ("RecordingUrl", recording.json()["media_url"]),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", str(recording.duration)),
            ("RecordingChannels", "1"),
            ("RecordingSource", "RecordVerb"),
        ]
        method = verb.get("recordingStatusCallbackMethod", "POST")
        self.sim.later(
            recording.sid, lambda: self.sim.webhooks.send(urljoin(url, target), params, method)
        )

    def _dial(self, verb: ElementTree.Element, url: str) -> Next | None:
        numbers = [n for n in verb if n.tag == "Number"]
        if not numbers and (verb.text or "").strip():
            numbers = [ElementTree.Element("Number")]
            numbers[0].text = verb.text
        caller_id = verb.get("callerId") or self.call.from_
        status, leg = "failed", None
        for number in numbers:
            status, leg = self._ring(number, caller_id, url)
            if leg is not None:
                break
        params = {"DialCallStatus": status}
        if leg is not None:
            params.update(DialCallSid=leg.sid, DialCallDuration=str(leg.duration or 0))
        action = verb.get("action")
        if not action:
            return None
        return Next(urljoin(url, action), verb.get("method", "POST"), tuple(params.items()))

    def _ring(
        self, number: ElementTree.Element, caller_id: str, url: str
    ) -> tuple[str, Call | None]:
        phone = self.sim.phone((number.text or "").strip())
        leg = self.sim.add_call(
            to=phone.number, from_=caller_id, direction="outbound-dial", url=None,
            parent_call_sid=self.call.sid,
        )  # fmt: skip
        if phone.answer in ("no-answer", "busy", "failed"):
            self.sim.end_call(leg, phone.answer)
            return phone.answer, None
        self.sim.answer_call(leg, "human" if phone.answer == "human" else "machine_start")
        screen = number.get("url")
        accepted = True
        if screen:
            session = CallSession(self.sim, leg, phone.script)
            session.run(Next(urljoin(url, screen), number.get("method", "POST")))
            accepted = not session.hung_up_by_document and not leg.hangup_requested
        if accepted:
            self._bridge(leg, phone)
        self.sim.end_call(leg, "completed")
        return "completed", leg

    def _bridge(self, leg: Call, phone: Phone) -> None:
        leg.bridged_with = self.call.sid
        self.call.bridged_with = leg.sid
        self.sim.talk(leg, phone.talk_seconds)


def _gather_result(
    verb: ElementTree.Element, choice: Keys | Speech | Silence | Talk
) -> Params | None:
    """What the ``action`` request carries; None when Twilio goes on to the next verb instead
    (nothing entered, or ``finishOnKey`` pressed before any other key)."""
    inputs = (verb.get("input") or "dtmf").split()
    if isinstance(choice, Keys) and "dtmf" in inputs:
        digits = _entered(verb, choice.digits)
        finish = verb.get("finishOnKey", "#")
        ended_on = finish if finish and finish in choice.digits else ""
        return {"Digits": digits, "FinishedOnKey": ended_on} if digits else None
    if isinstance(choice, Speech) and "speech" in inputs:
        heard = {"SpeechResult": choice.text}
        if choice.confidence is not None:
            heard["Confidence"] = str(float(choice.confidence))
        return heard
    return None


def waits_after_keys(attributes: Mapping[str, str], keys: str) -> bool:
    """Whether Twilio waits out ``timeout`` after these keys before posting them: "the limit in
    seconds that Twilio will wait for the caller to press another digit" (docs/simulator.md).
    Keys end a ``<Gather>`` at once only by reaching ``numDigits`` or pressing ``finishOnKey``;
    a lone 0 at a 5-digit entry is posted after the whole timeout."""
    finish = attributes.get("finishOnKey", "#")
    if finish and finish in keys:
        return False
    limit = attributes.get("numDigits", "")
    return not (limit.isdigit() and len(keys) >= int(limit))


def _entered(verb: ElementTree.Element, keys: str) -> str:
    """The digits Twilio posts: up to ``finishOnKey`` (not included), at most ``numDigits``."""
    finish = verb.get("finishOnKey", "#")
    digits = keys.split(finish)[0] if finish else keys
    limit = verb.get("numDigits")
    return digits[: int(limit)] if limit and limit.isdigit() else digits
