"""Reminders (SPEC §9): planned as outbox rows when an RSVP is made, checked again when sent.

Planning writes one row per offset of ``REMINDER_OFFSETS`` (``m``/``h`` elapsed before the
start, ``d`` the same local clock time n days earlier in the member's zone), skipping offsets
already past, moving a due time inside quiet hours to the window's end, and dropping (status
``skipped``) a reminder that would then be at or after the start. Each row has a dedupe key per
RSVP, offset and meeting version, so planning twice plans once and a moved meeting plans anew.

What the member gets is decided when the row is claimed (``prepare``), not when it was
planned: the member's channel then (text, call, none), a number that stopped taking texts
(21614/30006, or paused) switching to a call if they agreed to calls, else coordinators are told
who cannot be reminded; no two reminders for different meetings within 30 minutes; and the
wording's details (alias, date, place) read fresh from the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.config import Config, Duration, QuietHours
from app.db import utcnow
from app.models import (
    ConsentPurpose,
    Group,
    GroupFormat,
    Meeting,
    MeetingStatus,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
    RsvpStatus,
    SmsStatus,
    StaffNoticeKind,
)
from app.prompts import Catalog
from app.services import members, outbox, quiet_hours, staff
from app.services.outbox import Outgoing

SMS_TEMPLATE = "reminder.sms"
SMS_FIRST_TEMPLATE = "reminder.sms_first"
CALL_TEMPLATE = "voice.outbound.reminder"
# Reminders for different meetings are never sent closer together than this (SPEC §9).
SPACING = timedelta(minutes=30)
# A busy or unanswered reminder call is tried once more this much later (issue 8).
CALL_RETRY_AFTER = timedelta(minutes=30)
RETRY_SUFFIX = ":retry"
# SMS that stopped reaching the member: their reminders switch to calls if they agreed to calls.
SMS_UNREACHABLE = (SmsStatus.NO_SMS, SmsStatus.PAUSED)
_LIVE = (OutboxStatus.PENDING, OutboxStatus.QUEUED)
_WENT_OUT = (
    OutboxStatus.SENDING,
    OutboxStatus.UNKNOWN,
    OutboxStatus.SENT,
    OutboxStatus.DELIVERED,
    OutboxStatus.UNDELIVERED,
)


@dataclass(frozen=True)
class ReminderTimes:
    """What planning needs from the configuration."""

    offsets: tuple[Duration, ...]
    window: QuietHours
    fallback_zone: ZoneInfo

    @classmethod
    def of(cls, config: Config) -> ReminderTimes:
        return cls(config.reminder_offsets, config.quiet_hours, config.line_timezone)


# --- planning ---------------------------------------------------------------------------------


def due_at(starts_at: datetime, offset: Duration, zone: ZoneInfo) -> datetime:
    """When a reminder ``offset`` before ``starts_at`` is due: elapsed time for ``m`` and ``h``;
    for ``d`` the same wall-clock time n days earlier in ``zone`` (so across a DST change a
    one-day reminder is 23 or 25 hours ahead)."""
    if offset.unit != "d":
        return starts_at - offset.elapsed
    local = starts_at.astimezone(zone)
    day = local.date() - timedelta(days=offset.amount)
    return quiet_hours.wall_clock(day, local.time().replace(tzinfo=None), zone)


def zone_of(member: Member, times: ReminderTimes) -> ZoneInfo:
    return quiet_hours.recipient_zone(member.phone, member.zip, times.fallback_zone)


def plan(session: Session, rsvp: Rsvp, times: ReminderTimes, now: datetime) -> list[OutboxItem]:
    """The reminder rows of one RSVP (idempotent). Offsets already past are not planned."""
    meeting, member = rsvp.meeting, rsvp.member
    if rsvp.status is RsvpStatus.CANCELLED or meeting.status is MeetingStatus.CANCELLED:
        return []
    zone = zone_of(member, times)
    planned = []
    for offset in times.offsets:
        due = due_at(meeting.starts_at, offset, zone)
        if due <= now:
            continue
        item = outbox.enqueue(session, _row(rsvp, member, offset, due, zone, times))
        if item.status is OutboxStatus.PENDING and item.due_at >= meeting.starts_at:
            item.status, item.final_at = OutboxStatus.SKIPPED, now  # quiet hours ran into it
        planned.append(item)
    session.flush()
    return planned


def _row(
    rsvp: Rsvp,
    member: Member,
    offset: Duration,
    due: datetime,
    zone: ZoneInfo,
    times: ReminderTimes,
) -> Outgoing:
    call = member.reminder_channel is ReminderChannel.CALL
    version = rsvp.meeting.changed_at or rsvp.meeting.starts_at
    return Outgoing(
        kind=OutboxKind.CALL if call else OutboxKind.SMS,
        purpose=OutboxPurpose.REMINDER,
        recipient=member.phone,
        template=CALL_TEMPLATE if call else SMS_TEMPLATE,
        language=member.language or _first(rsvp.meeting.group.languages) or "en",
        due_at=quiet_hours.next_allowed(due, zone, times.window),
        member_id=member.id,
        rsvp_id=rsvp.id,
        dedupe_key=f"reminder:{rsvp.id}:{offset}:{version:%Y%m%d%H%M%S}",
    )


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def replan_meeting(session: Session, meeting: Meeting, times: ReminderTimes, now: datetime) -> int:
    """A meeting moved: its live RSVPs get reminders for the new time (the old rows were
    withdrawn by the move)."""
    live = session.scalars(
        select(Rsvp).where(Rsvp.meeting_id == meeting.id, Rsvp.status != RsvpStatus.CANCELLED)
    ).all()
    return sum(len(plan(session, rsvp, times, now)) for rsvp in live)


# --- at send time -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What to do with a claimed reminder: send it, skip it, or look again ``later``."""

    send: bool
    later: datetime | None = None

    @property
    def skip(self) -> bool:
        return not self.send and self.later is None


