"""From a waiting node and what the caller must hear, the TwiML document (STYLE 5: the renderer
is separate from the engine). Menus take one key with ``#`` as a key (relay users press it to
slow the line down); entries end early on ``#``. After every ``<Gather>`` and ``<Record>`` comes
a ``<Redirect>`` back to the step URL, so silence is an input like any other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from app.prompts import Catalog
from call_flows.engine import Utterance
from call_flows.nodes import Entry, Hangup, Menu, Record, Waiting
from call_flows.twiml import MIN_TIMEOUT, Spoken, gather, say


@dataclass(frozen=True)
class Page:
    """Everything the renderer needs besides the node."""

    catalog: Catalog
    language: str
    step_url: str
    recording_status_url: str
    common: dict[str, Any]
    hints: Sequence[str] = ()
    slow: bool = False


def spoken(page: Page, utterance: Utterance) -> Spoken:
    language = utterance.language or page.language
    params = {**page.common, **utterance.params}
    for name, nested in utterance.nested:
        params[name] = page.catalog.template(language, nested).format(**params)
    # template().format, not render(): the menus' own placeholder is called "key".
    text = page.catalog.template(language, utterance.key).format(**params)
    return Spoken(text, page.catalog.meta[language])


def render(
    node: Waiting, said: list[Utterance], asked: list[Utterance], page: Page
) -> VoiceResponse:
    response = VoiceResponse()
    for utterance in said:
        say(response, spoken(page, utterance))
    if isinstance(node, Hangup):
        for utterance in asked:
            say(response, spoken(page, utterance))
        response.hangup()
    elif isinstance(node, Record):
        _record(response, node, asked, page)
    else:
        _gather(response, node, asked, page)
    return response


def _gather(
    response: VoiceResponse, node: Menu | Entry, asked: list[Utterance], page: Page
) -> None:
    entry = isinstance(node, Entry)
    gather(
        response,
        action=page.step_url,
        meta=page.catalog.meta[page.language],
        prompts=[spoken(page, u) for u in asked],
        hints=page.hints,
        num_digits=node.digits if isinstance(node, Entry) else 1,
        timeout=MIN_TIMEOUT * (2 if page.slow else 1),
        # On a menu "#" is a key (it slows the line down); in an entry it ends the digits.
        finish_on_key="#" if entry else "",
    )
    response.redirect(page.step_url, method="POST")


def _record(response: VoiceResponse, node: Record, asked: list[Utterance], page: Page) -> None:
    for utterance in asked:
        say(response, spoken(page, utterance))
    response.record(
        action=page.step_url,
        method="POST",
        max_length=node.max_seconds,
        finish_on_key="#",
        play_beep=True,
        timeout=MIN_TIMEOUT * (2 if page.slow else 1),
        recording_status_callback=page.recording_status_url,
        recording_status_callback_method="POST",
    )
    response.redirect(page.step_url, method="POST")
