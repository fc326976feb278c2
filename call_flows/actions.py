"""The actions a flow's ``Action`` nodes name: the only part of voice that calls the domain.

Each takes the request's context, the call's state and the node's ``arg``, and returns the route
the flow follows plus what the caller hears. Texts go through the outbox, never to Twilio.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app import segments
from app.models import (
    CallbackRequest,
    ConsentPurpose,
    ConsentSource,
    GroupFormat,
    Meeting,
    Member,
    OutboxKind,
    OutboxPurpose,
)
from app.services import callbacks, limits, members, outbox, reminders
from call_flows import directory, speaking
from call_flows.context import STIR_VERIFIED, CallContext, is_verified, personal_member
from call_flows.engine import CallState, Utterance

CRISIS_JOIN_WINDOW = timedelta(hours=24)
CODES_PER_CALL = 2
# A code or meetings call waits this long: the caller is on the line, and a landline rings busy
# until they hang up, which the prompt asks them to do first.
CALL_BACK_AFTER = timedelta(minutes=1)
CHOSEN_REMINDERS = "reminders_chosen"  # the reminder channel chosen during this call
# Typed as a number to be called back on: the caller may be in danger (review item 12).
CRISIS_NUMBERS = ("911", "988")
NUMBER_TRIES = 3  # keyed-in numbers refused before the caller is offered other ways


@dataclass
class Outcome:
    route: str
    said: list[Utterance] = field(default_factory=list)


ActionFn = Callable[[CallContext, CallState, str | None], Outcome]
ACTIONS: dict[str, ActionFn] = {}


def action(fn: ActionFn) -> ActionFn:
    ACTIONS[fn.__name__] = fn
    return fn


def run(name: str, ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    return ACTIONS[name](ctx, state, arg)


# --- the start of a call and its language -------------------------------------------------


@action
def start(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """Only a verified member skips the language menu: for anyone else, a call that began
    differently would tell them the number is a member's (security review H2)."""
    state.vars["verified"] = ctx.stir == STIR_VERIFIED and ctx.caller is not None
    ctx.member(state)  # a call is activity, verified or not (RETENTION_INACTIVE_MEMBER)
    member = personal_member(ctx, state)
    if member is not None and member.language and ctx.catalog.has(member.language):
        state.language = member.language
        return Outcome("known", [Utterance("voice.notice")])
    # The other languages' notices are said inside the language menu (call_flows/definitions).
    notices = [Utterance("voice.notice", language=ctx.catalog.languages[0])]
    if ctx.caller_refused:
        # Never a silent difference: the menus will not offer texts or a call back to this
        # number, and the caller hears why (the call itself goes on: 911, 988, groups, a call
        # back at a number they key in).
        notices += [Utterance("voice.not_served", language=c) for c in ctx.catalog.languages]
    return Outcome("unknown", notices)


