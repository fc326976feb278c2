"""What runs before any command (SPEC §6, §8): the crisis net, opt-out/opt-in keywords and the
flood guard. Crisis replies are never held by the flood guard or quiet hours; their own ceiling
(``CRISIS_REPLY_WINDOW``) always lets a number's first one through."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from app import crisis
from app.models import CallbackRequest
from app.services import audit, callbacks, conversations, inbound, optouts
from sms.keywords import Keyword
from sms.turn import Turn

log = logging.getLogger(__name__)

URGENT_JOIN_WINDOW = timedelta(hours=24)
FLOOD_WINDOW = timedelta(minutes=5)
FLOOD_LIMIT = 20  # more than this many texts in the window is a flood
# The first crisis reply to a number always goes, and one more right after it (a second text
# may say more: "I took pills"); then at most one per window. Every text still counts on the
# urgent request. An auto-responder that echoes crisis words cannot loop with us, and the line
# cannot be made to pump replies to a number (security review M5).
CRISIS_REPLY_WINDOW = timedelta(minutes=10)


def crisis_reply(turn: Turn, found: crisis.CrisisMatch, keyword: Keyword | None) -> list[str]:
    """The crisis reply in this same turn (within the ceiling), one urgent request per 24 hours
    that counts every crisis text, and an opt-out in the same text folded into the one reply."""
    request = _urgent_request(turn)
    if keyword is not None:
        _record(turn, keyword)
    # Twilio refuses every SMS to a blocked number; its request says "texts blocked, call only".
    blocked = optouts.texts_blocked(turn.member)
    answered = not blocked and _within_crisis_ceiling(turn)
    _note_match(turn, found, request, answered)
    opting_out = keyword is not None and keyword.kind == "opt_out"
    if blocked:
        return []
    if not answered:
        # A stop confirmation is never held (SPEC §6), even when the crisis reply is.
        return [turn.say("optout.stop")] if opting_out else []
    reply = turn.say("sms.crisis")
    if opting_out:
        # The short confirmation: the crisis reply and the stop must fit one reply's budget.
        reply = turn.say(
            "sms.crisis_and_optout", crisis=reply, confirmation=turn.say("optout.stop_short")
        )
    return [reply]


def _note_match(
    turn: Turn, found: crisis.CrisisMatch, request: CallbackRequest, answered: bool
) -> None:
    audit.crisis_match(
        turn.session, "sms", found, request_id=request.id, answered=answered, now=turn.now
    )
    log.warning(
        "crisis match sid=%s rule=%s list_version=%s request=%s answered=%s",
        turn.message.message_sid,
        found.rule,
        found.version,
        request.id,
        answered,
    )


def _within_crisis_ceiling(turn: Turn) -> bool:
    """A bucket of two replies that refills one per window, kept as the one moment it will be
    full again: a reply may go while that moment is at most one window away."""
    stored = conversations.get(turn.conversation, "crisis_full_at")
    full_at = max(turn.now, datetime.fromisoformat(stored)) if stored else turn.now
    if full_at - turn.now > CRISIS_REPLY_WINDOW:
        return False
    later = full_at + CRISIS_REPLY_WINDOW
    conversations.put(turn.conversation, crisis_full_at=conversations.stamp(later))
    return True


def _urgent_request(turn: Turn) -> CallbackRequest:
    since = turn.now - URGENT_JOIN_WINDOW
    earlier = callbacks.recent_urgent(turn.session, turn.member.id, since, lock=True)
    if earlier is not None:
        callbacks.join_crisis_text(turn.session, earlier, turn.catalog, turn.now)
        return earlier
    request = callbacks.NewRequest(
        turn.member, turn.language, "crisis", urgent=True, crisis_texts=1
    )
    return callbacks.file_request(turn.session, request, turn.config, turn.catalog, turn.now)


def keyword_reply(turn: Turn, keyword: Keyword) -> list[str] | None:
    """Carrier keywords: recorded, answered by Twilio (empty reply). The line's own: one
    confirmation. None when the text is not really an opt-in (a "yes." from someone who never
    stopped) and should be read as a command."""
    if keyword.kind == "opt_in" and not optouts.opted_out(turn.session, turn.member, turn.secret):
        # Nothing to undo, so nothing to grant: a "yes" is not consent to reminders. When
        # Twilio said it handled the word (OptOutType), it has answered; else read it as text.
        return [] if turn.message.opt_out_type else None
    _record(turn, keyword)
    log.info(
        "sms keyword sid=%s kind=%s carrier=%s",
        turn.message.message_sid,
        keyword.kind,
        keyword.by_carrier,
    )
    if keyword.by_carrier or optouts.texts_blocked(turn.member):
        return []
    key = {"opt_out": "optout.stop", "opt_in": "optout.start", "help": "optout.help"}
    return [turn.say(key[keyword.kind], per_meeting=optouts.texts_per_meeting(turn.config))]


def _record(turn: Turn, keyword: Keyword) -> None:
    if keyword.kind == "opt_out":
        optouts.opt_out(turn.session, turn.member, keyword.by_carrier, turn.secret)
    elif keyword.kind == "opt_in":
        optouts.opt_in(turn.session, turn.member, keyword.by_carrier, turn.secret)


def flood_reply(turn: Turn) -> list[str] | None:
    """None while the number texts at a human pace. In a flood: one notice, then silence until
    it slows down."""
    since = turn.now - FLOOD_WINDOW
    if inbound.count_since(turn.session, turn.message.sender, turn.secret, since) <= FLOOD_LIMIT:
        conversations.put(turn.conversation, flood_notice_at=None)
        return None
    if conversations.get(turn.conversation, "flood_notice_at") is not None:
        return []
    log.warning("sms flood guard engaged sid=%s", turn.message.message_sid)
    conversations.put(turn.conversation, flood_notice_at=conversations.stamp(turn.now))
    return [turn.say("sms.flood")]
