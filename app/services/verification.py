"""Proving a caller is the member (SPEC §7.5, §7.7): the PIN and the one-time code.

PIN: 3 wrong tries in one call lock it for 15 minutes; 10 wrong tries in one day lock it until
it is reset with a one-time code. A number that is not a member's, or whose member has no PIN,
gets exactly the answers a member with a wrong PIN gets, locks included: its locks are kept in
Redis under the number's keyed hash, so a later call cannot tell a member's locked PIN from a
stranger's "wrong" (security review H2).

One-time codes are 6 digits, live 10 minutes in Redis, 3 tries each. Redis holds the code's keyed
hash, to check it, and a sealed copy (``app/sealing.py``), so that asking again sends the same
code rather than another valid one (review M6) and so that the text or call carrying it is
rendered at send time: the outbox row never holds the code (review L7). Losing Redis only means
asking for a new code.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

import redis
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from app import sealing
from app.models import Member
from app.phones import number_hash

TRIES_PER_CALL = 3
CALL_LOCK = timedelta(minutes=15)
FAILURES_PER_DAY = 10
UNTIL_RESET = timedelta(days=3650)
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 3
# The texts and calls that carry a code: rendered from the sealed copy when they go out.
CODE_TEMPLATES = frozenset({"voice.text.code", "voice.call.code"})
HIDDEN = "••••••"  # what an outbox row keeps in the code's place
_SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
_SEALED = "one-time code"

PinResult = Literal["ok", "wrong", "locked"]
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("no PIN on this number")


def check_pin_of(
    store: redis.Redis,
    member: Member | None,
    phone: str,
    pin: str,
    tries_this_call: int,
    now: datetime,
    secret: str,
) -> PinResult:
    """The PIN check a caller gets: the member's own PIN when there is one, else the same
    answers and locks, held for the number in Redis."""
    if member is not None and member.pin_hash is not None:
        return check_pin(member, pin, tries_this_call, now)
    _matches(_DUMMY_HASH, pin)  # as long as checking a real PIN takes
    return _NumberLock(store, phone, secret).check(tries_this_call, now)


def set_pin(member: Member, pin: str) -> None:
    member.pin_hash = _hasher.hash(pin)
    member.pin_failures = 0
    member.pin_locked_until = None


def check_pin(member: Member | None, pin: str, tries_this_call: int, now: datetime) -> PinResult:
    """``tries_this_call`` counts wrong tries before this one, so a non-member is locked out of
    guessing in the same way as a member."""
    if tries_this_call >= TRIES_PER_CALL:
        return "locked"
    if member is None or member.pin_hash is None:
        return "locked" if tries_this_call + 1 >= TRIES_PER_CALL else "wrong"
    if member.pin_locked_until is not None and member.pin_locked_until > now:
        return "locked"
    if _matches(member.pin_hash, pin):
        member.pin_failures = 0
        return "ok"
    return _count_failure(member, tries_this_call + 1, now)


class _NumberLock:
    """The lock-outs of ``_count_failure`` for a number without a PIN."""

    def __init__(self, store: redis.Redis, phone: str, secret: str) -> None:
        self.store = store
        self.key = f"phoneline:pinlock:{number_hash(phone, secret)}"

    def check(self, tries_this_call: int, now: datetime) -> PinResult:
        if tries_this_call >= TRIES_PER_CALL:
            return "locked"
        kept = {_text(k): _text(v) for k, v in self.store.hgetall(self.key).items()}
        if float(kept.get("locked_until", 0)) > now.timestamp():
            return "locked"
        failures = int(kept.get("failures", 0)) if kept.get("day") == now.date().isoformat() else 0
        failures += 1
        locked_for = None
        if failures >= FAILURES_PER_DAY:
            locked_for = UNTIL_RESET
        elif tries_this_call + 1 >= TRIES_PER_CALL:
            locked_for = CALL_LOCK
        self._keep(now, failures, locked_for)
        return "wrong" if locked_for is None else "locked"

    def _keep(self, now: datetime, failures: int, locked_for: timedelta | None) -> None:
        until = (now + locked_for).timestamp() if locked_for else 0
        kept: list[str | int | float] = ["day", now.date().isoformat()]
        kept += ["failures", failures, "locked_until", until]
        self.store.hset(self.key, items=kept)
        lasts = max(locked_for or timedelta(0), timedelta(days=1))
        self.store.expire(self.key, int(lasts.total_seconds()))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _matches(pin_hash: str, pin: str) -> bool:
    try:
        return _hasher.verify(pin_hash, pin)
    except VerificationError:
        return False


def _count_failure(member: Member, tries: int, now: datetime) -> PinResult:
    if member.pin_failures_day != now.date():
        member.pin_failures_day = now.date()
        member.pin_failures = 0
    member.pin_failures += 1
    if member.pin_failures >= FAILURES_PER_DAY:
        member.pin_locked_until = now + UNTIL_RESET
        return "locked"
    if tries >= TRIES_PER_CALL:
        member.pin_locked_until = now + CALL_LOCK
        return "locked"
    return "wrong"


def issue_code(store: redis.Redis, phone: str, secret: str) -> str:
    """The number's live code, or a new one: asking again never makes a second valid code, and
    never makes the first one live longer."""
    live = live_code(store, phone, secret)
    if live is not None:
        return live
    code = f"{secrets.randbelow(1_000_000):06d}"
    key = _code_key(phone, secret)
    sealed = sealing.seal(secret, _SEALED, key, code)
    store.hset(key, mapping={"digest": _digest(code, secret), "tries": 0, "sealed": sealed})
    store.expire(key, int(CODE_LIFETIME.total_seconds()))
    return code


def live_code(store: redis.Redis, phone: str, secret: str) -> str | None:
    """The code still worth sending to ``phone``: alive, and not used up by wrong tries."""
    key = _code_key(phone, secret)
    kept = store.hgetall(key)
    if not kept or int(kept.get(b"tries", 0)) >= CODE_TRIES:
        return None
    sealed = kept.get(b"sealed")
    token = sealed.decode() if isinstance(sealed, bytes) else sealed
    return sealing.unseal(secret, _SEALED, key, token)


def hide_code(body: str) -> str:
    """A code text as the outbox keeps it: the code replaced, the rest as sent (reconciliation
    compares a message found at Twilio in the same form)."""
    return _SIX_DIGITS.sub(HIDDEN, body)


def check_code(store: redis.Redis, phone: str, code: str, secret: str) -> bool:
    key = _code_key(phone, secret)
    kept = store.hgetall(key)
    if not kept or int(kept.get(b"tries", 0)) >= CODE_TRIES:
        return False
    stored = kept[b"digest"]
    stored = stored.decode() if isinstance(stored, bytes) else str(stored)
    if hmac.compare_digest(stored, _digest(code, secret)):
        store.delete(key)
        return True
    store.hincrby(key, "tries", 1)
    return False


def _code_key(phone: str, secret: str) -> str:
    return f"phoneline:otp:{number_hash(phone, secret)}"


def _digest(code: str, secret: str) -> str:
    return hmac.new(secret.encode(), code.encode(), hashlib.sha256).hexdigest()
