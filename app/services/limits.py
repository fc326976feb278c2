"""Per-number limits on what anyone who presents or keys in a number can make the line send to it
(security review M6, L12). Caller ID is easy to fake and a keyed-in number is whatever the caller
typed, so without a ceiling the line is a free relay for codes, group details and calls to a
stranger's phone.

Each limit is a fixed window per number, counted in Redis under a keyed hash of the number (never
the number). The count goes up first and the answer is read from it, so parallel requests cannot
all pass a check made before any of them counted (the sign-in limiter's lesson, review M9).
Losing Redis forgets the counts: the worst case is one more window's worth of sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis

from app.phones import number_hash


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: timedelta


# One-time codes to one number, by text and call together: a member who mistypes or misses one
# can ask twice more; a live code is sent again, never a new one (app/services/verification.py).
CODES = Limit("codes", 3, timedelta(hours=1))
# "My meetings" by text or call to one number.
MEETINGS = Limit("meetings", 3, timedelta(hours=1))
# Group details texted from a call to one number: enough to text every group of a short list.
DETAILS = Limit("details", 5, timedelta(hours=1))
# Masked callback calls to one number that a caller keyed in (not their caller ID).
KEYED_CALLS = Limit("keyed-calls", 3, timedelta(days=1))


def _key(limit: Limit, number: str, secret: str) -> str:
    return f"phoneline:limit:{limit.name}:{number_hash(number, secret)}"


def take(store: redis.Redis, limit: Limit, number: str, secret: str) -> bool:
    """Count one more for ``number``; True while the count is within the limit."""
    key = _key(limit, number, secret)
    pipe = store.pipeline(transaction=True)
    pipe.set(key, 0, ex=int(limit.window.total_seconds()), nx=True)
    pipe.incr(key)
    _, count = pipe.execute()
    return int(count) <= limit.count


def within(store: redis.Redis, limit: Limit, number: str, secret: str) -> bool:
    """Whether one more would still be allowed, without counting it."""
    raw = store.get(_key(limit, number, secret))
    return int(raw or 0) < limit.count
