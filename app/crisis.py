"""The one crisis matcher (SPEC §6), shared by voice (every speech result) and SMS (every inbound
member text), run before any command.

The phrases live in ``crisis_phrases.yaml``, a reviewed and versioned data file. Text and phrases
go through the same ``normalise``: lower case, accents dropped, apostrophes joined ("don't" is
"dont"), other punctuation made a space, runs of a repeated letter collapsed ("killl" and "kill"
both become "kil"), letters spelled one by one joined ("k.m.s" is "kms", "k.i.l.l" is "kil"),
then slang rewritten word by word ("kms" -> "kill myself"). A phrase matches when its words appear
together and in order. A match carries the phrase's id and the list's
version, never the text that matched, so it can be logged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

_APOSTROPHES = re.compile(r"['\u2019\u02bc`]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([a-z])\1+")


@dataclass(frozen=True)
class CrisisMatch:
    phrase_id: str  # "<language>:<index in the list>", e.g. "es:3"
    language: str
    version: int


@dataclass(frozen=True)
class PhraseList:
    version: int
    slang: dict[str, tuple[str, ...]]
    phrases: tuple[tuple[str, str, tuple[str, ...]], ...]  # (phrase id, language, words)


def match(text: str | None, language: str | None = None) -> CrisisMatch | None:
    """The first phrase found in ``text``, or None. Every language's phrases are tried (a
    Spanish speaker may use English words); ``language`` only decides which are tried first."""
    if not text:
        return None
    phrases = load()
    words = normalise(text, phrases.slang)
    for phrase_id, phrase_language, phrase in _in_order(phrases, language):
        if _contains(words, phrase):
            return CrisisMatch(phrase_id, phrase_language, phrases.version)
    return None


def normalise(text: str, slang: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain))
    # Repeats collapse before spelled-out letters are joined ("k.m.ssss" is "kms") and again
    # after, so "k.i.l.l" is "kil" like "kill".
    spelled = _joined_spellings(_REPEATS.sub(r"\1", plain).split())
    words = [_REPEATS.sub(r"\1", word) for word in spelled]
    if not slang:
        return tuple(words)
    return tuple(part for word in words for part in slang.get(word, (word,)))


def _joined_spellings(words: list[str]) -> list[str]:
    """Letters spelled out one by one ("k.m.s", "k m s") are read as one word ("kms")."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        joined.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if word:
            joined.append(word)
    return joined


@cache
def load() -> PhraseList:
    data = YAML(typ="safe").load(
        resources.files("app").joinpath("crisis_phrases.yaml").read_text(encoding="utf-8")
    )
    slang = {_one_word(key): normalise(value) for key, value in data["slang"].items()}
    phrases = tuple(
        (f"{language}:{index}", language, normalise(phrase, slang))
        for language, listed in data["phrases"].items()
        for index, phrase in enumerate(listed)
    )
    return PhraseList(version=int(data["version"]), slang=slang, phrases=phrases)


def _one_word(key: str) -> str:
    (word,) = normalise(key)
    return word


def _in_order(phrases: PhraseList, language: str | None) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(phrases.phrases, key=lambda entry: entry[1] != language)


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[start : start + size] == phrase for start in range(len(words) - size + 1))
