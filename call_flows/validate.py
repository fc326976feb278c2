"""The flow validator, run when the definitions are first used and in the tests (STYLE 5).

Rules: every target exists; every node is reachable from the start (or is an entry point the
line's own calls use); every action names a function that exists; every menu handles silence
and invalid input (an ``on_timeout`` that exists), leaves room for the global keys 9 * 0 8 #,
and offers at most 4 choices numbered from 1 with none skipped (outbound menus: 1, 2 and 7);
every menu and entry has a ``back``; every path ends in a ``Hangup`` whose last words are the
goodbye, and no chain of pass-through nodes loops without waiting for the caller.
"""

from __future__ import annotations

from collections.abc import Iterator

from call_flows.definitions import CALLBACK, CRISIS_INFO, CRISIS_MATCH, ENTRY_POINTS, STOP
from call_flows.nodes import (
    DYNAMIC_TARGETS,
    GLOBAL_KEYS,
    GOODBYE,
    Action,
    Entry,
    Hangup,
    Menu,
    Node,
    Say,
    targets,
)

MAX_CHOICES = 4
OUTBOUND_KEYS = {"1", "2", "7"}
# Reached from every menu by a global key or by what the caller says.
GLOBAL_TARGETS = (CALLBACK, CRISIS_INFO, CRISIS_MATCH, STOP)


class FlowError(ValueError):
    pass


def validate(flows: dict[str, Node]) -> list[str]:
    problems = list(_targets_exist(flows))
    problems += list(_actions_exist(flows))
    problems += list(_menus_are_well_formed(flows))
    if not problems:
        problems += list(_everything_reachable(flows))
        problems += list(_every_path_says_goodbye(flows))
    return problems


def validate_or_raise(flows: dict[str, Node]) -> None:
    problems = validate(flows)
    if problems:
        raise FlowError("; ".join(problems))


def _targets_exist(flows: dict[str, Node]) -> Iterator[str]:
    for node in flows.values():
        for target in targets(node):
            if target not in flows and target not in DYNAMIC_TARGETS:
                yield f"{node.name}: leads to {target!r}, which does not exist"


def _actions_exist(flows: dict[str, Node]) -> Iterator[str]:
    from call_flows.actions import ACTIONS

    for node in flows.values():
        if isinstance(node, Action) and node.run not in ACTIONS:
            yield f"{node.name}: runs {node.run!r}, which is not an action"
        if isinstance(node, Action) and not node.routes:
            yield f"{node.name}: an action with no routes"


def _menus_are_well_formed(flows: dict[str, Node]) -> Iterator[str]:
    for node in flows.values():
        if isinstance(node, Menu):
            yield from _menu_problems(node, flows)
        if isinstance(node, Entry) and not (node.back and node.on_timeout):
            yield f"{node.name}: an entry needs a way back and a way out of silence"


def _menu_problems(menu: Menu, flows: dict[str, Node]) -> Iterator[str]:
    keys = [choice.key for choice in menu.choices]
    if not menu.on_timeout or not menu.back:
        yield f"{menu.name}: does not handle silence or the star key"
    taken = sorted(set(keys) & set(GLOBAL_KEYS))
    if taken:
        yield f"{menu.name}: a choice takes a global key ({', '.join(taken)})"
    if len(keys) > MAX_CHOICES:
        yield f"{menu.name}: offers {len(keys)} choices; at most {MAX_CHOICES}"
    expected = [str(n) for n in range(1, len(keys) + 1)]
    if menu.outbound and not set(keys) <= OUTBOUND_KEYS:
        yield f"{menu.name}: an outbound menu offers only 1, 2 and 7"
    if not menu.outbound and keys != expected:
        yield f"{menu.name}: choices must be numbered from 1 with none skipped, not {keys}"
    if not menu.choices:
        yield f"{menu.name}: a menu with nothing to choose"


def _everything_reachable(flows: dict[str, Node]) -> Iterator[str]:
    seen: set[str] = set()
    todo = [*ENTRY_POINTS, *GLOBAL_TARGETS]
    while todo:
        name = todo.pop()
        if name in seen or name in DYNAMIC_TARGETS:
            continue
        seen.add(name)
        todo += targets(flows[name])
    for name in flows:
        if name not in seen:
            yield f"{name}: cannot be reached"


def _every_path_says_goodbye(flows: dict[str, Node]) -> Iterator[str]:
    for node in flows.values():
        if isinstance(node, Hangup) and (not node.prompts or node.prompts[-1] != GOODBYE):
            yield f"{node.name}: hangs up without the goodbye"
        if isinstance(node, Say | Action) and _loops_without_waiting(flows, node.name):
            yield f"{node.name}: loops without waiting for the caller"


def _loops_without_waiting(flows: dict[str, Node], start: str) -> bool:
    todo, seen = [start], set()
    while todo:
        name = todo.pop()
        node = flows.get(name)
        if not isinstance(node, Say | Action):
            continue
        for target in targets(node):
            if target == start:
                return True
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return False
