"""Texts from a registered facilitator's phone (SPEC §8, §10): LIST, CLAIM, CALL, DONE and
RELEASE, with the Spanish words, and their opt-outs. Member commands are not available from such
a number, and the crisis matcher does not run on it.

Replies name requests by code only. A code that is not open, or not this facilitator's, gets a
polite refusal that says nothing about the member. ``LIST`` and ``CLAIM`` reach only the requests
of the facilitator's groups and languages and those they were alerted about; ``DONE`` closes only
a request the line has called (an urgent one only once the member answered), and is audited
(security review M4; app/services/callbacks.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import segments
from app.config import Config
from app.extensions import phoneline
from app.models import (
    CallbackRequest,
    CallbackStatus,
    ConsentSource,
    Facilitator,
    OutboxKind,
    OutboxPurpose,
    StaffNoticeKind,
)
from app.prompts import Catalog
from app.services import (
    audit,
    callback_alerts,
    callbacks,
    limits,
    meetings,
    members,
    outbox,
    quiet_hours,
    staff,
)
from app.services.outbox import Outgoing
from sms.grammar import words
from sms.keywords import Keyword
from sms.turn import Inbound

log = logging.getLogger(__name__)

COMMANDS = {
    "LIST": ("list", "en"),
    "LISTA": ("list", "es"),
    "CLAIM": ("claim", "en"),
    "TOMAR": ("claim", "es"),
    "CALL": ("call", "en"),
    "LLAMAR": ("call", "es"),
    "DONE": ("done", "en"),
    "LISTO": ("done", "es"),
    "RELEASE": ("release", "en"),
    "SOLTAR": ("release", "es"),
}
_CODE = re.compile(r"^\d{6}$")


@dataclass
class Text:
    """One facilitator's text being answered."""

    session: Session
    config: Config
    catalog: Catalog
    now: datetime
    message: Inbound
    facilitator: Facilitator
    language: str

    def say(self, key: str, **params: object) -> str:
        return self.catalog.render(
            self.language, f"sms.facilitator.{key}", line_name=self.config.line_name, **params
        )


def reply(
    session: Session,
    facilitator: Facilitator,
    message: Inbound,
    keyword: Keyword | None,
    config: Config,
    catalog: Catalog,
    now: datetime,
) -> list[str]:
    text = Text(
        session, config, catalog, now, message, facilitator, _language(facilitator, catalog)
    )
    if keyword is not None and keyword.kind == "opt_out":
        return _opted_out(text, keyword)
    if keyword is not None and keyword.by_carrier:
        return []  # Twilio answered HELP / START itself
    tokens = words(message.body)
    found = COMMANDS.get(tokens[0]) if tokens else None
    if found is None:
        return [text.say("help")]
    name, language = found
    if language in (facilitator.languages or ()) and catalog.has(language):
        text.language = language
    log.info("facilitator command sid=%s command=%s", message.message_sid, name)
    if name == "list":
        return [_list(text)]
    code = tokens[1] if len(tokens) == 2 and _CODE.match(tokens[1]) else None
    if code is None:
        return [text.say("which_code")]
    return [HANDLERS[name](text, code)]


def _language(facilitator: Facilitator, catalog: Catalog) -> str:
    return callback_alerts.language_of(facilitator, catalog)


def _opted_out(text: Text, keyword: Keyword) -> list[str]:
    """Off call, coordinators told (SPEC §10). Twilio answers its own STOP; the line confirms
    only the words Twilio does not catch."""
    person = text.facilitator
    source = ConsentSource.CARRIER if keyword.by_carrier else ConsentSource.SMS
    members.revoke_all(text.session, person.phone, source, text.config.secret_key)
    was_on_call, person.on_call = person.on_call, False
    staff.note(
        text.session,
        StaffNoticeKind.FACILITATOR_OPTED_OUT,
        f"facilitator:{person.id}:stop:{text.message.message_sid}",
        text="staff.facilitator_opted_out",
        params={"facilitator": person.name, "was_on_call": was_on_call},
        urgent=False,
        now=text.now,
        facilitator_id=person.id,
    )
    if keyword.by_carrier:
        return []
    return [text.catalog.render(text.language, "optout.stop", line_name=text.config.line_name)]


def _list(text: Text) -> str:
    reach = callbacks.open_requests(text.session, text.now, text.facilitator)
    waiting = [_item(text, r) for r in reach]
    mine = [r.code for r in callbacks.held_by(text.session, text.facilitator)]
    none = text.say("none")
    for shown in range(len(waiting), -1, -1):
        more = len(waiting) - shown
        body = text.say(
            "list_more" if more else "list",
            open=", ".join(waiting[:shown]) or none,
            more=more,
            mine=", ".join(mine) or none,
        )
        if segments.fits(body, text.language):
            return body
    return body


