"""The SMS command grammar (SPEC §8) as a table: coordinators print these words on wallet
cards, so the table is the public interface and the parser is a small loop over it.

Commands are case-insensitive whole words; accents, extra spaces and punctuation do not matter
("Menú!", "  rsvp   2 ", "mas." all parse). A Spanish-only word hints the sender's language.

``understand`` reads ordinary words, after ``parse`` found no command (review S2-10): a ZIP
anywhere in a sentence, MY or MENU with words after them, "groups near me", "cancel my rsvp",
and "thanks" or "ok", which are answered kindly and never count as "didn't understand".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Argument = Literal["none", "zip", "number", "optional_number", "remind"]


@dataclass(frozen=True)
class Rule:
    command: str
    words: tuple[str, ...]  # the first word, normalised (upper case, no accents)
    argument: Argument = "none"
    language: str | None = None  # set when only speakers of one language use these words
    value: str | None = None  # a fixed argument (the language of ES / EN)


@dataclass(frozen=True)
class Command:
    name: str
    argument: str | int | None = None
    language: str | None = None


GRAMMAR: tuple[Rule, ...] = (
    Rule("search", ("FIND", "GROUPS"), "zip", "en"),
    Rule("search", ("BUSCAR", "GRUPOS"), "zip", "es"),
    Rule("more", ("MORE",), language="en"),
    Rule("more", ("MAS",), language="es"),
    Rule("rsvp", ("RSVP",), "optional_number", "en"),
    Rule("rsvp", ("VOY",), "optional_number", "es"),
    Rule("my", ("MY",), language="en"),
    Rule("my", ("MIS",), language="es"),
    Rule("drop", ("DROP",), "optional_number", "en"),
    Rule("drop", ("QUITAR",), "optional_number", "es"),
    Rule("call", ("CALL",), language="en"),
    Rule("call", ("LLAMAR",), language="es"),
    Rule("remind", ("REMIND",), "remind", "en"),
    Rule("remind", ("AVISO",), "remind", "es"),
    Rule("join", ("JOIN",), language="en"),
    Rule("join", ("UNIRSE",), language="es"),
    Rule("language", ("ES", "ESPANOL"), language="es", value="es"),
    Rule("language", ("EN", "ENGLISH"), language="en", value="en"),
    Rule("menu", ("MENU",)),
    Rule("privacy", ("PRIVACY",), language="en"),
    Rule("privacy", ("PRIVACIDAD",), language="es"),
    Rule("delete", ("DELETE",), language="en"),
    Rule("delete", ("BORRAR",), language="es"),
)

# REMIND TEXT / CALL / OFF and AVISO TEXTO / LLAMADA / NO: the reminder channel chosen.
REMIND_CHOICES = {
    "TEXT": "sms",
    "TEXTO": "sms",
    "CALL": "call",
    "LLAMADA": "call",
    "OFF": "none",
    "NO": "none",
}

_NOT_WORD = re.compile(r"[^A-Z0-9]+")
_ZIP = re.compile(r"^\d{5}$")
_NUMBER = re.compile(r"^\d{1,2}$")


def words(text: str | None) -> tuple[str, ...]:
    """Upper case, accents dropped ("MENÚ" is "MENU", "ESPAÑOL" is "ESPANOL"), punctuation
    made a space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    return tuple(_NOT_WORD.sub(" ", plain).split())


def parse(text: str | None) -> Command | None:
    """The command a text is, or None when it is not one."""
    tokens = words(text)
    if not tokens:
        return None
    if len(tokens) == 1 and _ZIP.match(tokens[0]):
        return Command("search", tokens[0])
    if len(tokens) == 1 and _NUMBER.match(tokens[0]):
        return Command("number", int(tokens[0]))
    for rule in GRAMMAR:
        if tokens[0] in rule.words:
            argument = _argument(rule, tokens[1:])
            if argument is not _NO_MATCH:
                return Command(rule.command, argument, rule.language)  # type: ignore[arg-type]
    return None


_NO_MATCH = object()


