"""The SMS command grammar (SPEC §8) as a table: coordinators print these words on wallet
cards, so the table is the public interface and the parser is a small loop over it.

Commands are case-insensitive whole words; accents, extra spaces and punctuation do not matter
("Menú!", "  rsvp   2 ", "mas." all parse). A Spanish-only word hints the sender's language.
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
