"""Opt-out, opt-in and help words (SPEC §8 carrier keywords).

Twilio's opt-out management answers its own one-word keywords and blocks sends after a stop;
for those the line only records the change and answers an empty ``<Response/>``. The line
confirms, once, only what Twilio does not catch: the Spanish words, a keyword with punctuation
that reached us without ``OptOutType``, and plain requests such as "stop texting me".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sms.grammar import words

Kind = Literal["opt_out", "opt_in", "help"]

CARRIER_WORDS: dict[str, Kind] = {
    **dict.fromkeys(
        ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"), "opt_out"
    ),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "opt_in"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
# Twilio's OptOutType parameter, present when its opt-out management handled the message.
OPT_OUT_TYPES: dict[str, Kind] = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}

LINE_WORDS: dict[tuple[str, ...], Kind] = {
    ("PARAR",): "opt_out",
    ("ALTO",): "opt_out",
    ("BAJA",): "opt_out",
    ("CANCELAR",): "opt_out",
    ("NO", "MAS"): "opt_out",
    ("EMPEZAR",): "opt_in",
    ("AYUDA",): "help",
}
SPANISH_WORDS = frozenset({"PARAR", "ALTO", "BAJA", "CANCELAR", "MAS", "EMPEZAR", "AYUDA"})

# Plain requests, found anywhere in a text (so "stop texting me, I want to die" is an opt-out
# as well as a crisis match). Normalised like commands: upper case, no accents or punctuation.
PLAIN_OPT_OUTS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    (tuple(phrase.split()), language)
    for phrase, language in (
        ("STOP TEXTING", "en"),
        ("STOP MESSAGING", "en"),
        ("STOP SENDING", "en"),
        ("STOP CONTACTING", "en"),
        ("NO MORE TEXTS", "en"),
        ("NO MORE TEXT", "en"),
        ("NO MORE MESSAGES", "en"),
        ("DONT TEXT ME", "en"),
        ("DO NOT TEXT ME", "en"),
        ("DON T TEXT ME", "en"),
        ("UNSUBSCRIBE ME", "en"),
        ("STOP GETTING", "en"),
        ("STOP RECEIVING", "en"),
        ("DONT WANT THESE", "en"),
        ("DON T WANT THESE", "en"),
        ("NO MAS MENSAJES", "es"),
        ("NO MAS TEXTOS", "es"),
        ("NO ME ESCRIBAN", "es"),
        ("NO ME MANDEN", "es"),
        ("DEJEN DE ESCRIBIRME", "es"),
        ("DEJEN DE MANDARME", "es"),
        ("YA NO QUIERO MENSAJES", "es"),
        ("NO QUIERO RECIBIR", "es"),
        ("NO ME ENVIEN", "es"),
        ("DEJEN DE ENVIARME", "es"),
    )
)
# "stop please", "please stop", "parar por favor": a stop word with nothing but courtesy.
_COURTESY = frozenset({"PLEASE", "NOW", "ALL", "IT", "POR", "FAVOR", "YA", "THANKS", "GRACIAS"})


@dataclass(frozen=True)
class Keyword:
    kind: Kind
    by_carrier: bool  # Twilio answered it and (for a stop) blocked the number
    language: str | None = None


def classify(body: str | None, opt_out_type: str | None) -> Keyword | None:
    if opt_out_type and opt_out_type.strip().upper() in OPT_OUT_TYPES:
        return Keyword(OPT_OUT_TYPES[opt_out_type.strip().upper()], by_carrier=True)
    raw = (body or "").strip().upper()
    if raw in CARRIER_WORDS:  # Twilio's rule: the whole body is the one word
        return Keyword(CARRIER_WORDS[raw], by_carrier=True)
    return _line_keyword(words(body))


def _line_keyword(tokens: tuple[str, ...]) -> Keyword | None:
    language = "es" if SPANISH_WORDS & set(tokens) else None
    core = tuple(token for token in tokens if token not in _COURTESY) or tokens
    if core in LINE_WORDS:
        return Keyword(LINE_WORDS[core], by_carrier=False, language=language)
    if len(core) == 1 and core[0] in CARRIER_WORDS:
        return Keyword(CARRIER_WORDS[core[0]], by_carrier=False, language=language)
    for phrase, phrase_language in PLAIN_OPT_OUTS:
        if _contains(tokens, phrase):
            return Keyword("opt_out", by_carrier=False, language=phrase_language)
    return None


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))