def _argument(rule: Rule, rest: tuple[str, ...]) -> object:
    if rule.argument == "none":
        return rule.value if not rest else _NO_MATCH
    if rule.argument == "zip":
        return rest[0] if len(rest) == 1 and _ZIP.match(rest[0]) else _NO_MATCH
    if rule.argument == "optional_number":
        if not rest:
            return None
        return int(rest[0]) if len(rest) == 1 and _NUMBER.match(rest[0]) else _NO_MATCH
    if len(rest) == 1 and rest[0] in REMIND_CHOICES:
        return REMIND_CHOICES[rest[0]]
    return _NO_MATCH


# MY [MIS] and MENU may have words after them: "my meetings", "mis reuniones", "menu please".
_TRAILING_WORDS_OK = frozenset({"my", "menu"})
# Asking about one's own meetings in other words: "when is my meeting", "mi reserva".
_OWN = frozenset({"MY", "MIS", "MI"})
_BOOKINGS = frozenset({"MEETING", "MEETINGS", "RSVP", "RSVPS", "REUNION", "REUNIONES", "RESERVA"})
# Asking for groups without a ZIP: "groups near me", "busco un grupo".
_SEARCH_WORDS = frozenset(
    {"GROUP", "GROUPS", "FIND", "MEETING", "MEETINGS", "NEAR", "GRUPO", "GRUPOS", "BUSCO"}
    | {"BUSCAR", "CERCA", "REUNION", "REUNIONES"}
)
# "cancel my rsvp", "cancelar mi reunion": the one-word CANCEL / CANCELAR stay stop words
# (SPEC §8, Twilio); with more words they ask how to drop a meeting, and are told DROP.
_CANCEL_WORDS = frozenset({"CANCEL", "CANCELAR"})
_THANKS = frozenset({"THANKS", "THANK", "THX", "TY", "GRACIAS", "MUCHAS", "MIL"})
_OK = frozenset(
    {"OK", "OKAY", "K", "YES", "YEAH", "YEP", "SI", "GOOD", "GREAT", "COOL", "PERFECT", "YOU"}
    | {"BUENO", "VALE", "LISTO", "PERFECTO", "CLARO", "BIEN", "MUY", "DALE"}
)
# Common Spanish words that say which language to answer a first text in ("hola", "busco un
# grupo"), when it holds no Spanish command word.
SPANISH_WORDS = frozenset(
    {"HOLA", "GRACIAS", "QUIERO", "BUSCO", "GRUPO", "REUNION", "REUNIONES", "NECESITO", "SI"}
    | {"BUENOS", "BUENAS", "DIAS", "TARDES", "NOCHES", "DONDE", "CERCA", "FAVOR", "ESPANOL"}
    | {"PARA", "QUE", "ESTOY", "TENGO", "AYUDENME", "AYUDA", "CANCELAR", "MIS", "MUCHAS"}
)


# Letters English does not write: "Menú", "¿hay grupos?", "señora".
_SPANISH_LETTERS = frozenset("ñáíóú¿¡")


def spanish(text: str | None) -> bool:
    if any(ch in _SPANISH_LETTERS for ch in (text or "").lower()):
        return True
    return bool(SPANISH_WORDS & set(words(text)))


def understand(text: str | None) -> Command | None:
    """What a text in ordinary words asks for, or None."""
    tokens = words(text)
    if not tokens:
        return None
    language = "es" if SPANISH_WORDS & set(tokens) else None
    zips = [token for token in tokens if _ZIP.match(token)]
    if len(zips) == 1:
        return Command("search", zips[0], language)
    if zips:
        return None  # two ZIPs: which one is meant is the member's to say
    for rule in GRAMMAR:
        if rule.command in _TRAILING_WORDS_OK and tokens[0] in rule.words:
            return Command(rule.command, rule.value, rule.language or language)
    if _CANCEL_WORDS & set(tokens):
        return Command("drop", None, language)
    if _OWN & set(tokens) and _BOOKINGS & set(tokens):  # "when is my meeting?"
        return Command("my", None, language or ("es" if "MIS" in tokens else None))
    if _SEARCH_WORDS & set(tokens):
        return Command("ask_zip", None, language)
    if set(tokens) <= _THANKS | _OK:
        kind = "thanks" if _THANKS & set(tokens) else "ok"
        return Command("ack", kind, language)
    return None
