"""One occurrence at a time (SPEC §5, §9): cancel or move a meeting, and tell every member
with a live RSVP.

Notices name the group by its alias (never its name or topics: they are sent unprompted) and
are outbox rows; the sending is the dispatcher's. Each notice has a dedupe key per RSVP and
change, so repeating a command never texts anyone twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from app.config import Config
from app.db import utcnow
from app.models import (
    Group,
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
)
from app.prompts import Catalog
from app.services import outbox, reminders, schedules
from app.services.outbox import Outgoing

_KEY = re.compile(r"(?P<slug>[a-z0-9][a-z0-9-]*)@(?P<date>\d{4}-\d{2}-\d{2})")
_WITHDRAWABLE = (OutboxStatus.PENDING, OutboxStatus.QUEUED)


class MeetingError(ValueError):
    """A cancel or move that cannot be done; the message says why (no personal data)."""


@dataclass(frozen=True)
class Wording:
    """What notices need to be worded: the prompts and the line's spoken name."""

    catalog: Catalog
    line_name: str
    # Reminders to plan anew when a meeting moves; None plans nothing (tests of wording alone).
    reminder_times: reminders.ReminderTimes | None = None

    @classmethod
    def of(cls, catalog: Catalog, config: Config) -> Wording:
        """What every command and page that changes meetings uses: the moved meeting's
        reminders are planned anew from the configured offsets."""
        return cls(catalog, config.line_name, reminders.ReminderTimes.of(config))


def find(session: Session, key: str) -> Meeting:
    """The meeting named ``SLUG@YYYY-MM-DD`` (its original date)."""
    match = _KEY.fullmatch(key.strip())
    if match is None:
        raise MeetingError("name a meeting as SLUG@YYYY-MM-DD")
    try:
        original = date.fromisoformat(match["date"])
    except ValueError:
        raise MeetingError("that date does not exist") from None
    meeting = session.scalar(
        select(Meeting)
        .join(Group)
        .options(joinedload(Meeting.group))
        .where(Group.slug == match["slug"], Meeting.original_date == original)
    )
    if meeting is None:
        raise MeetingError(f"no meeting {key} (is the date an occurrence of its schedule?)")
    return meeting


def cancel(session: Session, meeting: Meeting, wording: Wording, now: datetime) -> int:
    """Cancel one occurrence; returns how many notices were queued. Idempotent."""
    if meeting.status is MeetingStatus.CANCELLED:
        return 0
    if meeting.starts_at <= now:
        raise MeetingError("that meeting has already started")
    meeting.status = MeetingStatus.CANCELLED
    meeting.changed_at = now
    _withdraw_reminders(session, meeting)
    return _notify(session, meeting, wording, "directory.notice_cancelled", {}, now)


def move(
    session: Session, meeting: Meeting, new_start: datetime, wording: Wording, now: datetime
) -> int:
    """Move one occurrence to ``new_start`` (aware); returns how many notices were queued."""
    if meeting.status is MeetingStatus.CANCELLED:
        raise MeetingError("that meeting is cancelled")
    if meeting.starts_at <= now or new_start <= now:
        raise MeetingError("a meeting can only be moved before it starts, to a time to come")
    if new_start == meeting.starts_at:
        return 0
    before = meeting.starts_at
    duration = meeting.ends_at - meeting.starts_at
    meeting.starts_at, meeting.ends_at = new_start, new_start + duration
    meeting.moved = True
    return announce_new_time(session, meeting, before, wording, now)


def announce_new_time(
    session: Session, meeting: Meeting, before: datetime, wording: Wording, now: datetime
) -> int:
    """A meeting now starts at another time (moved by hand, or its schedule's start_time
    changed): pending reminders are withdrawn and members are told the old and new times."""
    meeting.changed_at = now
    _withdraw_reminders(session, meeting)
    if wording.reminder_times is not None:
        reminders.replan_meeting(session, meeting, wording.reminder_times, now)
    old = {"old_when": before}
    return _notify(session, meeting, wording, "directory.notice_moved", old, now)


def parse_new_start(text: str, meeting: Meeting) -> datetime:
    """``--to``: an ISO 8601 date-time, or a time alone for the same date; in the group's zone
    when it has no offset."""
    zone = ZoneInfo(meeting.group.timezone)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _time_on_original_date(text, meeting)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _time_on_original_date(text: str, meeting: Meeting) -> datetime:
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        raise MeetingError("--to takes an ISO 8601 time, 2026-12-01T19:00 or 19:00") from None
    local_day = meeting.starts_at.astimezone(ZoneInfo(meeting.group.timezone)).date()
    return datetime.combine(local_day, clock)


