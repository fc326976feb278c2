"""The SPEC §10/§12 promise, checked after every test that runs the simulator: no message and
no call leg to a facilitator carries a member's number, in any format.

``scan`` looks at every text the simulator delivered to a facilitator's number (sent through
the API or as a webhook reply) and at every call to one: who it came from and everything said
or played on it. ``SEEN`` counts what was inspected over the whole run, so a final test can show
the scan was not vacuous.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from app.simulator import Simulator

SEEN: Counter[str] = Counter()


def formats(e164: str) -> list[re.Pattern[str]]:
    """A US number as people write it: +14155550100, 14155550100, (415) 555-0100,
    415.555.0100, 415 555 0100, 555-0100 and digits run together."""
    digits = e164.removeprefix("+1")
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    sep = r"[\s.()\-]*"
    return [
        re.compile(sep.join([r"\+?1?", area, exchange, line])),
        re.compile(rf"(?<!\d){exchange}{sep}{line}(?!\d)"),
    ]


def leaks_in(text: str, members: Iterable[str]) -> list[str]:
    return [number for number in members if any(p.search(text) for p in formats(number))]


def scan(sim: Simulator, facilitators: set[str], members: set[str], line: str) -> list[str]:
    members = {m for m in members if m.startswith("+1") and m not in facilitators}
    problems = []
    with sim.store.lock:
        messages = [m for m in sim.store.messages.values() if m.to in facilitators]
        calls = [c for c in sim.store.calls.values() if c.to in facilitators]
    for message in messages:
        SEEN["messages"] += 1
        problems += [f"text to a facilitator has {n}" for n in leaks_in(message.body, members)]
    for call in calls:
        SEEN["calls"] += 1
        if call.from_ != line:
            problems.append("a call to a facilitator did not come from the line's number")
        heard = " ".join(h.text for h in call.heard)
        problems += [f"a facilitator heard {n}" for n in leaks_in(heard, members)]
    return problems


def numbers_that_reached_the_line(sim: Simulator) -> set[str]:
    """Everyone who called or texted the line (members erased since included)."""
    with sim.store.lock:
        texts = {m.from_ for m in sim.store.messages.values() if m.direction == "inbound"}
        calls = {c.from_ for c in sim.store.calls.values() if c.direction == "inbound"}
    return texts | calls
