"""What the caller did, in the engine's terms: keys, digits, words, silence or a recording.

Speech goes through the crisis matcher first, on every step (SPEC §6), then "stop calling me",
then the words that work like global keys ("emergency" is 8, "operator" is 0), then the words
of the menu's choices and spoken digits, which map to the same routes as keys. "Help me" is 8
only when nothing else in the utterance was understood.
"""

from __future__ import annotations

from collections.abc import Mapping

from app import crisis
from app.prompts import Catalog
from call_flows.engine import Heard
from call_flows.nodes import Entry, Menu, Record, Waiting

# "Emergency" and asking for a person come before a menu's own words; "repeat" and "back" after
# them, so that "call me back" is the callback choice and not the star key.
URGENT_WORDS = (("8", "voice.words.emergency"), ("0", "voice.words.operator"))
NAVIGATION_WORDS = (("9", "voice.words.repeat"), ("*", "voice.words.back"))
# "Help me find a group" asks for help with the menu, and hearing it as a crisis plays a
# caller who is not in one 20 seconds of 911 and 988: "help me" is 8 only when it is all the
# line understood (the crisis matcher has had its say before any of this).
HELP_WORDS = ("8", "voice.words.help_me")
GLOBAL_WORDS = (*URGENT_WORDS, *NAVIGATION_WORDS, HELP_WORDS)
# Words of the menus that tell which language a caller speaks on the language menu.
LANGUAGE_CLUES = (
    "voice.words.find",
    "voice.words.callback",
    "voice.words.yes",
)
TOPICS = (
    "anxiety", "depression", "grief", "caregivers", "trauma", "bipolar",
    "recovery", "youth", "seniors", "lgbtq", "veterans", "general",
)  # fmt: skip


def hear(node: Waiting, form: Mapping[str, str], catalog: Catalog, language: str) -> Heard:
    digits = form.get("Digits") or ""
    speech = form.get("SpeechResult") or ""
    if isinstance(node, Record):
        sid = form.get("RecordingSid") or ""
        return Heard("recording", sid) if sid else Heard("silence")
    if digits:
        return Heard("data", digits) if isinstance(node, Entry) else Heard("key", digits[:1])
    if speech.strip():
        return _heard_words(node, speech, catalog, language)
    return Heard("silence")


def _heard_words(node: Waiting, speech: str, catalog: Catalog, language: str) -> Heard:
    found = crisis.match(speech, language)
    if found is not None:
        return Heard("crisis", match=found)
    words = crisis.normalise(speech)
    if said_any(words, catalog, language, "voice.words.stop"):
        return Heard("stop")
    for key, prompt in URGENT_WORDS:
        if said_any(words, catalog, language, prompt):
            return Heard("key", key)
    switch = _other_language(node, words, catalog, language)
    if switch is not None:
        return Heard("language", switch)
    if isinstance(node, Menu):
        chosen = _menu_words(node, words, catalog, language)
        if chosen.kind != "nothing":
            return chosen
    for key, prompt in NAVIGATION_WORDS:
        if said_any(words, catalog, language, prompt):
            return Heard("key", key)
    if isinstance(node, Entry):
        digits = spoken_digits(words, catalog, language)
        if digits:
            return Heard("data", digits)
        if said_any(words, catalog, language, "voice.words.find"):
            # "Help me find a group" at the ZIP question: ask it again, not the crisis numbers.
            return Heard("key", "9")
    key, prompt = HELP_WORDS
    return Heard("key", key) if said_any(words, catalog, language, prompt) else Heard("nothing")