SEND, SKIP = Decision(True), Decision(False)


@dataclass(frozen=True)
class Wording:
    catalog: Catalog
    secret: str
    per_meeting: int  # texts a member may get per meeting (the consent wording says so)


def prepare(session: Session, item: OutboxItem, wording: Wording, now: datetime) -> Decision:
    """Decide a claimed reminder row, and fit it to the member's channel and the meeting."""
    rsvp = _rsvp(session, item.rsvp_id)
    if rsvp is None or not _still_wanted(rsvp, now):
        return SKIP
    member = session.get(Member, rsvp.member_id, with_for_update=True)  # serialises spacing
    assert member is not None
    history = History(_reminders_to(session, item))
    if member.reminder_channel is ReminderChannel.NONE or history.overtaken(item, now):
        return SKIP
    kind = channel_for(session, member, wording.secret)
    if kind is None:
        _tell_staff_cannot_remind(session, rsvp, now)
        return SKIP
    free_at = history.spaced_after(rsvp.meeting_id, now)
    if free_at is not None:
        return Decision(False, free_at) if free_at < rsvp.meeting.starts_at else SKIP
    _fit(item, rsvp, kind, wording, first_text=not history.texted_before())
    if kind is OutboxKind.SMS:
        item.params = {**item.params, "n": drop_number(session, rsvp, now)}
    return SEND


def drop_number(session: Session, rsvp: Rsvp, now: datetime) -> int:
    """The number DROP takes for this RSVP: its place among the member's upcoming meetings, as
    MY numbers them. Printed on confirmations and reminders so members learn the meeting word
    before they reach for "cancel", a carrier stop word (review S1-1)."""
    from app.services import rsvps  # imported here: rsvps -> notices -> this module

    upcoming = [row.id for row in rsvps.upcoming_for(session, rsvp.member_id, now)]
    return upcoming.index(rsvp.id) + 1 if rsvp.id in upcoming else 1


def _rsvp(session: Session, rsvp_id: int | None) -> Rsvp | None:
    if rsvp_id is None:
        return None
    return session.scalar(
        select(Rsvp)
        .options(joinedload(Rsvp.meeting).joinedload(Meeting.group))
        .where(Rsvp.id == rsvp_id)
    )


def _still_wanted(rsvp: Rsvp, now: datetime) -> bool:
    meeting = rsvp.meeting
    return (
        rsvp.status is RsvpStatus.CONFIRMED
        and meeting.status is MeetingStatus.SCHEDULED
        and meeting.starts_at > now
    )


def _reminders_to(session: Session, item: OutboxItem) -> list[Any]:
    """Every other reminder row to this number, with its meeting (``ix_outbox_recipient``): a
    member has a handful, and one query answers the three questions ``History`` asks."""
    return list(
        session.execute(
            select(
                OutboxItem.id,
                OutboxItem.rsvp_id,
                OutboxItem.kind,
                OutboxItem.status,
                OutboxItem.due_at,
                OutboxItem.claimed_at,
                Rsvp.meeting_id,
            )
            .outerjoin(Rsvp, Rsvp.id == OutboxItem.rsvp_id)
            .where(
                OutboxItem.recipient == item.recipient,
                OutboxItem.purpose == OutboxPurpose.REMINDER,
                OutboxItem.id != item.id,
            )
        ).all()
    )