def cancel_removed(
    session: Session, meetings: list[Meeting], wording: Wording, now: datetime
) -> int:
    """Occurrences a schedule change removed while members held RSVPs: cancelled, as if by
    hand, so those members are told."""
    return sum(cancel(session, meeting, wording, now) for meeting in meetings)


def sync(session: Session, group: Group, wording: Wording, now: datetime) -> schedules.Changes:
    """Materialise a group's meetings; members with RSVPs to occurrences the schedule removed
    or retimed are told, as if a coordinator had cancelled or moved them."""
    changes = schedules.materialise(session, group, now)
    changes.notices = cancel_removed(session, changes.removed_with_rsvps, wording, now)
    for meeting, before in changes.retimed_with_rsvps:
        changes.notices += announce_new_time(session, meeting, before, wording, now)
    return changes


def cancel_future(session: Session, group: Group, wording: Wording, now: datetime) -> int:
    """A group made inactive: every meeting still to come is cancelled, with notices."""
    upcoming = session.scalars(
        select(Meeting).where(
            Meeting.group_id == group.id,
            Meeting.starts_at > now,
            Meeting.status == MeetingStatus.SCHEDULED,
        )
    )
    return sum(cancel(session, meeting, wording, now) for meeting in list(upcoming))


def _withdraw_reminders(session: Session, meeting: Meeting) -> None:
    # Reminders planned for the old time must not go out; the reminder planner plans anew
    # from the meeting's new start.
    rsvp_ids = select(Rsvp.id).where(Rsvp.meeting_id == meeting.id)
    session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.rsvp_id.in_(rsvp_ids),
            OutboxItem.purpose == OutboxPurpose.REMINDER,
            OutboxItem.status.in_(_WITHDRAWABLE),
        )
        .values(status=OutboxStatus.CANCELLED, final_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _notify(
    session: Session,
    meeting: Meeting,
    wording: Wording,
    template: str,
    extra: dict[str, datetime],
    now: datetime,
) -> int:
    rows = session.execute(
        select(Rsvp, Member)
        .join(Member, Member.id == Rsvp.member_id)
        .where(Rsvp.meeting_id == meeting.id, Rsvp.status != RsvpStatus.CANCELLED)
        .order_by(Rsvp.id)
    ).all()
    for rsvp, member in rows:
        outbox.enqueue(session, _notice(meeting, rsvp, member, wording, template, extra, now))
    session.flush()
    return len(rows)


def _notice(
    meeting: Meeting,
    rsvp: Rsvp,
    member: Member,
    wording: Wording,
    template: str,
    extra: dict[str, datetime],
    now: datetime,
) -> Outgoing:
    language = reminders.language_for(member, meeting.group, wording.catalog)
    zone = ZoneInfo(meeting.group.timezone)
    params = {"line_name": wording.line_name, "alias": meeting.group.alias}
    call = member.reminder_channel is ReminderChannel.CALL
    # A text says the date as every other text does ("Sat Dec 5, 6:30 PM"): the spoken form's
    # "sábado" would make a Spanish notice UCS-2 and over budget.
    when = describe_when if call else reminders.text_when
    params["when"] = when(wording.catalog, language, meeting.starts_at, zone)
    for name, moment in extra.items():
        params[name] = when(wording.catalog, language, moment, zone)
    # The notice is late once the member could have left for the meeting (the earlier start).
    params["deadline"] = min([meeting.starts_at, *extra.values()]).isoformat()
    return Outgoing(
        kind=OutboxKind.CALL if call else OutboxKind.SMS,
        purpose=OutboxPurpose.NOTICE,
        recipient=member.phone,
        template=template,
        language=language,
        params=params,
        due_at=now,
        member_id=member.id,
        rsvp_id=rsvp.id,
        dedupe_key=f"notice:{rsvp.id}:{template.rsplit('_', 1)[-1]}:{meeting.starts_at:%Y%m%d%H%M}",
    )


def describe_when(catalog: Catalog, language: str, moment: datetime, zone: ZoneInfo) -> str:
    """``Tuesday, November 24, at 6:30 PM`` in the language's words, on the group's clock."""
    local = moment.astimezone(zone)
    return catalog.render(
        language,
        "directory.when",
        weekday=catalog.template(language, f"directory.weekday.{local.weekday()}"),
        month=catalog.template(language, f"directory.month.{local.month}"),
        day=local.day,
        time=describe_time(catalog, language, local.time()),
    )


def describe_time(catalog: Catalog, language: str, clock: time) -> str:
    half = "directory.pm" if clock.hour >= 12 else "directory.am"
    hour = clock.hour % 12 or 12
    return f"{hour}:{clock.minute:02d} {catalog.template(language, half)}"
