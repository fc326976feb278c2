"""Checks a voice TwiML document against what Twilio accepts and what the line promises.

The verbs, their nesting and their attributes are read from twilio-python's ``VoiceResponse``
classes (the same library that renders our TwiML), so the allow-list moves with the library.
On top of Twilio's own rules sit the line's (SPEC §7): every ``<Gather>`` takes keys and speech
with ``timeout`` of at least 8 seconds, ``speechTimeout="auto"``, an explicit ``speechModel``,
``profanityFilter="false"`` and ``hints``; and a document never ends on a ``<Gather>``, because
then silence would hang up on the caller.

``check_twiml(xml)`` returns the problems as sentences (no text of the document in them beyond
tag and attribute names); an empty list means the document is good.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.etree import ElementTree

from twilio.twiml import TwiML, lower_camel
from twilio.twiml import voice_response as vr

MIN_GATHER_TIMEOUT = 8
GATHER_INPUTS = frozenset({"dtmf", "speech", "dtmf speech", "speech dtmf"})
REQUIRED_GATHER_INPUT = frozenset({"dtmf", "speech"})
BOOLEAN_ATTRIBUTES = frozenset(
    {"profanityFilter", "actionOnEmptyResult", "bargeIn", "enhanced", "debug", "trim", "record"}
)

# Amazon Polly voices Twilio offers, by the one language each speaks. A Polly voice told to speak
# another language reads the words with the wrong accent, or not at all.
POLLY_VOICES: dict[str, tuple[str, ...]] = {
    "en-US": (
        "Danielle", "Gregory", "Ivy", "Joanna", "Joey", "Justin", "Kendra", "Kevin", "Kimberly",
        "Matthew", "Ruth", "Salli", "Stephen", "Patrick",
    ),
    "en-GB": ("Amy", "Arthur", "Brian", "Emma"),
    "es-US": ("Lupe", "Miguel", "Penelope", "Pedro"),
    "es-MX": ("Mia", "Andres"),
    "es-ES": ("Conchita", "Enrique", "Lucia", "Sergio"),
}  # fmt: skip
POLLY_ENGINES = ("", "-Neural", "-Generative")
_GOOGLE_VOICE = re.compile(r"^Google\.([a-z]{2}-[A-Z]{2})-[A-Za-z0-9-]+$")
_INTEGER = re.compile(r"^\d+$")


@dataclass(frozen=True)
class VerbRule:
    attributes: frozenset[str]
    children: frozenset[str]


@cache
def rules() -> dict[str, VerbRule]:
    """Every TwiML element reachable from ``<Response>``: its attributes and allowed children."""
    table: dict[str, VerbRule] = {}
    _derive(vr.VoiceResponse, "Response", frozenset(), table)
    return table


def _derive(cls: type, tag: str, attributes: frozenset[str], table: dict[str, VerbRule]) -> None:
    if tag in table:
        return
    children = dict(_child_classes(cls))
    table[tag] = VerbRule(attributes, frozenset(children))
    for child_tag, (child_cls, child_attributes) in children.items():
        _derive(child_cls, child_tag, child_attributes, table)


def _child_classes(cls: type) -> Iterator[tuple[str, tuple[type, frozenset[str]]]]:
    """Call each nesting method of ``cls`` once on a bare instance to learn what it makes."""
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") or hasattr(TwiML, name):
            continue
        child = _make_child(cls, method)
        if child is not None:
            yield child.name, (type(child), _attributes_of(method, type(child)))


def _make_child(cls: type, method: Callable[..., Any]) -> TwiML | None:
    parameters = list(inspect.signature(method).parameters.values())[1:]
    required = [p for p in parameters if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    parent: TwiML = object.__new__(cls)
    TwiML.__init__(parent)
    child = method(parent, *["x"] * len(required))
    return child if isinstance(child, TwiML) else None


def _attributes_of(method: Callable[..., Any], child_cls: type) -> frozenset[str]:
    """The method's keyword parameters, minus the one that becomes the element's text."""
    names = [n for n in inspect.signature(method).parameters if n not in ("self", "kwargs")]
    value_name = _value_parameter(child_cls)
    return frozenset(lower_camel(TwiML.MAP.get(n, n)) for n in names if n != value_name)


def _value_parameter(child_cls: type) -> str | None:
    names = [n for n in inspect.signature(child_cls).parameters if n != "kwargs"]
    return names[0] if names else None


def check_twiml(document: str | bytes) -> list[str]:
    """The problems with a voice TwiML document; empty when it is good."""
    try:
        # Documents come from the line itself (tests, the simulator fetching our own URLs), and
        # expat >= 2.4.1 refuses entity-expansion bombs anyway.
        root = ElementTree.fromstring(document)  # noqa: S314
    except ElementTree.ParseError as error:
        return [f"not well-formed XML ({error.position[0]}:{error.position[1]})"]
    if root.tag != "Response":
        return [f"the root element is <{root.tag}>, not <Response>"]
    problems = list(_check_tree(root, "Response"))
    verbs = list(root)
    if verbs and verbs[-1].tag == "Gather":
        problems.append(
            "the document ends with <Gather>: silence would hang up; add a verb after it"
        )
    return problems


def _check_tree(element: ElementTree.Element, path: str) -> Iterator[str]:
    table = rules()
    rule = table[element.tag]
    for name in element.attrib:
        if name not in rule.attributes:
            yield f"<{element.tag}> at {path} has an attribute Twilio does not know: {name}"
    yield from _check_values(element, path)
    for index, child in enumerate(element):
        child_path = f"{path}/{child.tag}[{index}]"
        if child.tag not in rule.children:
            yield f"<{child.tag}> is not allowed inside <{element.tag}> ({child_path})"
            continue
        yield from _check_tree(child, child_path)


def _check_values(element: ElementTree.Element, path: str) -> Iterator[str]:
    for name in BOOLEAN_ATTRIBUTES & set(element.attrib):
        if element.attrib[name] not in ("true", "false"):
            yield f"<{element.tag}> at {path}: {name} must be true or false"
    if element.tag == "Gather":
        yield from _check_gather(element, path)
    elif element.tag == "Say":
        yield from _check_say(element, path)
    elif _lacks_url(element):
        yield f"<{element.tag}> at {path} has no URL"


def _lacks_url(element: ElementTree.Element) -> bool:
    if element.tag not in ("Redirect", "Play") or (element.text or "").strip():
        return False
    return element.tag == "Redirect" or "digits" not in element.attrib  # <Play digits> plays tones


def _check_gather(element: ElementTree.Element, path: str) -> Iterator[str]:
    given = element.get("input")
    if given is None or given not in GATHER_INPUTS:
        yield f"<Gather> at {path}: input must be a space-separated list of dtmf and speech"
    elif set(given.split()) != REQUIRED_GATHER_INPUT:
        yield f"<Gather> at {path}: the line takes keys and speech on every Gather (dtmf speech)"
    timeout = element.get("timeout")
    if timeout is None or not _INTEGER.match(timeout) or int(timeout) < MIN_GATHER_TIMEOUT:
        yield f"<Gather> at {path}: timeout must be at least {MIN_GATHER_TIMEOUT} seconds"
    if "numDigits" in element.attrib and not _INTEGER.match(element.attrib["numDigits"]):
        yield f"<Gather> at {path}: numDigits must be a whole number"
    yield from _check_speech(element, path)
    if element.get("method", "POST") not in ("GET", "POST"):
        yield f"<Gather> at {path}: method must be GET or POST"


def _check_speech(element: ElementTree.Element, path: str) -> Iterator[str]:
    """SPEC §7: speech ends by itself, with a model we chose, words we do not censor, and hints
    that help the recogniser with the words each menu expects."""
    expected = {"speechTimeout": "auto", "profanityFilter": "false"}
    for name, value in expected.items():
        if element.get(name) != value:
            yield f'<Gather> at {path}: the line sets {name}="{value}"'
    for name in ("speechModel", "hints"):
        if not (element.get(name) or "").strip():
            yield f"<Gather> at {path}: the line always gives {name}"


def _check_say(element: ElementTree.Element, path: str) -> Iterator[str]:
    voice, language = element.get("voice"), element.get("language")
    if voice is None:
        return
    speaks = voice_language(voice)
    if speaks is None:
        yield f"<Say> at {path}: voice {voice} is not a voice the line may use"
    elif language is not None and language != speaks:
        yield f"<Say> at {path}: voice {voice} speaks {speaks}, not language={language}"


def voice_language(voice: str) -> str | None:
    """The language a Polly or Google voice speaks, or None for a voice we do not know."""
    google = _GOOGLE_VOICE.match(voice)
    if google:
        return google.group(1)
    if not voice.startswith("Polly."):
        return None
    name = voice.removeprefix("Polly.")
    for language, names in POLLY_VOICES.items():
        if any(name == base + engine for base in names for engine in POLLY_ENGINES):
            return language
    return None
