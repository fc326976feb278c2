"""The start of every call: the §6 notice, then the language choice (SPEC §7.1)."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from app.prompts import Catalog
from call_flows.twiml import Spoken, gather, say

MAX_REPROMPTS = 2


def notice(catalog: Catalog, languages: list[str]) -> list[Spoken]:
    return [Spoken(catalog.render(code, "voice.notice"), catalog.meta[code]) for code in languages]


def language_menu(catalog: Catalog) -> list[Spoken]:
    return [
        Spoken(catalog.meta[code].choice.format(key=key), catalog.meta[code])
        for key, code in enumerate(catalog.languages, start=1)
    ]


def answer(catalog: Catalog, action: str) -> VoiceResponse:
    """An unknown caller hears the notice in every language, then the language choice."""
    response = VoiceResponse()
    for spoken in notice(catalog, catalog.languages):
        say(response, spoken)
    _ask_language(response, catalog, action, attempt=0)
    return response


def _ask_language(response: VoiceResponse, catalog: Catalog, action: str, attempt: int) -> None:
    first = catalog.meta[catalog.languages[0]]
    hints = [catalog.meta[code].name for code in catalog.languages]
    gather(response, action=action, meta=first, prompts=language_menu(catalog), hints=hints)
    # Silence runs the verb after <Gather>: come back and ask again, more briefly.
    response.redirect(f"{action}?attempt={attempt + 1}", method="POST")


def chosen_language(catalog: Catalog, choice: str) -> str | None:
    words = choice.strip().lower()
    for key, code in enumerate(catalog.languages, start=1):
        if words == str(key) or catalog.meta[code].name.lower() in words:
            return code
    if "spanish" in words or "espanol" in words:
        return "es" if catalog.has("es") else None
    return None


def after_language_choice(
    catalog: Catalog, choice: str, attempt: int, action: str, line_name: str
) -> VoiceResponse:
    language = chosen_language(catalog, choice)
    if language is None and attempt <= MAX_REPROMPTS:
        response = VoiceResponse()
        for code in catalog.languages:
            say(
                response,
                Spoken(catalog.render(code, "voice.language_reprompt"), catalog.meta[code]),
            )
        _ask_language(response, catalog, action, attempt)
        return response
    return _menu_not_ready(catalog, language or catalog.languages[0], line_name)


def _menu_not_ready(catalog: Catalog, language: str, line_name: str) -> VoiceResponse:
    """Until the main menu exists, a caller is pointed to text and a person, then hears goodbye."""
    meta = catalog.meta[language]
    response = VoiceResponse()
    say(response, Spoken(catalog.render(language, "voice.callback_offer"), meta))
    say(response, Spoken(catalog.render(language, "voice.goodbye", line_name=line_name), meta))
    response.hangup()
    return response


def apology(catalog: Catalog, line_name: str) -> VoiceResponse:
    response = VoiceResponse()
    for code in catalog.languages:
        meta = catalog.meta[code]
        say(response, Spoken(catalog.render(code, "voice.apology"), meta))
        say(response, Spoken(catalog.render(code, "voice.callback_offer"), meta))
        say(response, Spoken(catalog.render(code, "voice.goodbye", line_name=line_name), meta))
    response.hangup()
    return response