@dataclass(frozen=True)
class History:
    """The member's other reminder rows, as ``_reminders_to`` reads them."""

    rows: list[Any]

    def overtaken(self, item: OutboxItem, now: datetime) -> bool:
        """A later reminder of the same RSVP is due too, or already went (workers were down
        past this one's time, or two offsets met at the end of quiet hours): only the latest
        goes, never two at once and never an older one after a newer. Equal times: the later
        row wins."""
        return any(
            row.rsvp_id == item.rsvp_id
            and (row.due_at, row.id) > (item.due_at, item.id)
            and ((row.status in _LIVE and row.due_at <= now) or row.status in _WENT_OUT)
            for row in self.rows
        )

    def spaced_after(self, meeting_id: int, now: datetime) -> datetime | None:
        """30 minutes after a reminder for another meeting that went out less than 30 minutes
        ago; None when nothing is that close."""
        recent = [
            row.claimed_at
            for row in self.rows
            if row.status in _WENT_OUT
            and row.claimed_at is not None
            and row.claimed_at > now - SPACING
            and row.meeting_id != meeting_id
        ]
        return max(recent) + SPACING if recent else None

    def texted_before(self) -> bool:
        """A reminder text went to this number before (the first carries the consent wording:
        what, how often, rates, STOP; SPEC §9)."""
        return any(row.kind is OutboxKind.SMS and row.status in _WENT_OUT for row in self.rows)


def channel_for(session: Session, member: Member, secret: str) -> OutboxKind | None:
    """Text or call for this member now; None when a text cannot reach them and they have not
    agreed to calls (coordinators must be told)."""
    if member.reminder_channel is ReminderChannel.CALL:
        return OutboxKind.CALL
    if member.sms_status not in SMS_UNREACHABLE:
        return OutboxKind.SMS
    if members.has_consent(session, member.phone, ConsentPurpose.REMINDERS_CALL, secret):
        return OutboxKind.CALL
    return None


def _fit(
    item: OutboxItem, rsvp: Rsvp, kind: OutboxKind, wording: Wording, first_text: bool
) -> None:
    item.kind = kind
    item.language = language_for(rsvp.member, rsvp.meeting.group, wording.catalog)
    if kind is OutboxKind.CALL:
        item.template = CALL_TEMPLATE
        return
    item.template = SMS_FIRST_TEMPLATE if first_text else SMS_TEMPLATE
    item.params = {
        **details(rsvp.meeting, wording.catalog, item.language),
        "per_meeting": wording.per_meeting,
    }


def language_for(member: Member, group: Group, catalog: Catalog) -> str:
    """The member's language, else the group's first the line speaks, else English."""
    for language in (member.language, *group.languages, "en"):
        if language and catalog.has(language):
            return language
    return "en"


def details(
    meeting: Meeting, catalog: Catalog, language: str, by_call: bool = False
) -> dict[str, Any]:
    """What a reminder or notice names: the alias (never the group's name), when, and where;
    for a call, as it is spoken."""
    from app.services.meetings import describe_when  # meetings plans reminders with this

    group, zone = meeting.group, ZoneInfo(meeting.group.timezone)
    when, where = (describe_when, call_place) if by_call else (text_when, place)
    return {
        "alias": group.alias,
        "when": when(catalog, language, meeting.starts_at, zone),
        "place": where(group, catalog, language),
    }


def call_place(group: Group, catalog: Catalog, language: str) -> str:
    """Where, for a call: a phone group is "by phone" here, and its dial-in is spoken digit by
    digit after the sentence (read as written, "482913" would be a six-digit number)."""
    if group.format is GroupFormat.IN_PERSON:
        return place(group, catalog, language)
    return catalog.template(language, "sms.by_phone" if group.dial_in_number else "sms.by_video")


