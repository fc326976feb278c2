"""Faults the simulator can put on its REST answers, one request at a time.

``when="before"``: Twilio refused the request and did nothing. ``when="after"``: Twilio did the
work (the message exists and will be delivered) but the answer is an error or never comes,
which is how a text gets sent twice by a client that simply retries.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

ERROR_CODES = {429: 20429, 500: 20500, 502: 20500, 503: 20503, 504: 20504}


@dataclass
class Fault:
    status: int = 500  # 429 or 5xx; 0 with ``hold`` or ``delay`` only
    when: str = "before"  # "before" or "after" the work is recorded
    resource: str = "Messages"  # "Messages", "Calls", "Recordings", or "" for any
    method: str = "POST"
    times: int = 1
    delay: float = 0.0  # seconds before answering (a slow Twilio)
    hold: bool = False  # never answer; the client's own timeout ends it
    # A share of the requests only: the n-th of its kind (counted from 0) where
    # n % every == offset, e.g. every=20, offset=3 for 5% of them.
    every: int = 0
    offset: int = 0
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, resource: str, n: int = 0) -> bool:
        mine = self.method == method and self.resource in ("", resource)
        return mine and (not self.every or n % self.every == self.offset)


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending: list[Fault] = []
        self.held: list[Fault] = []
        self.seen: Counter[tuple[str, str]] = Counter()  # requests so far, by method and resource

    def add(self, fault: Fault) -> Fault:
        assert fault.when in ("before", "after")
        with self.lock:
            self.pending.append(fault)
        return fault

    def take(self, method: str, resource: str) -> Fault | None:
        """The next fault for this request, used up as it is taken."""
        with self.lock:
            n = self.seen[method, resource]
            self.seen[method, resource] += 1
            for fault in self.pending:
                if fault.matches(method, resource, n):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.pending.remove(fault)
                    if fault.hold:
                        self.held.append(fault)
                    return fault
        return None

    def release_held(self) -> None:
        with self.lock:
            held, self.held = self.held, []
        for fault in held:
            fault.released.set()

    def clear(self) -> None:
        with self.lock:
            self.pending.clear()
        self.release_held()
