"""Whole-call scripts: the virtual phone (call_flows.phone) driving the app through signed
webhooks, every document checked, and a line that hangs up without a goodbye fails the test.

A script is ``[(what the caller does, what they must hear next), ...]``: keys ("1", "94110#"),
words ("say: nine four one one oh"), silence (None or ""), "hangup", or a function giving one
of these when the line waits; the expected text is a
substring of everything said from that press until the line next waits, or None."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree

import pytest

from call_flows.phone import Call, Phone, Press
from tests.conftest import BASE_URL, LINE_NUMBER, Twilio

# A press may be a function, called when the line waits: a code the line just texted.
Script = Sequence[tuple[str | Callable[[], str] | None, str | None]]
GOODBYES = ("Goodbye.", "Adiós.")


class TestTransport:
    __test__ = False

    def __init__(self, twilio: Twilio) -> None:
        self.twilio = twilio

    def post(self, url: str, params: dict[str, str]) -> str:
        assert url.startswith(BASE_URL), "every URL the line gives Twilio is under PUBLIC_BASE_URL"
        response = self.twilio.post(url.removeprefix(BASE_URL), params)
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/xml"
        return response.get_data(as_text=True)


def check(document: str) -> list[str]:
    """The project's TwiML checker when it is present, and the line's own promises always."""
    problems = _line_rules(document)
    try:
        from app.twiml_checker import check_twiml  # type: ignore[import-not-found]
    except ImportError:
        return problems
    return problems + list(check_twiml(document))


def _line_rules(document: str) -> list[str]:
    root = ElementTree.fromstring(document)
    problems = []
    verbs = list(root)
    for index, verb in enumerate(verbs):
        if verb.tag == "Gather":
            if verb.get("input") != "dtmf speech" or int(verb.get("timeout", "0")) < 8:
                problems.append("a Gather must take dtmf speech and wait at least 8 s")
            if not verb.get("speechModel") or verb.get("profanityFilter") != "false":
                problems.append("a Gather needs a speech model and no profanity filter")
            if index == len(verbs) - 1:
                problems.append("a Gather must not be the last verb")
    return problems


def run_call(
    twilio: Twilio,
    script: Script,
    *,
    caller: str = "+14155550100",
    stir: str | None = None,
    greeting: str | None = None,
    path: str = "/twilio/voice",
    whole_script: bool = True,
) -> Call:
    params = {"From": caller, "To": LINE_NUMBER}
    if stir:
        params["StirVerstat"] = stir
    steps = list(script)
    marks: list[tuple[int, str | None]] = [(0, greeting)]

    def choose(call: Call, verb: ElementTree.Element) -> Press:
        _expect(call, marks[-1])
        if not steps:
            return Press(hang_up=True)
        press, expected = steps.pop(0)
        marks.append((len(call.heard), expected))
        return Press.parse(press() if callable(press) else press)

    call = Phone(TestTransport(twilio), params, checker=check).call(BASE_URL + path, choose)
    if call.ended_by == "line":
        _expect(call, marks[-1])
        assert call.hung_up_with_verb, "the line let a document run out"
        assert call.last_document_said().endswith(GOODBYES), "the line hung up without a goodbye"
    if whole_script:
        assert not steps, f"the call ended with {len(steps)} steps of the script left"
    return call


def _expect(call: Call, mark: tuple[int, str | None]) -> None:
    start, expected = mark
    if expected is None:
        return
    heard = " ".join(h.text for h in call.heard[start:])
    assert expected.lower() in heard.lower(), f"expected {expected!r}, heard {heard!r}"


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
