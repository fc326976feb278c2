"""The member commands of SPEC §8, one function each, looked up by the grammar's names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from app import segments
from app.models import (
    OPEN_CALLBACK_STATES,
    CallbackRequest,
    ConsentPurpose,
    ConsentSource,
    ReminderChannel,
    Rsvp,
)
from app.services import callbacks, conversations, erasure, members, reminders, rsvps
from app.services.reminders import ReminderTimes
from sms import listing
from sms import reminders as reminder_replies
from sms.grammar import Command
from sms.turn import Turn


def run(turn: Turn, command: Command) -> list[str]:
    return HANDLERS[command.name](turn, command)


def number(turn: Turn, command: Command) -> list[str]:
    """A bare number: the latest reminder's answer once a reminder has replaced the list,
    else that result's details."""
    n = int(command.argument or 0)
    reminder = reminder_replies.answerable(turn)
    if reminder is not None and n in (1, 2) and not listing.in_view(turn):
        return reminder_replies.answer(turn, reminder, n)
    if listing.in_view(turn):
        return listing.details_reply(turn, n)
    return [turn.say("sms.search.no_list")]


def rsvp(turn: Turn, command: Command) -> list[str]:
    arg = command.argument
    group = listing.group_in_view(turn, arg if isinstance(arg, int) else None)
    if group is None:
        return [turn.say("sms.rsvp.no_group")]
    meeting = listing.next_open_meeting(turn, group)
    if meeting is None:
        return [turn.say("sms.rsvp.no_meeting")]
    member = turn.member
    member.reminder_channel = member.reminder_channel or ReminderChannel.SMS
    outcome = rsvps.create(turn.session, member, meeting.id, "sms", turn.now)
    reminders.plan(turn.session, outcome.rsvp, ReminderTimes.of(turn.config), turn.now)
    params = {"name": group.name, "when": turn.when(meeting), "n": _drop_number(turn, outcome.rsvp)}
    if outcome.waitlist_position is not None:
        reply = turn.say("sms.rsvp.waitlisted", position=outcome.waitlist_position, **params)
    else:
        place = group.location_name or reminders.remote_place(group, turn.catalog, turn.language)
        reply = turn.say("sms.rsvp.confirmed", place=place, reminders=_plan(turn), **params)
    return [reply, *_rsvp_consent(turn)]


def _drop_number(turn: Turn, row: Rsvp) -> int:
    """The number DROP takes for this RSVP, printed on its confirmation so the member learns the
    meeting word first ("cancel" stops every text). The numbering is MY's from now on."""
    upcoming = [r.id for r in rsvps.upcoming_for(turn.session, turn.member.id, turn.now)]
    conversations.put(turn.conversation, my=upcoming, my_at=conversations.stamp(turn.now))
    return upcoming.index(row.id) + 1 if row.id in upcoming else 1


def _rsvp_consent(turn: Turn) -> list[str]:
    """An RSVP by text records reminders_sms and notices; the first time, the consent wording
    follows as a second message (it would not fit the confirmation's budget)."""
    phone, first = turn.member.phone, False
    for purpose in (ConsentPurpose.REMINDERS_SMS, ConsentPurpose.NOTICES):
        if not members.has_consent(turn.session, phone, purpose, turn.secret):
            first = first or not members.consent_ever_recorded(
                turn.session, phone, purpose, turn.secret
            )
            members.record_consent(
                turn.session, phone, purpose, True, ConsentSource.SMS, turn.secret
            )
    return [turn.say("sms.rsvp.consent")] if first else []


def _plan(turn: Turn) -> str:
    channel = turn.member.reminder_channel or ReminderChannel.SMS
    if channel is ReminderChannel.NONE:
        return turn.say("sms.reminders.none")
    return turn.say(f"sms.reminders.{channel.value}", offsets=turn.offsets())


def my(turn: Turn, command: Command) -> list[str]:
    upcoming = rsvps.upcoming_for(turn.session, turn.member.id, turn.now)
    conversations.put(
        turn.conversation, my=[r.id for r in upcoming], my_at=conversations.stamp(turn.now)
    )
    if not upcoming:
        return [turn.say("sms.my.none")]
    items = [_my_line(turn, n, r) for n, r in enumerate(upcoming, start=1)]
    footer = turn.say("sms.my.footer", reminders=_plan(turn))
    return [_fitted(turn, items, footer)]


def _fitted(turn: Turn, items: list[str], footer: str) -> str:
    """As many items as fit the reply budget with the footer, then "and N more"."""

    def text_of(shown: int) -> str:
        rest = len(items) - shown
        more = [turn.say("sms.my.more", count=rest)] if rest else []
        return "\n".join([*items[:shown], *more, footer])

    shown = segments.most_that_fit(len(items), text_of, turn.language)
    return text_of(shown) if shown is not None else "\n".join([items[0], footer])


def _my_line(turn: Turn, n: int, row: Rsvp) -> str:
    params = {"n": n, "name": row.meeting.group.name, "when": turn.when(row.meeting)}
    position = rsvps.waitlist_position(turn.session, row)
    if position is None:
        return turn.say("sms.my.item", **params)
    return turn.say("sms.my.waitlist_item", position=position, **params)


def drop(turn: Turn, command: Command) -> list[str]:
    upcoming = rsvps.upcoming_for(turn.session, turn.member.id, turn.now)
    if not upcoming:
        return [turn.say("sms.drop.none")]
    if not isinstance(command.argument, int):
        return [turn.say("sms.drop.which")]
    ids = _my_numbering(turn) or [r.id for r in upcoming]
    live = {r.id: r for r in upcoming}
    n = command.argument
    if not 1 <= n <= len(ids) or ids[n - 1] not in live:
        return [turn.say("sms.drop.no_such_number", n=n)]
    row = live[ids[n - 1]]
    rsvps.cancel(turn.session, row.id, turn.now)
    return [turn.say("sms.drop.done", name=row.meeting.group.name, when=turn.when(row.meeting))]


