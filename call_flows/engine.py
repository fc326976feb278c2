"""The pure step engine: from a call's state and what the caller did, the next state and what the
caller hears. It never touches the database, Redis or Twilio: an ``Action`` node stops the engine
with ``Turn.run`` set; the driver runs it and calls ``resume`` with the route it chose.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.crisis import CrisisMatch
from call_flows.definitions import CALLBACK, CRISIS_INFO, CRISIS_MATCH, START, STOP
from call_flows.nodes import (
    AFTER_GATE,
    PREVIOUS,
    Action,
    Choice,
    Entry,
    Hangup,
    Menu,
    Node,
    Record,
    Say,
    Waiting,
)

MAX_REPROMPTS = 2  # "take your time" at most twice, then the node's on_timeout
MAX_INVALID = 3
# Prompts that tell the caller, right where they are, that 8 is for a crisis: a menu that says
# one of them is not made longer after words the line could not use.
SAYS_CRISIS = frozenset({"voice.main.also", "crisis.voice_info", "voice.outbound.crisis"})
# Said with the second re-prompt (silence or unusable answers): before the third ends the menu,
# the caller hears that a person can call them back.
STUCK_OFFER = "voice.stuck_offer"
NAVIGATION_HINT = "voice.navigation"  # 9 and star, said on a menu's short re-prompt
_MAX_PASS_THROUGH = 50  # Say/Action chains longer than this are a definition bug


@dataclass(frozen=True)
class Utterance:
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    language: str | None = None  # None: the caller's language
    nested: tuple[tuple[str, str], ...] = ()  # (param, prompt key) rendered first


@dataclass
class CallState:
    node: str = START
    language: str = "en"
    vars: dict[str, Any] = field(default_factory=dict)
    silences: int = 0
    invalids: int = 0
    slow: bool = False  # "#" on a menu: every wait doubles for the rest of the call
    turn: int = 0  # documents served; a request for an older one is a retry, not an answer

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        return cls(**data)


@dataclass(frozen=True)
class Heard:
    kind: Literal[
        "key", "data", "silence", "crisis", "stop", "topic", "recording", "language", "nothing"
    ]
    value: str = ""
    match: CrisisMatch | None = field(default=None, compare=False)  # for the audit log only


@dataclass
class Turn:
    state: CallState
    said: list[Utterance]
    run: Action | None = None
    reprompt: bool = False


def start(flows: dict[str, Node], state: CallState) -> Turn:
    return go(flows, state, START, [])


def go(flows: dict[str, Node], state: CallState, target: str, said: list[Utterance]) -> Turn:
    """Move to ``target``, passing through ``Say`` nodes, stopping at an action or a wait."""
    for _ in range(_MAX_PASS_THROUGH):
        node = flows[_resolve(state, target)]
        if isinstance(node, Say):
            said.append(Utterance(node.prompt))
            target = node.next
            continue
        if node.name != state.node:
            state.silences = state.invalids = 0
        state.node = node.name
        return Turn(state, said, run=node if isinstance(node, Action) else None)
    raise RuntimeError("a flow passes through too many nodes without waiting")


def resume(flows: dict[str, Node], state: CallState, route: str, said: list[Utterance]) -> Turn:
    action = flows[state.node]
    assert isinstance(action, Action)
    return go(flows, state, action.routes[route], said)


def step(flows: dict[str, Node], state: CallState, heard: Heard, facts: frozenset[str]) -> Turn:
    node = flows[state.node]
    if heard.kind == "crisis":
        return _leave_for(flows, state, CRISIS_MATCH)
    if heard.kind == "stop":
        return go(flows, state, STOP, [])
    if heard.kind == "silence":
        return _silence(flows, state, node)
    if heard.kind == "language" and f"lang_{heard.value}" in flows:
        return go(flows, state, f"lang_{heard.value}", [])
    if isinstance(node, Menu):
        return _on_menu(flows, state, node, heard, facts)
    if isinstance(node, Entry):
        return _on_entry(flows, state, node, heard)
    if isinstance(node, Record):
        if heard.kind == "recording":
            state.vars["recording_sid"] = heard.value
        return go(flows, state, node.target, [])
    return go(flows, state, START, [])  # a Hangup or Action is never waiting for input


def waiting(flows: dict[str, Node], state: CallState) -> Waiting:
    node = flows[state.node]
    assert isinstance(node, Menu | Entry | Record | Hangup)
    return node


def prompts_for(
    node: Waiting, state: CallState, facts: frozenset[str], short: bool
) -> list[Utterance]:
    """What the caller hears while the node waits; ``short`` is the re-prompt after silence."""
    if isinstance(node, Hangup):
        return [Utterance(key) for key in node.prompts]
    if not isinstance(node, Menu):
        return [Utterance(node.prompt)]
    said = [] if short else [Utterance(key) for fact, key in node.preface if fact in facts]
    if node.prompt and not short:
        said.append(Utterance(node.prompt))
    labels: list[Utterance] = []
    for choice in node.choices:
        if choice.language in node.notices and not short:
            # Its speakers hear the notice in their language, then how to choose it.
            labels.append(Utterance("voice.notice", language=choice.language))
        if _offered(choice, facts):
            labels.append(_label(choice, state))
    if short:
        return labels + _navigation(node)
    return said + labels + [Utterance(key) for key in node.coda]


def _navigation(menu: Menu) -> list[Utterance]:
    """Repeat and back are announced where a caller who paused may need them, in the caller's
    language; not on the language menu (no language yet) nor on calls the line places (their
    coda says 9 already)."""
    if menu.outbound or any(choice.language for choice in menu.choices):
        return []
    return [Utterance(menu.navigation or NAVIGATION_HINT)]


def _label(choice: Choice, state: CallState) -> Utterance:
    nested = (("item", str(state.vars[choice.item])),) if choice.item else ()
    return Utterance(choice.label, {"key": choice.key}, choice.language, nested)


def _offered(choice: Choice, facts: frozenset[str]) -> bool:
    return choice.when is None or choice.when in facts


def _on_menu(
    flows: dict[str, Node], state: CallState, menu: Menu, heard: Heard, facts: frozenset[str]
) -> Turn:
    if heard.kind == "topic" and menu.topic_speech:
        state.vars["topic"] = heard.value
        return go(flows, state, menu.topic_speech, [])
    if heard.kind != "key":
        return _invalid(flows, state, menu, heard)
    if heard.value in ("9", "*", "0", "8", "#"):
        return _global_key(flows, state, menu, heard.value)
    for choice in menu.choices:
        if choice.key == heard.value:
            if not _offered(choice, facts):
                unavailable = choice.unavailable or "voice.not_available"
                return go(flows, state, menu.name, [Utterance(unavailable)])
            return go(flows, state, choice.target, [])
    return _invalid(flows, state, menu, heard)


def _on_entry(flows: dict[str, Node], state: CallState, entry: Entry, heard: Heard) -> Turn:
    if heard.kind == "key":
        if heard.value in ("0", "8"):
            return _global_key(flows, state, entry, heard.value)
        return go(flows, state, entry.back if heard.value == "*" else entry.name, [])
    if heard.kind != "data" or not heard.value:
        return _invalid(flows, state, entry, heard)
    if heard.value.rstrip("#") in ("0", "8"):
        # A lone 0 or 8 is no ZIP, PIN or number: it is the key it is on every menu, so the
        # first question of a call (a ZIP) still reaches a person or the crisis numbers.
        return _global_key(flows, state, entry, heard.value[0])
    if "*" in heard.value:
        return go(flows, state, entry.back, [])
    state.vars["entered"] = heard.value.replace("#", "")
    return go(flows, state, entry.target, [])


def _global_key(flows: dict[str, Node], state: CallState, node: Menu | Entry, key: str) -> Turn:
    if key == "9":
        again = node.repeat if isinstance(node, Menu) and node.repeat else node.name
        return go(flows, state, again, [])
    if key == "*":
        return go(flows, state, node.back, [])
    if key == "#":
        state.slow = True
        return go(flows, state, node.name, [Utterance("voice.slower")])
    return _leave_for(flows, state, CALLBACK if key == "0" else CRISIS_INFO)


def _leave_for(flows: dict[str, Node], state: CallState, target: str) -> Turn:
    """Global keys remember where the caller was, so * from there comes back."""
    if state.node not in (CRISIS_INFO,) and isinstance(flows[state.node], Menu | Entry):
        state.vars["previous"] = state.node
    return go(flows, state, target, [])


def _silence(flows: dict[str, Node], state: CallState, node: Node) -> Turn:
    if isinstance(node, Record):
        return go(flows, state, node.target, [])
    state.silences += 1
    if state.silences > MAX_REPROMPTS or not isinstance(node, Menu | Entry):
        return go(flows, state, getattr(node, "on_timeout", "main"), [])
    said = [Utterance("voice.take_your_time"), *_stuck(node, state.silences == MAX_REPROMPTS)]
    return Turn(state, said, reprompt=True)


def _invalid(flows: dict[str, Node], state: CallState, node: Menu | Entry, heard: Heard) -> Turn:
    state.invalids += 1
    spoken = [c.language for c in node.choices if c.language] if isinstance(node, Menu) else []
    # Before a language is chosen, "sorry" is said in every language (the language menu).
    said = [Utterance("voice.invalid", language=c) for c in spoken] or [Utterance("voice.invalid")]
    if state.invalids >= MAX_INVALID:
        return go(flows, state, node.on_timeout, said)
    if heard.kind == "nothing":
        said += _crisis_line(node)
    said += _stuck(node, state.invalids == MAX_INVALID - 1)
    return go(flows, state, node.name, said)


def _stuck(node: Menu | Entry, second: bool) -> list[Utterance]:
    """The second time a caller is lost, they hear that a person can call them back: the next
    time the menu gives up, and nobody should reach that without being told."""
    if not second or (isinstance(node, Menu) and node.outbound):
        return []
    spoken = [c.language for c in node.choices if c.language] if isinstance(node, Menu) else []
    if spoken:  # the language menu: each language says it
        return [Utterance(STUCK_OFFER, language=code) for code in spoken]
    return [Utterance(STUCK_OFFER)]


def _crisis_line(node: Menu | Entry) -> list[Utterance]:
    """Words the line could not use may have been someone asking for help in words it does not
    know: the re-prompt says how to reach the crisis numbers, unless the node already does."""
    if node.prompt in SAYS_CRISIS or (isinstance(node, Menu) and SAYS_CRISIS & set(node.coda)):
        return []
    spoken = [c.language for c in node.choices if c.language] if isinstance(node, Menu) else []
    if spoken:  # the language menu: the caller's language is not known yet
        return [Utterance("voice.crisis_call", language=code) for code in spoken]
    return [Utterance("voice.crisis_line")]


def _resolve(state: CallState, target: str) -> str:
    if target == PREVIOUS:
        return str(state.vars.get("previous") or "main")
    if target == AFTER_GATE:
        return str(state.vars.get("after_gate") or "main")
    return target
