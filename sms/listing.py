"""Finding groups by text: ZIP, MORE, a number for details (SPEC §8, §11 order).

The list in view is kept as group ids in the conversation, so MORE and "2" read the same list
the member saw, for 30 minutes or until a reminder arrives.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy import select

from app.models import Group, GroupFormat, Meeting, MeetingStatus
from app.services import conversations, search
from sms import reminders
from sms.turn import Turn

PAGE = 3
# A place name is cut in the list so three results and the footer fit two GSM-7 segments.
LIST_PLACE_CHARS = 18
DETAIL_TOPICS = 2


def search_reply(turn: Turn, zip_code: str) -> list[str]:
    outcome = search.find_groups(turn.session, zip_code, turn.language, turn.now, "sms")
    if not outcome.zip_known:
        return [turn.say("sms.search.unknown_zip")]
    if not outcome.results:
        return [turn.say("sms.search.none")]
    ids = [result.group.id for result in outcome.results]
    miles = {r.group.id: r.distance_miles for r in outcome.results}
    conversations.put(
        turn.conversation,
        list=ids,
        miles={str(k): v for k, v in miles.items() if v is not None},
        shown=0,
        list_at=conversations.stamp(turn.now),
        selected=None,
    )
    return [_page(turn)]


def more_reply(turn: Turn) -> list[str]:
    if not in_view(turn):
        return [turn.say("sms.search.no_list")]
    if conversations.get(turn.conversation, "shown") >= len(_ids(turn)):
        return [turn.say("sms.search.no_more")]
    return [_page(turn)]


def details_reply(turn: Turn, number: int) -> list[str]:
    ids = _ids(turn)
    shown = conversations.get(turn.conversation, "shown") or 0
    if not 1 <= number <= shown:
        return [turn.say("sms.search.no_such_number", last=shown)]
    group = turn.session.get(Group, ids[number - 1])
    if group is None:
        return [turn.say("sms.search.no_list")]
    conversations.put(
        turn.conversation, selected=group.id, selected_at=conversations.stamp(turn.now)
    )
    return [details(turn, group)]


def in_view(turn: Turn) -> bool:
    """A list stays in view 30 minutes, or until a reminder arrives."""
    row = turn.conversation
    if not conversations.within(row, "list_at", turn.now, conversations.LIST_IN_VIEW):
        return False
    reminder = reminders.latest(turn)
    shown_at = datetime.fromisoformat(conversations.get(row, "list_at"))
    return reminder is None or reminder.sent_at is None or reminder.sent_at < shown_at


def group_in_view(turn: Turn, number: int | None) -> Group | None:
    """RSVP's group: number n of the list, or the one whose details were shown."""
    if not in_view(turn):
        return None
    if number is not None:
        ids = _ids(turn)
        return turn.session.get(Group, ids[number - 1]) if 1 <= number <= len(ids) else None
    selected = conversations.get(turn.conversation, "selected")
    return turn.session.get(Group, selected) if selected is not None else None


def next_open_meeting(turn: Turn, group: Group) -> Meeting | None:
    """The next meeting that has not started: the one an RSVP is for."""
    return turn.session.scalar(
        select(Meeting)
        .where(
            Meeting.group_id == group.id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at > turn.now,
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


def details(turn: Turn, group: Group) -> str:
    topics = ", ".join(turn.say(f"sms.topic.{t}") for t in group.topics[:DETAIL_TOPICS])
    common = {
        "name": group.name,
        "topics": topics,
        "schedule": schedule_words(turn, group.schedule),
        "when": turn.when(search.next_meeting(turn.session, group, turn.now)),
    }
    if group.format is GroupFormat.IN_PERSON:
        return _tidy(
            turn.say(
                "sms.details.in_person",
                place=group.location_name or "",
                address=group.address or "",
                notes=f"{group.notes}." if group.notes else "",
                **common,
            )
        )
    return turn.say(
        "sms.details.remote",
        dial_in=_national(group.dial_in_number, turn.config.default_region),
        code=group.dial_in_code or "",
        **common,
    )


def _tidy(text: str) -> str:
    """No double space where an optional part (the notes) is empty."""
    return " ".join(text.split())


def schedule_words(turn: Turn, rule: str) -> str:
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    interval = int(parts.get("INTERVAL", "1"))
    if parts.get("FREQ") == "WEEKLY":
        if interval == 1:
            return turn.say("sms.schedule.weekly")
        return turn.say("sms.schedule.every_n_weeks", n=interval)
    if parts.get("FREQ") == "MONTHLY" and interval == 1:
        return turn.say("sms.schedule.monthly")
    return turn.say("sms.schedule.other")


def _page(turn: Turn) -> str:
    ids = _ids(turn)
    start = conversations.get(turn.conversation, "shown") or 0
    groups = [turn.session.get(Group, gid) for gid in ids[start : start + PAGE]]
    meetings = search.next_meetings(turn.session, [g for g in groups if g is not None], turn.now)
    lines = [_line(turn, start + i + 1, g, meetings) for i, g in enumerate(groups)]
    shown = min(start + PAGE, len(ids))
    conversations.put(turn.conversation, shown=shown)
    footer = "sms.search.more_footer" if shown < len(ids) else "sms.search.last_footer"
    return "\n".join([*lines, turn.say(footer)])


def _line(turn: Turn, n: int, group: Group | None, meetings: dict[int, Meeting]) -> str:
    if group is None:
        return ""
    when = turn.when(meetings.get(group.id))
    miles = (conversations.get(turn.conversation, "miles") or {}).get(str(group.id))
    if miles is None:
        return turn.say("sms.search.remote", n=n, name=group.name, when=when)
    place = (group.location_name or "")[:LIST_PLACE_CHARS].rstrip()
    return turn.say(
        "sms.search.in_person", n=n, name=group.name, when=when, place=place, miles=f"{miles:.1f}"
    )


def _ids(turn: Turn) -> list[int]:
    return list(conversations.get(turn.conversation, "list") or [])


def _national(number: str | None, region: str) -> str:
    if not number:
        return ""
    parsed = phonenumbers.parse(number, region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
