"""Everything an action may use during one webhook request, and the facts the engine needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import sealing
from app.config import Config
from app.models import Member, SmsStatus
from app.prompts import Catalog
from app.services import members
from call_flows.engine import CallState

STIR_VERIFIED = "TN-Validation-Passed-A"
KEYED_NUMBER = "keyed number"  # the sealing purpose of a number keyed in during a call


@dataclass
class CallContext:
    session: Session
    catalog: Catalog
    config: Config
    redis: redis.Redis
    now: datetime
    call_sid: str
    caller: str | None  # E.164; None when caller ID is withheld or unusable
    stir: str | None
    # Caller ID was a number the line may not call or text (outside DEFAULT_REGION, premium):
    # the call goes on as if it were withheld, and the caller is told why once.
    caller_refused: bool = False
    _member: Member | None = field(default=None, init=False, repr=False)
    _member_known: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        # A member added to or deleted from the session makes the remembered lookup stale.
        event.listen(self.session, "transient_to_pending", self._member_changed)
        event.listen(self.session, "persistent_to_deleted", self._member_changed)

    def number(self, state: CallState) -> str | None:
        """The caller's own number (caller ID). A number keyed in for a callback is never the
        caller's identity: it is only where that callback goes (``callback_number``), or a
        caller could act for, and learn about, whoever owns it."""
        return self.caller

    def callback_number(self, state: CallState) -> str | None:
        """Where a requested callback goes: caller ID, else the keyed-in number once the caller
        confirmed its read-back (kept sealed in the call's state until the request is filed)."""
        return self.caller or self.unseal_number(state.vars.get("callback_number"))

    def seal_number(self, number: str) -> str:
        """A number keyed in during this call, as the call's state may hold it (review L5)."""
        return sealing.seal(self.config.secret_key, KEYED_NUMBER, self.call_sid, number)

    def unseal_number(self, sealed: str | None) -> str | None:
        return sealing.unseal(self.config.secret_key, KEYED_NUMBER, self.call_sid, sealed)

    def member(self, state: CallState) -> Member | None:
        """The caller's member row, looked up once per request (menus and actions ask for it
        several times) and again only after a member was added or deleted."""
        number = self.number(state)
        if number is None:
            return None
        if not self._member_known or self._member in self.session.deleted:
            self._member = members.find(self.session, number)
            self._member_known = True
            if self._member is not None:
                # A call is activity, as a text is: retention must not forget a member who
                # only ever phones (RETENTION_INACTIVE_MEMBER, SPEC §12).
                members.touch(self._member, self.now)
        return self._member

    def _member_changed(self, _session: Session, instance: object) -> None:
        if isinstance(instance, Member):
            self._member_known = False

    def say(self, state: CallState, key: str, **params: Any) -> str:
        return self.catalog.render(state.language, key, **params)


def facts(ctx: CallContext, state: CallState) -> frozenset[str]:
    """What is true for this caller right now; menus offer choices by these. Until the caller
    is verified, the member row is left out: caller ID is easy to fake, and a menu that differs
    for a member's number would tell whoever presents it that the number is a member's
    (security review H2)."""
    found: set[str] = set()
    member = personal_member(ctx, state)
    if ctx.caller:
        found.add("has_caller_id")
    if ctx.number(state):
        found.add("has_number")
        if member is None or member.sms_status is SmsStatus.OK:
            found.add("can_text")
    if member is not None and member.sms_status is SmsStatus.BLOCKED:
        found.add("sms_blocked")
    if is_verified(state):
        found.add("verified")
    found |= _position_facts(state)
    found |= {f"topic_{n}" for n in range(1, 5) if state.vars.get(f"topic_{n}")}
    if state.vars.get("phone_count"):
        found.add("has_phone_groups")
    return frozenset(found)


def is_verified(state: CallState) -> bool:
    return bool(state.vars.get("verified"))


def personal_member(ctx: CallContext, state: CallState) -> Member | None:
    """The caller's member row, for what the line may say differently to a member: only once
    the caller is verified (StirVerstat A on a signed request, the PIN, or a one-time code)."""
    return ctx.member(state) if is_verified(state) else None


def _position_facts(state: CallState) -> set[str]:
    items = state.vars.get(state.vars.get("list", "results")) or []
    index = int(state.vars.get("index", 0))
    found = set()
    if index + 1 < len(items):
        found.add("has_next")
    if index > 0:
        found.add("has_previous")
    return found