def _menu_words(node: Menu, words: tuple[str, ...], catalog: Catalog, language: str) -> Heard:
    for choice in node.choices:
        if choice.words and said_any(words, catalog, language, choice.words):
            return Heard("key", choice.key)
    if node.topic_speech:
        topic = spoken_topic(words, catalog, language)
        if topic:
            return Heard("topic", topic)
    digits = spoken_digits(words, catalog, language)
    if len(digits) == 1 and _only_a_number(words, catalog, language):
        return Heard("key", digits)
    for choice in node.choices:
        if choice.language and said_any(
            words, catalog, choice.language, "voice.words.this_language"
        ):
            return Heard("key", choice.key)
    for choice in node.choices:
        # The language menu listens with the first language's recogniser: a Spanish answer
        # ("buscar un grupo") is still Spanish, and chooses it.
        if choice.language and any(
            said_any(words, catalog, choice.language, key) for key in LANGUAGE_CLUES
        ):
            return Heard("key", choice.key)
    return Heard("nothing")


def _only_a_number(words: tuple[str, ...], catalog: Catalog, language: str) -> bool:
    """ "Two", "number two", "option 2": a key. "The second one" is not (review item 14: it
    signed a caller up)."""
    names = _digit_names(catalog, language)
    allowed = {
        w for phrase in alternatives(catalog, language, "voice.words.option") for w in phrase
    }
    return all(w.isdigit() or w in names or w in allowed for w in words)


def _other_language(
    node: Waiting, words: tuple[str, ...], catalog: Catalog, language: str
) -> str | None:
    """ "Spanish" or "español" on any step switches to it (review item 11); the language menu
    has its own choices for that."""
    if isinstance(node, Menu) and any(choice.language for choice in node.choices):
        return None
    for code in catalog.languages:
        if code != language and said_any(words, catalog, code, "voice.words.this_language"):
            return code
    return None


def alternatives(catalog: Catalog, language: str, key: str) -> list[tuple[str, ...]]:
    """A words prompt is "a, b c, d": each alternative is one or more words."""
    text = catalog.template(language, key)
    return [crisis.normalise(part) for part in text.replace("|", ",").split(",") if part.strip()]


def said_any(words: tuple[str, ...], catalog: Catalog, language: str, key: str) -> bool:
    return any(_contains(words, phrase) for phrase in alternatives(catalog, language, key))


def spoken_digits(words: tuple[str, ...], catalog: Catalog, language: str) -> str:
    """ "nine four one one oh", "94110" and "nueve cuatro uno uno cero" are all digits; other
    words ("my zip is") are skipped."""
    names = _digit_names(catalog, language)
    found = []
    for word in words:
        if word.isdigit():
            found.append(word)
        elif word in names:
            found.append(names[word])
    return "".join(found)


def spoken_topic(words: tuple[str, ...], catalog: Catalog, language: str) -> str | None:
    for topic in TOPICS:
        if said_any(words, catalog, language, f"voice.topic_words.{topic}"):
            return topic
    return None


def hints(node: Waiting, catalog: Catalog, language: str) -> list[str]:
    """Words the recogniser should expect here, in the caller's language."""
    keys = [prompt for _, prompt in GLOBAL_WORDS]
    if isinstance(node, Menu):
        keys += [choice.words for choice in node.choices if choice.words]
        if node.topic_speech:
            keys += [f"voice.topic_words.{topic}" for topic in TOPICS]
    if isinstance(node, Entry):
        keys.append("voice.words.digits")
    found: list[str] = []
    for key in keys:
        found += spelled(catalog, language, key)
    return list(dict.fromkeys(found))[:100]


def spelled(catalog: Catalog, language: str, key: str) -> list[str]:
    """The alternatives of a words prompt as written ("español", "three"), for hints."""
    text = catalog.template(language, key).replace("|", ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _digit_names(catalog: Catalog, language: str) -> dict[str, str]:
    # The collapsed spelling is what normalise() gives for the caller's words too.
    entries = catalog.template(language, "voice.words.digits").split(",")
    return {
        name: str(digit)
        for digit, entry in enumerate(entries)
        for alternative in entry.split("|")
        for name in crisis.normalise(alternative)
    }


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return size > 0 and any(
        words[start : start + size] == phrase for start in range(len(words) - size + 1)
    )
