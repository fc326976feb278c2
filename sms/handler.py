"""The SPEC §8 order of handling, after the signature and ``MessageSid`` checks in the view:
facilitator → crisis matcher → opt-out/opt-in → flood guard → commands."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import crisis
from app.config import Config
from app.models import Facilitator, Member, SmsStatus
from app.prompts import Catalog
from app.services import conversations, members, optouts
from sms import commands, facilitators, grammar, keywords, safety
from sms.turn import Inbound, Turn

log = logging.getLogger(__name__)

MISUNDERSTOOD_LIMIT = 3  # "didn't understand" never more than three times in a row
# After that, the 988/911 line alone, at most this often: a member who keeps writing words we
# cannot read is never met with silence, and an auto-responder cannot keep a loop going with us.
CRISIS_LINE_EVERY = timedelta(minutes=10)
# A new conversation that opens with "thanks" or "groups near me" gets the welcome: it says
# what the line is, how to search, and the crisis footer.
WELCOME_INSTEAD = frozenset({"ack", "ask_zip"})


def handle(
    session: Session, message: Inbound, config: Config, catalog: Catalog, now: datetime
) -> list[str]:
    """The replies to one new text, in order (empty: answer nothing)."""
    keyword = keywords.classify(message.body, message.opt_out_type)
    facilitator = _facilitator(session, message.sender)
    if facilitator is not None:
        return facilitators.reply(session, facilitator, message, keyword, config, catalog, now)
    turn = _begin(session, message, config, catalog, now)
    replies = _member_reply(turn, keyword)
    if optouts.texts_blocked(turn.member):
        return []  # Twilio refuses SMS to a number that texted STOP
    return replies


def _member_reply(turn: Turn, keyword: keywords.Keyword | None) -> list[str]:
    found = crisis.match(turn.message.body, turn.language)
    if found is not None:
        return safety.crisis_reply(turn, found, keyword)
    if keyword is not None:
        answered = safety.keyword_reply(turn, keyword)
        if answered is not None:
            return answered
    flooded = safety.flood_reply(turn)
    if flooded is not None:
        return flooded
    if turn.message.media and not turn.message.body.strip():
        return [turn.say("sms.picture")]
    return _command_reply(turn)


def _command_reply(turn: Turn) -> list[str]:
    command = grammar.parse(turn.message.body)
    if command is None:
        noted = commands.note(turn)  # the text after CALL is its note, whatever it says
        if noted is not None:
            return noted
        command = grammar.understand(turn.message.body)
    if command is None or (turn.new and command.name in WELCOME_INSTEAD):
        return _not_understood(turn)
    if command.name != "ack":  # "thanks" neither counts as not understood nor resets it
        conversations.put(turn.conversation, misunderstood=None)
    log.info("sms command sid=%s command=%s", turn.message.message_sid, command.name)
    replies = commands.run(turn, command)
    if turn.new and not turn.erased and not turn.footer_given:
        replies.append(turn.say("sms.first_footer"))
    return replies


def _not_understood(turn: Turn) -> list[str]:
    """Every text we cannot read is answered with the 988/911 line: in the welcome's crisis
    footer, with "didn't understand", or alone once that has been said three times running."""
    if turn.new:
        return [turn.say("sms.welcome")]
    count = conversations.get(turn.conversation, "misunderstood") or 0
    conversations.put(turn.conversation, misunderstood=count + 1)
    if count < MISUNDERSTOOD_LIMIT:
        return [turn.say("sms.unknown")]
    if conversations.within(turn.conversation, "crisis_line_at", turn.now, CRISIS_LINE_EVERY):
        return []
    conversations.put(turn.conversation, crisis_line_at=conversations.stamp(turn.now))
    return [turn.say("sms.crisis_line")]


def _begin(
    session: Session, message: Inbound, config: Config, catalog: Catalog, now: datetime
) -> Turn:
    member = members.find_or_create(session, message.sender)
    members.touch(member, now)
    if member.sms_status is SmsStatus.PAUSED:  # SPEC §9: the next text un-pauses SMS
        member.sms_status, member.sms_failure_streak = SmsStatus.OK, 0
    row, new = conversations.begin(session, message.sender, now)
    language = _language(member, conversations.get(row, "language"), message, catalog)
    if member.language is None and language != "en":
        members.set_language(member, language)
    return Turn(session, config, catalog, now, message, member, row, new, language)


def _language(member: Member, remembered: str | None, message: Inbound, catalog: Catalog) -> str:
    """Known language first; else a Spanish word in this text ("hola", "busco un grupo", a
    command or keyword); else English."""
    for choice in (member.language, remembered, _hint(message)):
        if choice and catalog.has(choice):
            return choice
    return "en"


def _hint(message: Inbound) -> str | None:
    command = grammar.parse(message.body) or grammar.understand(message.body)
    if command is not None and command.language:
        return command.language
    keyword = keywords.classify(message.body, message.opt_out_type)
    if keyword is not None and keyword.language:
        return keyword.language
    found = crisis.match(message.body)
    if found is not None:
        return found.language
    return "es" if grammar.spanish(message.body) else None


def _facilitator(session: Session, phone: str) -> Facilitator | None:
    return session.scalar(
        select(Facilitator).where(Facilitator.phone == phone, Facilitator.active.is_(True)).limit(1)
    )
