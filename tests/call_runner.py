"""Whole-call scripts, run by the project's Twilio simulator (app/simulator): a virtual phone
that executes TwiML as Twilio does (silence runs the verb after ``<Gather>``, the end of a
document hangs up) and checks every document with the TwiML checker. On top of it, this runner
fails a test when the line hangs up without a goodbye.

A script is ``[(what the caller does, what they must hear next), ...]``: keys ("1", "94110#"),
words ("say: nine four one one oh"), silence (None or ""), "hangup", a simulator input
(``Talk(20, then=Keys("#"))`` at a ``<Record>``), or a function giving one of these when the
line waits; the expected text is a substring of everything said from that press until the line
next waits, or None."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest

from app.simulator import SILENCE, HangUp, Keys, Simulator, Speech, Talk, WsgiTransport
from app.simulator.phones import Input
from app.simulator.records import Call
from app.twiml_checker import check_twiml
from tests.conftest import BASE_URL, LINE_NUMBER, Twilio

Press = str | Input | Callable[[], str] | None
Script = Sequence[tuple[Press, str | None]]
GOODBYES = ("Goodbye.", "Adiós.")
APPLICATION_ERROR = "application error"


class KeepingTransport(WsgiTransport):
    """Into the app like ``WsgiTransport``, keeping every TwiML document the app answered."""

    def __init__(self, app: Any, origin: str) -> None:
        super().__init__(app, origin)
        self.documents: list[str] = []

    def send(self, method: str, url: str, params: Any, headers: dict[str, str]) -> Any:
        answer = super().send(method, url, params, headers)
        if url.startswith(self.origin + "/twilio/voice") and answer.status == 200:
            self.documents.append(answer.body.decode("utf-8"))
        return answer


@dataclass
class Heard:
    """What a whole call sounded like, for tests to assert on."""

    call: Call
    documents: list[str]
    caller_hung_up: bool

    @property
    def said(self) -> str:
        return " ".join(self.call.said())

    def last_document_said(self) -> str:
        root = ElementTree.fromstring(self.documents[-1])
        return " ".join(node.text or "" for node in root.iter("Say"))

    def hung_up_with_verb(self) -> bool:
        root = ElementTree.fromstring(self.documents[-1])
        return len(root) > 0 and root[-1].tag == "Hangup"


class ScriptedCaller:
    """A ``Script`` for the simulator's phone that also checks what was heard at each turn."""

    def __init__(self, script: Script, greeting: str | None) -> None:
        self.steps = list(script)
        self.marks: list[tuple[int, str | None]] = [(0, greeting)]
        self.hung_up = False

    def next_input(self, call: Call, verb: str) -> Input:
        expect(call, self.marks[-1])
        if not self.steps:
            self.hung_up = True
            return HangUp()
        press, expected = self.steps.pop(0)
        self.marks.append((len(call.heard), expected))
        choice = as_input(press() if callable(press) else press)
        self.hung_up = leaves(choice)
        return choice


def leaves(choice: Input) -> bool:
    """The caller hangs up now, or once they have said their message."""
    return isinstance(choice, HangUp) or (isinstance(choice, Talk) and choice.then == HangUp())


def as_input(press: str | Input | None) -> Input:
    if not isinstance(press, str | None):
        return press
    text = (press or "").strip()
    if not text:
        return SILENCE
    if text.lower() == "hangup":
        return HangUp()
    if text.lower().startswith("say:"):
        return Speech(text[4:].strip())
    return Keys(text)


def run_call(
    twilio: Twilio,
    script: Script,
    *,
    caller: str = "+14155550100",
    stir: str | None = None,
    greeting: str | None = None,
    path: str = "/twilio/voice",
    whole_script: bool = True,
) -> Heard:
    transport = KeepingTransport(twilio.client.application, BASE_URL)
    simulator = Simulator(
        "AC" + "0" * 32,
        twilio.token,
        line_numbers=[LINE_NUMBER],
        voice_url=BASE_URL + path,
        transport=transport,
    )
    person = ScriptedCaller(script, greeting)
    call = simulator.call_line(caller, stir=stir, script=person)
    simulator.wait_idle()
    heard = Heard(call, transport.documents, person.hung_up)
    assert call.problems == [], f"TwiML checker: {call.problems}"
    assert APPLICATION_ERROR not in heard.said, "the app failed to answer a request"
    if not person.hung_up:
        expect(call, person.marks[-1])
        assert heard.hung_up_with_verb(), "the line let a document run out"
        assert heard.last_document_said().endswith(GOODBYES), "the line hung up without a goodbye"
    if whole_script:
        assert not person.steps, f"the call ended with {len(person.steps)} steps of the script left"
    return heard


def expect(call: Call, mark: tuple[int, str | None]) -> None:
    start, expected = mark
    if expected is None:
        return
    heard = " ".join(h.text for h in call.heard[start:] if h.kind == "say")
    assert expected.lower() in heard.lower(), f"expected {expected!r}, heard {heard!r}"


def check(document: str) -> list[str]:
    return list(check_twiml(document))


@pytest.fixture(autouse=True)
def every_voice_document_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Imported by the voice test modules: every TwiML document any of their requests gets
    back, not only those of whole-call scripts, passes the checker."""
    posted = Twilio.post

    def post(self: Twilio, path: str, params: Any, **kwargs: Any) -> Any:
        response = posted(self, path, params, **kwargs)
        if path.startswith("/twilio/voice") and response.status_code == 200:
            assert check(response.get_data(as_text=True)) == []
        return response

    monkeypatch.setattr(Twilio, "post", post)