def _my_numbering(turn: Turn) -> list[int] | None:
    """The numbers MY (or an RSVP confirmation) showed in the last 30 minutes; after that DROP
    counts the upcoming meetings afresh, as reminders print them."""
    row = turn.conversation
    if not conversations.within(row, "my_at", turn.now, conversations.LIST_IN_VIEW):
        return None
    return list(conversations.get(row, "my") or []) or None


def call(turn: Turn, command: Command) -> list[str]:
    if _open_request(turn) is not None:
        return [turn.say("sms.call.already")]
    new = callbacks.NewRequest(turn.member, turn.language, "sms")
    request = callbacks.file_request(turn.session, new, turn.config, turn.catalog, turn.now)
    conversations.put(turn.conversation, note_for=request.id, note_at=conversations.stamp(turn.now))
    return [turn.say("sms.call.confirmed")]


def _open_request(turn: Turn) -> CallbackRequest | None:
    return turn.session.scalar(
        select(CallbackRequest)
        .where(
            CallbackRequest.member_id == turn.member.id,
            CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
            CallbackRequest.expires_at > turn.now,
        )
        .limit(1)
    )


def note(turn: Turn) -> list[str] | None:
    """The text after CALL (within 10 minutes, not a command) is kept as the request's note."""
    row = turn.conversation
    if not conversations.within(row, "note_at", turn.now, conversations.NOTE_WINDOW):
        return None
    request = turn.session.get(CallbackRequest, conversations.get(row, "note_for"))
    conversations.put(row, note_for=None, note_at=None)
    if request is None or request.status not in OPEN_CALLBACK_STATES:
        return None
    request.note = turn.message.body.strip()[:1000]
    return [turn.say("sms.call.note_saved")]


def remind(turn: Turn, command: Command) -> list[str]:
    channel = ReminderChannel(str(command.argument))
    turn.member.reminder_channel = channel
    grants = {
        ReminderChannel.SMS: {ConsentPurpose.REMINDERS_SMS: True},
        ReminderChannel.CALL: {ConsentPurpose.REMINDERS_CALL: True},
        ReminderChannel.NONE: {
            ConsentPurpose.REMINDERS_SMS: False,
            ConsentPurpose.REMINDERS_CALL: False,
        },
    }[channel]
    for purpose, granted in grants.items():
        members.record_consent(
            turn.session, turn.member.phone, purpose, granted, ConsentSource.SMS, turn.secret
        )
    return [turn.say(f"sms.remind.{channel.value}")]


def join(turn: Turn, command: Command) -> list[str]:
    phone, purpose = turn.member.phone, ConsentPurpose.BROADCASTS
    if members.has_consent(turn.session, phone, purpose, turn.secret):
        return [turn.say("sms.join.already")]
    members.record_consent(turn.session, phone, purpose, True, ConsentSource.SMS, turn.secret)
    return [turn.say("sms.join.done")]


def language(turn: Turn, command: Command) -> list[str]:
    chosen = str(command.argument)
    if not turn.catalog.has(chosen):
        return [turn.say("sms.unknown")]
    members.set_language(turn.member, chosen)
    conversations.put(turn.conversation, language=chosen)
    turn.language = chosen
    return [turn.say("sms.language_set")]


def menu(turn: Turn, command: Command) -> list[str]:
    return [turn.say("sms.menu")]


def privacy(turn: Turn, command: Command) -> list[str]:
    return [turn.say("sms.privacy")]


def delete(turn: Turn, command: Command) -> list[str]:
    """DELETE, then DELETE again within 10 minutes: everything but the consent ledger goes."""
    row = turn.conversation
    if not conversations.within(row, "delete_at", turn.now, conversations.DELETE_WINDOW):
        conversations.put(row, delete_at=conversations.stamp(turn.now))
        return [turn.say("sms.delete.confirm")]
    reply = turn.say("sms.delete.done")
    erasure.forget_member(turn.session, turn.member, turn.secret, turn.message.message_sid)
    turn.erased = True
    return [reply]


# "thanks", "ok": answered at most this often, so an auto-responder thanking us back cannot
# start a loop; in between, nothing.
ACK_EVERY = timedelta(minutes=10)


def ack(turn: Turn, command: Command) -> list[str]:
    row = turn.conversation
    if conversations.within(row, "ack_at", turn.now, ACK_EVERY):
        return []
    conversations.put(row, ack_at=conversations.stamp(turn.now))
    return [turn.say(f"sms.ack.{command.argument}")]


def ask_zip(turn: Turn, command: Command) -> list[str]:
    """ "groups near me": the line needs the ZIP to know where "near" is."""
    return [turn.say("sms.search.no_list")]


def search(turn: Turn, command: Command) -> list[str]:
    return listing.search_reply(turn, str(command.argument))


def more(turn: Turn, command: Command) -> list[str]:
    return listing.more_reply(turn)


HANDLERS: dict[str, Callable[[Turn, Command], list[str]]] = {
    "search": search,
    "more": more,
    "number": number,
    "rsvp": rsvp,
    "my": my,
    "drop": drop,
    "call": call,
    "remind": remind,
    "join": join,
    "language": language,
    "menu": menu,
    "privacy": privacy,
    "delete": delete,
    "ack": ack,
    "ask_zip": ask_zip,
}