def _item(text: Text, request: CallbackRequest) -> str:
    key = "item_urgent" if request.urgent else "item"
    return text.say(key, code=request.code, member_language=request.language.upper())


def _claim(text: Text, code: str) -> str:
    request = callbacks.open_by_code(text.session, code)
    if request is None or not callbacks.may_take(text.session, request, text.facilitator):
        return text.say("no_such_code", code=code)
    if callbacks.holds(request, text.facilitator):
        return text.say("already_yours", code=code)
    if not callbacks.claim(text.session, request, text.facilitator, text.now, text.config):
        return text.say("taken_already", code=code)
    callback_alerts.tell_taken(text.session, text.catalog, request, text.now)
    return text.say("claimed", code=code)


def _held(text: Text, code: str) -> CallbackRequest | str:
    """The request if this facilitator holds it, else the reply that says why not."""
    request = callbacks.open_by_code(text.session, code)
    if request is None:
        return text.say("no_such_code", code=code)
    if callbacks.holds(request, text.facilitator):
        return request
    if request.status is CallbackStatus.OPEN:
        return text.say("claim_first", code=code)
    return text.say("taken_already", code=code)


def _call(text: Text, code: str) -> str:
    request = _held(text, code)
    if isinstance(request, str):
        return request
    night = _members_night(text, request)
    if night is not None:
        return text.say("member_night", code=code, time=night)
    if not _may_call(text, request):
        return text.say("call_limit", code=code, count=limits.KEYED_CALLS.count)
    outbox.enqueue(
        text.session,
        Outgoing(
            kind=OutboxKind.CALL,
            purpose=OutboxPurpose.CALLBACK,
            recipient=text.facilitator.phone,
            template="voice.callback_call.announce",
            language=text.language,
            due_at=text.now,
            facilitator_id=text.facilitator.id,
            callback_id=request.id,
            dedupe_key=f"cb:{request.id}:call:{text.message.message_sid}",
        ),
    )
    return text.say("calling", code=code)


# SPEC §9: only "a callback the member asked for just now" and urgent requests ring through
# quiet hours; an ordinary request from hours ago waits for the member's morning.
JUST_NOW = timedelta(minutes=10)


def _members_night(text: Text, request: CallbackRequest) -> str | None:
    """The member's local time their quiet hours end, if they are inside them now."""
    if request.urgent or text.now - request.created_at <= JUST_NOW:
        return None
    member = request.member
    zone = quiet_hours.recipient_zone(member.phone, member.zip, text.config.line_timezone)
    if not quiet_hours.is_quiet(text.now, zone, text.config.quiet_hours):
        return None
    ends = quiet_hours.next_allowed(text.now, zone, text.config.quiet_hours).astimezone(zone)
    return meetings.describe_time(text.catalog, text.language, ends.time())


def _may_call(text: Text, request: CallbackRequest) -> bool:
    """A number a caller keyed in, not their own caller ID, may be anyone's: the line calls it at
    most ``limits.KEYED_CALLS`` times a day, or an anonymous caller could send facilitators to
    ring a stranger again and again (security review L12)."""
    if request.source != callbacks.KEYED or request.urgent:
        return True
    store = phoneline().redis
    return limits.take(store, limits.KEYED_CALLS, request.member.phone, text.config.secret_key)


def _done(text: Text, code: str) -> str:
    request = _held(text, code)
    if isinstance(request, str):
        return request
    refused = callbacks.closing_refused(request)
    if refused is not None:
        return text.say(refused, code=code)
    reached = request.connected_at is not None
    if callbacks.finish(text.session, request, text.config, text.now):
        details = {"urgent": request.urgent, "reached": reached}
        actor = f"facilitator:{text.facilitator.id}"
        audit.record(
            text.session, actor, "callback.done", f"callback:{request.id}", details, text.now
        )
    return text.say("done", code=code)


def _release(text: Text, code: str) -> str:
    request = _held(text, code)
    if isinstance(request, str):
        return request
    callbacks.release(text.session, request, text.config, text.catalog, text.now)
    return text.say("released", code=code)


HANDLERS: dict[str, Callable[[Text, str], str]] = {
    "claim": _claim,
    "call": _call,
    "done": _done,
    "release": _release,
}
