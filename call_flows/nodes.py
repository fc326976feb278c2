"""The kinds of node a call flow is made of (STYLE 5: call flows are data).

A flow is a table of named nodes. Nodes that wait for the caller (``Menu``, ``Entry``,
``Record``) become a TwiML document; the others (``Action``, ``Say``) are passed through within
one request; a ``Hangup`` says goodbye and ends the call. Targets are node names; a target
starting with ``@`` is read from the call's variables (``@previous``: the menu the caller was
on before a global key; ``@after_gate``: where a verification gate continues).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PREVIOUS = "@previous"
AFTER_GATE = "@after_gate"
DYNAMIC_TARGETS = (PREVIOUS, AFTER_GATE)


@dataclass(frozen=True)
class Choice:
    key: str  # "1".."4" (outbound menus also "7")
    label: str  # prompt key that states the goal before the key: "To find a group, press {key}."
    target: str
    words: str | None = None  # prompt key: spoken words for this choice, "a, b | c"
    when: str | None = None  # a fact the caller must have; unmet: not announced, "not available"
    item: str | None = None  # a call variable holding a prompt key, rendered into {item}
    language: str | None = None  # spoken in this language whatever the caller's (language menu)
    unavailable: str | None = None  # said instead of "not available" when ``when`` is unmet


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: str | None
    choices: tuple[Choice, ...]
    back: str  # where * goes; the menu's own name on the main menu (repeat)
    on_timeout: str = "main"  # after two silent re-prompts or three invalid keys
    preface: tuple[tuple[str, str], ...] = ()  # (fact, prompt key) said first when the fact holds
    topic_speech: str | None = None  # a spoken topic goes here, remembered as "topic"
    outbound: bool = False  # a menu of a call the line places (reminders, callbacks)
    coda: tuple[str, ...] = ()  # prompt keys said after the choices (not on a re-prompt)
    repeat: str | None = None  # where 9 goes, when repeating is more than the menu itself
    # Languages whose safety notice is said inside this menu, before its choices, so a key cuts
    # it short (the language menu: the first language's notice is said before it, in full).
    notices: tuple[str, ...] = ()
    navigation: str | None = None  # the short re-prompt's 9/star line, when star is special


@dataclass(frozen=True)
class Entry:
    name: str
    prompt: str
    digits: int
    target: str  # receives the digits as the variable "entered"
    back: str
    on_timeout: str = "main"


@dataclass(frozen=True)
class Record:
    name: str
    prompt: str  # includes the 911/988 line, said before the beep
    target: str  # receives "recording_sid" (absent when the caller said nothing)
    max_seconds: int = 120


@dataclass(frozen=True)
class Action:
    name: str
    run: str  # a function in call_flows.actions
    routes: dict[str, str] = field(default_factory=dict)
    arg: str | None = None


@dataclass(frozen=True)
class Say:
    name: str
    prompt: str
    next: str


@dataclass(frozen=True)
class Hangup:
    name: str
    prompts: tuple[str, ...]  # the last is always the goodbye


Node = Menu | Entry | Record | Action | Say | Hangup
Waiting = Menu | Entry | Record | Hangup

GLOBAL_KEYS = ("9", "*", "0", "8", "#")
GOODBYE = "voice.goodbye"


def targets(node: Node) -> list[str]:
    """Every node name this node can lead to, for validation and the call-flow map."""
    if isinstance(node, Menu):
        found = [choice.target for choice in node.choices] + [node.back, node.on_timeout]
        return found + ([node.topic_speech] if node.topic_speech else [])
    if isinstance(node, Entry):
        return [node.target, node.back, node.on_timeout]
    if isinstance(node, Record):
        return [node.target]
    if isinstance(node, Action):
        gate = [node.arg] if node.run == "begin_gate" and node.arg else []
        return list(node.routes.values()) + gate
    if isinstance(node, Say):
        return [node.next]
    return []