@action
def set_language(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    state.language = arg or "en"
    member = ctx.member(state)
    if member is not None:
        members.set_language(member, state.language)
    return Outcome("ok")


# --- crisis ----------------------------------------------------------------------------------


@action
def open_crisis_request(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """One urgent request per member: a match within 24 hours of an open one joins it."""
    number = ctx.number(state)
    if number is None:
        return Outcome("no_number")
    member = members.find_or_create(ctx.session, number, state.language)
    since = ctx.now - CRISIS_JOIN_WINDOW
    if callbacks.recent_urgent(ctx.session, member.id, since) is None:
        request = callbacks.NewRequest(member, state.language, "crisis", urgent=True)
        callbacks.file_request(ctx.session, request, ctx.config, ctx.catalog, ctx.now)
    return Outcome("opened")


@action
def text_crisis_numbers(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    _text(ctx, state, OutboxPurpose.CRISIS, "crisis.text", {})
    return Outcome("ok")


# --- find a group ----------------------------------------------------------------------------


@action
def check_zip(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    entered = state.vars.pop("entered", "")
    if len(entered) != 5:
        return Outcome("short")
    state.vars["zip"] = entered
    return Outcome("ok", [Utterance("voice.find.readback", {"digits": speaking.digits(entered)})])


@action
def search(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    found = directory.search(ctx.session, state.vars["zip"], state.language, ctx.now)
    if not found.zip_known:
        return Outcome("unknown")
    _keep_results(state, "found", found.results)
    _keep_topics(ctx, state, found.results)
    state.vars["phone_count"] = sum(1 for r in found.results if r.distance_miles is None)
    if not found.in_person_found:
        return Outcome("none_nearby")
    # The count is said with each result ("Group 1 of 6"); narrowing is offered by star.
    return Outcome("many" if len(found.results) > 3 else "some")


@action
def phone_groups_only(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    found = directory.load(ctx.session, state.vars.get("found", []))
    _keep_results(state, "found", [r for r in found if r.distance_miles is None])
    return Outcome("ok")


@action
def filter_topic(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    topic = state.vars.get("topic") if arg == "said" else state.vars.get(f"topic_name_{arg}")
    found = directory.load(ctx.session, state.vars.get("found", []))
    chosen = directory.with_topic(found, str(topic or ""))
    return _narrowed(state, chosen)


@action
def filter_day(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    found = directory.load(ctx.session, state.vars.get("found", []))
    zone = directory.caller_zone(state.vars.get("zip"), ctx.config.line_timezone)
    return _narrowed(state, directory.on_day(found, arg or "today", ctx.now, zone))


def _narrowed(state: CallState, chosen: list[directory.Result]) -> Outcome:
    if not chosen:
        return Outcome("none")
    state.vars["shown"] = directory.ids(chosen)
    return Outcome("ok")


@action
def first_result(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    if arg == "all" or "shown" not in state.vars:
        state.vars["shown"] = state.vars.get("found", [])
    state.vars.update(list="shown", index=0)
    return Outcome("ok")


@action
def move_result(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    return _move(state, arg)


@action
def read_result(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    (result,) = directory.load(ctx.session, [_current(state)])
    return Outcome("ok", _describe(ctx, state, result))


def _describe(ctx: CallContext, state: CallState, result: directory.Result) -> list[Utterance]:
    group, meeting = result.group, result.meeting
    zone = ZoneInfo(group.timezone)
    said = [*_introduce(ctx, state, group), *_group_language(ctx, state, group)]
    if result.distance_miles is None:
        said.append(Utterance("voice.result.by_phone"))
    else:
        said.append(_place(group, result.distance_miles))
    if meeting is not None:
        when = speaking.when(meeting.starts_at, zone, ctx.catalog, state.language)
        said.append(Utterance("voice.result.next", {"when": when}))
    return said


def _introduce(ctx: CallContext, state: CallState, group: directory.Group) -> list[Utterance]:
    """ "Group 1 of 6: Hope Circle, for anxiety and depression. It is open to everyone." The
    general topic is its own sentence: "for depression and everyone" says something else
    (review item 17)."""
    topics = [ctx.say(state, f"voice.topics.{t}") for t in group.topics if t != "general"]
    params = {
        "number": int(state.vars.get("index", 0)) + 1,
        "count": len(state.vars.get("shown", [])),
        "name": group.name,
        "topics": speaking.listing(topics, ctx.catalog, state.language, "voice.result.joiner"),
    }
    said = [Utterance("voice.result.intro" if topics else "voice.result.intro_plain", params)]
    if "general" in group.topics:
        said.append(Utterance("voice.result.open_to_all"))
    return said


def _group_language(ctx: CallContext, state: CallState, group: directory.Group) -> list[Utterance]:
    """A group that does not meet in the caller's language says which it meets in, before the
    caller can sign up for it (review S1-4). Search puts such groups after the others."""
    if state.language in group.languages or not group.languages:
        return []
    known = [code for code in group.languages if code in ctx.catalog.languages]
    names = [ctx.say(state, f"voice.language_names.{code}") for code in known]
    if not names:
        return []
    spoken = speaking.listing(names, ctx.catalog, state.language)
    return [Utterance("voice.result.language", {"language": spoken})]


def _place(group: directory.Group, distance: float) -> Utterance:
    # The street, not the city and state: the caller gave the ZIP and hears the distance, and
    # the text with the details carries the whole address.
    street = (group.address or "").split(",")[0]
    params = {"place": group.location_name or "", "address": speaking.address(street)}
    if distance < 1:
        return Utterance("voice.result.place_near", params)
    return Utterance("voice.result.place", {**params, "miles": f"{distance:.0f}"})


@action
def text_details(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """The group in view, texted to the caller's number. A caller the line has not verified may
    be anyone presenting that number, so their text names the group by its neutral alias, never
    by a name that can say what the group is about (review M6); and no number gets more than
    ``limits.DETAILS`` of them an hour, whoever asks (review L12)."""
    (result,) = directory.load(ctx.session, [_current(state)])
    group, meeting = result.group, result.meeting
    number, tag = ctx.number(state), f"g{group.id}"
    if number is None:
        return Outcome("ok")
    again = outbox.by_dedupe_key(ctx.session, _dedupe_key(ctx, "voice.text.details", tag))
    if again is None and not limits.take(ctx.redis, limits.DETAILS, number, _secret(ctx)):
        return Outcome("ok", [Utterance("voice.find.details_limit")])
    # Written as every text writes a date ("Tue Dec 8, 6:30 PM"; "mar 8 dic, 6:30 p. m."),
    # not as the voice says it: the spoken Spanish "sábado" would make the text UCS-2.
    when = ctx.say(state, "sms.no_date")
    if meeting is not None:
        zone = ZoneInfo(group.timezone)
        when = reminders.text_when(ctx.catalog, state.language, meeting.starts_at, zone)
    verified = bool(state.vars.get("verified"))
    name = group.name if verified else group.alias
    notes = f"{group.notes.rstrip('.')}. " if group.notes else ""  # its own sentence
    params = {"name": name, "when": when, "where": _where_text(ctx, state, group, verified)}
    _text(ctx, state, OutboxPurpose.REPLY, "voice.text.details", {**params, "notes": notes}, tag)
    if verified:
        return Outcome("ok", [Utterance("voice.find.details_sent")])
    return Outcome("ok", [Utterance("voice.find.details_sent_alias", {"alias": group.alias})])


def _where_text(ctx: CallContext, state: CallState, group: directory.Group, verified: bool) -> str:
    """The place's name and address (review item 15). For a caller not verified, a place name
    that would give the group's topic away is left out, as in reminders (review M6)."""
    if not group.address:
        return _dial_in_text(ctx, state, group)
    place = group.location_name
    if place and not verified:
        place = reminders.place(group, ctx.catalog, state.language)
        place = place if place == group.location_name else None
    return ", ".join(part for part in (place, group.address) if part)


def _dial_in_text(ctx: CallContext, state: CallState, group: directory.Group) -> str:
    if not group.dial_in_number:
        return ctx.say(state, "voice.text.by_phone")
    number = speaking.national(group.dial_in_number)
    return ctx.say(state, "voice.text.dial_in", number=number, code=group.dial_in_code or "")


# --- RSVP ------------------------------------------------------------------------------------


@action
def prepare_rsvp(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    (result,) = directory.load(ctx.session, [_current(state)])
    meeting = directory.next_meeting(ctx.session, result.group, ctx.now)
    if meeting is None:
        return Outcome("none")
    state.vars["meeting_id"] = meeting.id
    return Outcome("ok")


@action
def make_rsvp(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import rsvps

    number = ctx.number(state)
    assert number is not None, "RSVP is offered only to callers with a number"
    member = members.find_or_create(ctx.session, number, state.language)
    try:
        made = rsvps.create(ctx.session, member, int(state.vars["meeting_id"]), "voice", ctx.now)
    except rsvps.RsvpRefused:
        return Outcome("refused")
    _consent(ctx, number, ConsentPurpose.NOTICES, True)
    reminders.plan(ctx.session, made.rsvp, reminders.ReminderTimes.of(ctx.config), ctx.now)
    state.vars["rsvp_id"] = made.rsvp.id
    position, already = made.waitlist_position, made.already
    if already and not is_verified(state):
        # What anyone else would hear for this meeting: "already signed up" would tell an
        # unverified caller that this number has an RSVP here (security review H2).
        position, already = rsvps.newcomer_position(ctx.session, made.rsvp.meeting), False
    said = [_rsvp_outcome(position, already)]
    group = made.rsvp.meeting.group
    if group.dial_in_number and position is None:
        return Outcome("dial_in", said)  # a number to write down: its own menu, 9 repeats it
    return Outcome("ask" if _ask_reminders(state, member) else "done", said)


@action
def read_dial_in(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """How to join the phone group just signed up for. It is said where 9 says it again and 1
    texts it (review S2-8): a caller writing down ten digits and a code rarely gets them at
    once."""
    (result,) = directory.load(ctx.session, [_current(state)])
    group = result.group
    number, code = speaking.phone(group.dial_in_number or ""), group.dial_in_code or ""
    params = {"number": number, "code": speaking.digits(code)}
    return Outcome("ok", [Utterance("voice.rsvp.dial_in", params)])


@action
def after_dial_in(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    number = ctx.number(state)
    member = members.find(ctx.session, number) if number else None
    return Outcome("ask" if member is not None and _ask_reminders(state, member) else "done")


def _ask_reminders(state: CallState, member: Member) -> bool:
    """A verified member is asked once ever; anyone else, as a new number would be, until they
    choose during this call."""
    if is_verified(state):
        return member.reminder_channel is None
    return CHOSEN_REMINDERS not in state.vars


def _rsvp_outcome(position: int | None, already: bool) -> Utterance:
    if already:
        return Utterance("voice.rsvp.already")
    if position is None:
        return Utterance("voice.rsvp.seat")
    return Utterance("voice.rsvp.waitlist", {"position": position})


@action
def set_reminders(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.models import ReminderChannel

    number = ctx.number(state)
    if number is None:
        return Outcome("ok")
    member = members.find_or_create(ctx.session, number, state.language)
    member.reminder_channel = ReminderChannel(arg or "none")
    state.vars[CHOSEN_REMINDERS] = member.reminder_channel.value
    _consent(ctx, number, ConsentPurpose.REMINDERS_SMS, arg == "sms")
    _consent(ctx, number, ConsentPurpose.REMINDERS_CALL, arg == "call")
    return Outcome("call" if arg == "call" else "ok")


@action
def set_voicemail(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    member = ctx.member(state)
    if member is not None:
        member.voicemail_ok = arg == "yes"
    return Outcome("ok")


@action
def say_reminder_plan(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A verified member hears their own plan; anyone else the choice made in this call, or
    none, as a new number would (the stored channel would tell a caller faking the number how
    its member is reminded)."""
    member = personal_member(ctx, state)
    if member is not None:
        channel = member.reminder_channel.value if member.reminder_channel else "none"
    else:
        channel = str(state.vars.get(CHOSEN_REMINDERS, "none"))
    offsets = [_duration(ctx, state, o.amount, o.unit) for o in ctx.config.reminder_offsets]
    spoken = speaking.listing(offsets, ctx.catalog, state.language)
    return Outcome("ok", [Utterance(f"voice.remind.plan_{channel}", {"offsets": spoken})])


def _duration(ctx: CallContext, state: CallState, amount: int, unit: str) -> str:
    key = f"voice.duration.{unit}1" if amount == 1 else f"voice.duration.{unit}"
    return ctx.say(state, key, n=amount)


# --- my meetings, verification ---------------------------------------------------------------


@action
def begin_gate(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    state.vars["after_gate"] = arg
    return Outcome("verified" if is_verified(state) else "unverified")


@action
def send_meetings(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """Sends only to a member's number; every caller hears the same words either way, the limit
    included (it counts asks for a number, member or not). By call, the caller hangs up first:
    the line calls back a minute later, when their line is free (review M7)."""
    from app.services import rsvps

    if ctx.caller is None or not limits.take(ctx.redis, limits.MEETINGS, ctx.caller, _secret(ctx)):
        return Outcome("limit")
    member = ctx.member(state)
    by_call = arg == "call"
    if member is not None:
        upcoming = [r.meeting for r in rsvps.upcoming_for(ctx.session, member.id, ctx.now)]
        kind = OutboxKind.CALL if by_call else OutboxKind.SMS
        template = "voice.call.meetings" if by_call else "voice.text.meetings"
        params = {"meetings": _meetings_said(ctx, state, upcoming, template, by_call)}
        due = ctx.now + CALL_BACK_AFTER if by_call else None
        _send(ctx, state, kind, OutboxPurpose.REPLY, template, params, member.id, due_at=due)
    return Outcome("call" if by_call else "text")


@action
def check_pin(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import verification

    entered = state.vars.pop("entered", "")
    tries = int(state.vars.get("pin_tries", 0))
    if ctx.caller is None:
        result = verification.check_pin(None, entered, tries, ctx.now)
    else:
        member = ctx.member(state)
        secret = ctx.config.secret_key
        result = verification.check_pin_of(
            ctx.redis, member, ctx.caller, entered, tries, ctx.now, secret
        )
    if result == "ok":
        state.vars["verified"] = True
    else:
        state.vars["pin_tries"] = tries + 1
    return Outcome(result)


@action
def send_code(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A one-time code to the number on file (review M6: at most ``CODES_PER_CALL`` asks per
    call and ``limits.CODES`` per number an hour; a live code is sent again, never a new one).
    Member or not, every caller hears the same: the limits count asks, not sends. The row holds
    no code: the worker, or the code call, reads it from its sealed copy (review L7). By call,
    the caller hangs up first and the line calls back a minute later (review M7)."""
    from app.services import verification

    asked = int(state.vars.get("codes_asked", 0)) + 1
    state.vars["codes_asked"] = asked
    if ctx.caller is None or asked > CODES_PER_CALL:
        return Outcome("limit")
    if not limits.take(ctx.redis, limits.CODES, ctx.caller, _secret(ctx)):
        return Outcome("limit")
    member = ctx.member(state)
    by_call = arg == "call"
    if member is not None:
        verification.issue_code(ctx.redis, member.phone, _secret(ctx))
        kind = OutboxKind.CALL if by_call else OutboxKind.SMS
        template = "voice.call.code" if by_call else "voice.text.code"
        due = ctx.now + CALL_BACK_AFTER if by_call else None
        # Not deduplicated: asking again in the same call sends the live code again.
        purpose = OutboxPurpose.REPLY
        _send(ctx, state, kind, purpose, template, {}, member.id, dedupe=False, due_at=due)
    return Outcome("call" if by_call else "text")


@action
def check_code(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import verification

    entered = state.vars.pop("entered", "")
    ok = ctx.caller is not None and verification.check_code(
        ctx.redis, ctx.caller, entered, ctx.config.secret_key
    )
    if ok:
        state.vars["verified"] = True
    return Outcome("ok" if ok else "wrong")


@action
def load_rsvps(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import rsvps

    member = ctx.member(state)
    upcoming = rsvps.upcoming_for(ctx.session, member.id, ctx.now) if member else []
    if not upcoming:
        return Outcome("none")
    state.vars.update(rsvps=[r.id for r in upcoming], list="rsvps", index=0)
    return Outcome("some")


@action
def read_rsvp(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.models import Rsvp
    from app.services import rsvps

    rsvp = ctx.session.get(Rsvp, int(_current(state)))
    assert rsvp is not None
    line = _meeting_line(ctx, state, rsvp.meeting)
    said = [Utterance("voice.meetings.item", {"meeting": line})]
    position = rsvps.waitlist_position(ctx.session, rsvp)
    if position is not None:
        said.append(Utterance("voice.meetings.waitlisted", {"position": position}))
    return Outcome("ok", said + say_reminder_plan(ctx, state, None).said)


def _meetings_said(
    ctx: CallContext, state: CallState, meetings: list[Meeting], template: str, by_call: bool
) -> str:
    if not meetings:
        return ctx.say(state, "voice.meetings.none")
    if by_call:
        return " ".join(_meeting_line(ctx, state, meeting) for meeting in meetings)
    return _fitted_meetings(ctx, state, [_meeting_text(ctx, state, m) for m in meetings], template)


def _meeting_text(ctx: CallContext, state: CallState, meeting: Meeting) -> str:
    group, language = meeting.group, state.language
    when = reminders.text_when(ctx.catalog, language, meeting.starts_at, ZoneInfo(group.timezone))
    where = reminders.place(group, ctx.catalog, language)
    return ctx.say(state, "voice.text.meeting", name=group.name, when=when, where=where)


def _fitted_meetings(ctx: CallContext, state: CallState, items: list[str], template: str) -> str:
    """One meeting a line, as many as fit the reply budget (a text is at most 2 segments, issue
    18), then "and N more": texting MY lists them all with numbers to drop."""

    def listed(shown: int) -> str:
        rest = len(items) - shown
        more = [ctx.say(state, "voice.text.more", count=rest)] if rest else []
        return "\n".join([*items[:shown], *more])

    def text_of(shown: int) -> str:
        return ctx.say(state, template, line_name=ctx.config.line_name, meetings=listed(shown))

    return listed(segments.most_that_fit(len(items), text_of, state.language) or 1)


def _meeting_line(ctx: CallContext, state: CallState, meeting: Meeting) -> str:
    group = meeting.group
    when = speaking.when(meeting.starts_at, ZoneInfo(group.timezone), ctx.catalog, state.language)
    where = group.location_name or ctx.say(state, "voice.text.by_phone")
    return ctx.say(state, "voice.meetings.line", name=group.name, when=when, where=where)


@action
def move_rsvp(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    return _move(state, arg)


@action
def cancel_rsvp(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import rsvps

    rsvps.cancel(ctx.session, int(_current(state)), ctx.now)
    return Outcome("ok")


# --- callbacks -------------------------------------------------------------------------------


@action
def callback_start(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A request already filed in this call counts as a number: its keyed-in number is gone from
    the call's state, and the caller goes back to the same request, never a second one."""
    known = ctx.callback_number(state) or state.vars.get("callback_id")
    return Outcome("has_number" if known else "no_number")


@action
def check_callback_number(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from call_flows import numbers

    entered = state.vars.pop("entered", "")
    if entered in CRISIS_NUMBERS:
        return Outcome("crisis")  # they may be in danger: 911 and 988 now, not "try again"
    number = numbers.callback_target(ctx.session, ctx.config, entered)
    if number is None:
        refusals = int(state.vars.get("number_refusals", 0)) + 1
        state.vars["number_refusals"] = refusals
        if refusals >= NUMBER_TRIES:
            return Outcome("give_up")
        return Outcome("short" if len(entered) < 10 else "refused")
    state.vars["typed_number"] = ctx.seal_number(number)
    return Outcome("ok", [Utterance("voice.callback.readback", {"digits": speaking.phone(number)})])


@action
def confirm_callback_number(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """The caller said the read-back was right: only now is it where the callback goes."""
    state.vars["callback_number"] = state.vars.pop("typed_number")
    return Outcome("ok")


@action
def file_callback(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    _callback_request(ctx, state)
    return Outcome("ok")


@action
def attach_recording(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """The message joins the request, however the member ended it: a key, silence, the time
    limit or hanging up (Twilio still asks this step, with ``Digits=hangup``). A member who said
    nothing has no message."""
    recording_sid = state.vars.pop("recording_sid", None)
    if recording_sid:
        request = _callback_request(ctx, state)
        callbacks.attach_recording(ctx.session, request, recording_sid, ctx.now)
    return Outcome("ok")


@action
def confirm_callback(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    _callback_request(ctx, state)
    line = speaking.phone(ctx.config.phone_number)
    return Outcome(
        "ok",
        [
            Utterance("voice.callback.done"),
            Utterance("voice.callback.from_line", {"line_number": line}),
        ],
    )


@action
def set_callback_voicemail(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    _callback_request(ctx, state).voicemail_ok = arg == "yes"
    return Outcome("ok", [Utterance("voice.settings.saved")])


@action
def stuck_callback(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A caller who was silent or lost three times is called back at caller ID: a request to
    the number calling says nothing about whose number it is (security review H2)."""
    if ctx.callback_number(state) is None and not state.vars.get("callback_id"):
        return Outcome("no_number")
    _callback_request(ctx, state)
    return Outcome("filed")


def _callback_request(ctx: CallContext, state: CallState) -> CallbackRequest:
    """This call's one request: filed the first time, found again at every later step (a
    repeated request from Twilio, or going back to record again, files nothing more)."""
    known = state.vars.get("callback_id")
    request = ctx.session.get(CallbackRequest, known) if known else None
    if request is None:
        request = _file_callback(ctx, state)
        state.vars["callback_id"] = request.id
        # Filed: the request holds the number now, and the call's state lets go of it (L5).
        state.vars.pop("callback_number", None)
    return request


def _file_callback(ctx: CallContext, state: CallState) -> CallbackRequest:
    number = ctx.callback_number(state)
    assert number is not None, "the callback flow collects a number first"
    member = members.find_or_create(ctx.session, number, state.language)
    source = "voice" if ctx.caller else callbacks.KEYED
    new = callbacks.NewRequest(member, state.language, source, group_id=_group_in_view(ctx, state))
    return callbacks.file_request(ctx.session, new, ctx.config, ctx.catalog, ctx.now)


def _group_in_view(ctx: CallContext, state: CallState) -> int | None:
    if state.vars.get("list") != "shown" or not state.vars.get("shown"):
        return None
    return int(_current(state)[0])


# --- settings and privacy --------------------------------------------------------------------


@action
def save_pin(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.services import verification

    entered = state.vars.pop("entered", "")
    if len(entered) != 4 or ctx.caller is None:
        return Outcome("short")
    member = members.find_or_create(ctx.session, ctx.caller, state.language)
    verification.set_pin(member, entered)
    return Outcome("ok")


@action
def begin_stop(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """Any caller ID may stop messages to itself: the same question and the same answer for
    every number, member or not; only a call without a usable number cannot."""
    return Outcome("number" if ctx.caller else "no_number")


@action
def stop_everything(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.models import ReminderChannel

    if ctx.caller is None:
        return Outcome("ok")
    members.revoke_all(ctx.session, ctx.caller, ConsentSource.VOICE, ctx.config.secret_key)
    member = members.find(ctx.session, ctx.caller)
    if member is not None:
        member.reminder_channel = ReminderChannel.NONE
        outbox.withdraw_automated(ctx.session, member.id)
    return Outcome("ok")


@action
def delete_member(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """The same erasure as the SMS DELETE and ``phoneline member delete``: everything but the
    consent ledger, which records the revocations first."""
    from app.services import erasure

    stop_everything(ctx, state, None)
    member = members.find(ctx.session, ctx.caller) if ctx.caller else None
    if member is not None:
        erasure.forget_member(ctx.session, member, ctx.config.secret_key)
    return Outcome("ok")


# --- outbound reminder calls (placed by the reminder jobs, later issue) ----------------------


@action
def read_reminder(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.models import Rsvp

    rsvp = ctx.session.get(Rsvp, int(state.vars.get("rsvp_id", 0)))
    if rsvp is None:
        return Outcome("ok")
    if rsvp.member.language and ctx.catalog.has(rsvp.member.language):
        state.language = rsvp.member.language
    group = rsvp.meeting.group
    when = speaking.when(
        rsvp.meeting.starts_at, ZoneInfo(group.timezone), ctx.catalog, state.language
    )
    place = reminders.call_place(group, ctx.catalog, state.language)
    params = {"line_name": ctx.config.line_name, "alias": group.alias, "when": when}
    said = [Utterance("voice.outbound.reminder", {**params, "place": place})]
    return Outcome("ok", said + _dial_in_spoken(group))


def _dial_in_spoken(group: directory.Group) -> list[Utterance]:
    """A phone group's reminder call says how to join, digit by digit (review S2-8): the
    member needs the number and code at meeting time, not only "by phone"."""
    if group.format is GroupFormat.IN_PERSON or not group.dial_in_number:
        return []
    number, code = speaking.phone(group.dial_in_number), group.dial_in_code or ""
    return [Utterance("voice.rsvp.dial_in", {"number": number, "code": speaking.digits(code)})]


# The spoken form of each notice an outbox row may carry.
NOTICE_SPOKEN = {
    "directory.notice_cancelled": "voice.outbound.notice_cancelled",
    "directory.notice_moved": "voice.outbound.notice_moved",
    "waitlist.promoted": "voice.outbound.notice_promoted",
}


def _outbox_row(ctx: CallContext, state: CallState) -> Any:
    from app.models import OutboxItem

    row = ctx.session.get(OutboxItem, int(state.vars.get("outbox_id", 0)))
    if row is not None and ctx.catalog.has(row.language):
        state.language = row.language
    return row


@action
def outbound_language(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A call the line placed speaks the language of its outbox row."""
    _outbox_row(ctx, state)
    return Outcome("ok")


@action
def read_notice(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    row = _outbox_row(ctx, state)
    if row is None or row.template not in NOTICE_SPOKEN:
        return Outcome("ok")
    params = {"line_name": ctx.config.line_name, **row.params}
    return Outcome("ok", [Utterance(NOTICE_SPOKEN[row.template], params)])


@action
def read_reply(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    """A code or meetings call a member asked for (review M7), read only to the number it was
    asked for. The code comes from its sealed copy while it lives, read digit by digit, twice;
    9 reads it again."""
    from app.services import verification

    row = _outbox_row(ctx, state)
    if row is None or row.purpose is not OutboxPurpose.REPLY or row.recipient != ctx.caller:
        return Outcome("gone")
    if row.template != "voice.call.code":
        return Outcome("ok", [Utterance(row.template, dict(row.params))])
    code = verification.live_code(ctx.redis, row.recipient, _secret(ctx))
    if code is None:
        return Outcome("expired")
    spoken = f"{speaking.digits(code[:3])}. {speaking.digits(code[3:])}"
    return Outcome("ok", [Utterance(row.template, {"code": spoken})])


@action
def answer_reminder(ctx: CallContext, state: CallState, arg: str | None) -> Outcome:
    from app.models import ReminderChannel, Rsvp
    from app.services import rsvps

    rsvp = ctx.session.get(Rsvp, int(state.vars.get("rsvp_id", 0)))
    if rsvp is None:
        return Outcome("ok")
    if arg == "yes":
        rsvp.attended = True
    elif arg == "no":
        rsvps.cancel(ctx.session, rsvp.id, ctx.now)
    else:
        rsvp.member.reminder_channel = ReminderChannel.NONE
        _consent(ctx, rsvp.member.phone, ConsentPurpose.REMINDERS_CALL, False)
    return Outcome("ok")


# --- helpers ---------------------------------------------------------------------------------


def _current(state: CallState) -> Any:
    """The item in view: a kept search result, or an RSVP id."""
    items = state.vars[state.vars.get("list", "shown")]
    return items[int(state.vars.get("index", 0))]


def _move(state: CallState, arg: str | None) -> Outcome:
    items = state.vars.get(state.vars.get("list", "shown")) or []
    index = int(state.vars.get("index", 0)) + (1 if arg == "next" else -1)
    state.vars["index"] = max(0, min(index, len(items) - 1))
    return Outcome("ok")


def _keep_results(state: CallState, name: str, results: list[directory.Result]) -> None:
    state.vars[name] = directory.ids(results)
    state.vars.pop("shown", None)


def _keep_topics(ctx: CallContext, state: CallState, results: list[directory.Result]) -> None:
    for n in range(1, 5):  # a new search forgets the topics of the one before
        state.vars.pop(f"topic_{n}", None)
        state.vars.pop(f"topic_name_{n}", None)
    for n, topic in enumerate(directory.topics_in(results), start=1):
        state.vars[f"topic_{n}"] = f"voice.topics.{topic}"
        state.vars[f"topic_name_{n}"] = topic


def _consent(ctx: CallContext, number: str, purpose: ConsentPurpose, granted: bool) -> None:
    members.record_consent(
        ctx.session, number, purpose, granted, ConsentSource.VOICE, ctx.config.secret_key
    )


def _text(
    ctx: CallContext,
    state: CallState,
    purpose: OutboxPurpose,
    template: str,
    params: Mapping[str, object],
    tag: str = "",
) -> None:
    member = ctx.member(state)
    _send(
        ctx,
        state,
        OutboxKind.SMS,
        purpose,
        template,
        params,
        member.id if member else None,
        tag=tag,
    )


def _send(
    ctx: CallContext,
    state: CallState,
    kind: OutboxKind,
    purpose: OutboxPurpose,
    template: str,
    params: Mapping[str, object],
    member_id: int | None,
    dedupe: bool = True,
    tag: str = "",
    due_at: datetime | None = None,
) -> None:
    """One row per call, template and subject: pressing the key twice sends one text."""
    number = ctx.number(state)
    if number is None:
        return
    key = _dedupe_key(ctx, template, tag) if dedupe else None
    full = {"line_name": ctx.config.line_name, **params}
    outbox.enqueue(
        ctx.session,
        outbox.Outgoing(
            kind,
            purpose,
            number,
            template,
            state.language,
            full,
            due_at=due_at,
            member_id=member_id,
            dedupe_key=key,
        ),
    )


def _dedupe_key(ctx: CallContext, template: str, tag: str) -> str:
    return f"voice:{ctx.call_sid}:{template}:{tag}"


def _secret(ctx: CallContext) -> str:
    return ctx.config.secret_key
