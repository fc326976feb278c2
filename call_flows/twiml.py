"""TwiML rendering. Every ``<Gather>`` the line emits is built here, so the rules of SPEC §7
(dtmf and speech, hints, an 8-second floor, an explicit speech model, no profanity filter,
a verb after it so silence never ends the call) hold in one place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from app.prompts import LanguageMeta

MIN_TIMEOUT = 8


@dataclass(frozen=True)
class Spoken:
    text: str
    meta: LanguageMeta


def say(parent: VoiceResponse | Gather, spoken: Spoken) -> None:
    parent.say(spoken.text, voice=spoken.meta.voice, language=spoken.meta.say_language)


def gather(
    response: VoiceResponse,
    *,
    action: str,
    meta: LanguageMeta,
    prompts: Sequence[Spoken],
    hints: Sequence[str] = (),
    num_digits: int = 1,
    timeout: int = MIN_TIMEOUT,
    finish_on_key: str = "#",
) -> Gather:
    node = response.gather(
        input="dtmf speech",
        action=action,
        method="POST",
        num_digits=num_digits,
        timeout=max(timeout, MIN_TIMEOUT),
        speech_timeout="auto",
        speech_model=meta.speech_model,
        language=meta.speech_language,
        profanity_filter="false",
        action_on_empty_result="false",
        finish_on_key=finish_on_key,
        hints=", ".join(hints) if hints else None,
    )
    for spoken in prompts:
        say(node, spoken)
    return node