def text_when(catalog: Catalog, language: str, moment: datetime, zone: ZoneInfo) -> str:
    """ "Tue Nov 24, 6:30 PM" on the group's clock, as the SMS replies write it ("mar 24 nov,
    6:30 p. m." in Spanish)."""
    local = moment.astimezone(zone)
    hour = local.hour % 12 or 12
    half = catalog.template(language, "sms.am" if local.hour < 12 else "sms.pm")
    return catalog.render(
        language,
        "sms.when",
        weekday=catalog.template(language, f"sms.day.{local.weekday()}"),
        month=catalog.template(language, f"sms.month.{local.month}"),
        day=local.day,
        time=f"{hour}:{local.minute:02d} {half}",
    )


def place(group: Group, catalog: Catalog, language: str) -> str:
    """The place name, or the address when the name would give the group's topic away (sent
    unprompted: no topic word, SPEC §9); a phone group's dial-in and code."""
    # Imported here: broadcasts needs the directory, whose meetings plan reminders with this.
    from app.services import broadcasts

    if group.format is not GroupFormat.IN_PERSON:
        return remote_place(group, catalog, language)
    for candidate in (group.location_name, group.address):
        if candidate and not broadcasts.topic_words(group, [candidate]):
            return candidate
    return catalog.template(language, "reminder.place_on_file")


def remote_place(group: Group, catalog: Catalog, language: str) -> str:
    """How to join a group that has no room: "by phone: call (800) 555-0100, code 482913", the
    whole of it, so a reminder is all the member needs at meeting time (review S2-8); a video
    group without a dial-in is "by video" (the directory holds no link to text)."""
    if not group.dial_in_number:
        key = "sms.by_video" if group.format is GroupFormat.VIDEO else "sms.by_phone"
        return catalog.template(language, key)
    number = national(group.dial_in_number)
    if not group.dial_in_code:
        return catalog.render(language, "sms.place.dial_in_only", number=number)
    return catalog.render(language, "sms.place.dial_in", number=number, code=group.dial_in_code)


def national(e164: str) -> str:
    """ "(415) 555-0999" for a text message."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def _tell_staff_cannot_remind(session: Session, rsvp: Rsvp, now: datetime) -> None:
    meeting = rsvp.meeting
    local_day = meeting.starts_at.astimezone(ZoneInfo(meeting.group.timezone)).date()
    staff.note(
        session,
        StaffNoticeKind.CANNOT_REMIND,
        f"cannot_remind:{rsvp.member_id}:{meeting.id}",
        text="staff.cannot_remind",
        params={"alias": meeting.group.alias, "date": local_day.isoformat()},
        now=now,
        member_id=rsvp.member_id,
        meeting_id=meeting.id,
        group_id=meeting.group_id,
    )


def dropped_by_quiet_hours(session: Session, item: OutboxItem, until: datetime) -> bool:
    """A reminder that quiet hours would push to or past its meeting's start is dropped."""
    if item.purpose is not OutboxPurpose.REMINDER or item.rsvp_id is None:
        return False
    rsvp = session.get(Rsvp, item.rsvp_id)
    return rsvp is None or until >= rsvp.meeting.starts_at


# --- after the outcome ------------------------------------------------------------------------


def after_outcome(session: Session, item: OutboxItem, now: datetime | None = None) -> None:
    """A reminder call that was busy or not answered is tried once more 30 minutes later; a
    reminder text that found the number cannot take texts (or is paused) is planned again
    at once, so ``prepare`` sends it as a call or tells coordinators."""
    if item.purpose is not OutboxPurpose.REMINDER or item.rsvp_id is None:
        return
    now = now or utcnow()
    key = item.dedupe_key or f"reminder:{item.id}"
    if item.kind is OutboxKind.CALL and item.status is OutboxStatus.UNDELIVERED:
        if not key.endswith(RETRY_SUFFIX):
            _again(session, item, key + RETRY_SUFFIX, now + CALL_RETRY_AFTER)
        return
    member = session.get(Member, item.member_id) if item.member_id is not None else None
    sms_failed = item.status in (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED)
    unreachable = member is not None and member.sms_status in SMS_UNREACHABLE
    if item.kind is OutboxKind.SMS and sms_failed and unreachable:
        _again(session, item, key + ":by-call", now)


def _again(session: Session, item: OutboxItem, key: str, due: datetime) -> None:
    outbox.enqueue(
        session,
        Outgoing(
            kind=OutboxKind.CALL,
            purpose=OutboxPurpose.REMINDER,
            recipient=item.recipient,
            template=CALL_TEMPLATE,
            language=item.language,
            due_at=due,
            member_id=item.member_id,
            rsvp_id=item.rsvp_id,
            dedupe_key=key[:120],
        ),
    )
