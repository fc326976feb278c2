"""Finding groups by text: ZIP, MORE, a number for details (SPEC §8, §11 order).

The list in view is kept as group ids in the conversation, so MORE and "2" read the same list
the member saw, for 30 minutes or until a reminder arrives.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from app import segments
from app.models import Group, GroupFormat, Meeting, MeetingStatus
from app.services import conversations, reminders, search
from sms import reminders as reminder_texts
from sms.turn import Turn

PAGE = 3
# A place name is cut in the list (at a word boundary) so three results fit one reply.
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
    reminder = reminder_texts.latest(turn)
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
    """A group's details in one reply within budget. When the longest names, notes and
    schedule do not fit, what goes first is a topic word that would make the text UCS-2
    (Spanish "recuperación"), then the schedule (the next date is always there), then topics."""
    common = {
        "name": display_name(turn, group),
        "when": turn.when(search.next_meeting(turn.session, group, turn.now)),
    }
    meets = turn.say("sms.details.meets", schedule=schedule_words(turn, group))
    words = [turn.say(f"sms.topic.{t}") for t in group.topics[:DETAIL_TOPICS]]
    plain = [word for word in words if segments.is_gsm7(word)]
    text = ""
    for topics, schedule in ((words, meets), (plain, meets), (plain, ""), ([], "")):
        text = _details_text(turn, group, topics=", ".join(topics), schedule=schedule, **common)
        if segments.fits(text, turn.language):
            break
    return text


def _details_text(turn: Turn, group: Group, **common: str) -> str:
    if group.format is GroupFormat.IN_PERSON:
        text = turn.say(
            "sms.details.in_person",
            place=group.location_name or "",
            address=group.address or "",
            notes=f"{group.notes.rstrip('.')}." if group.notes else "",
            **common,
        )
    elif _video_only(group):
        text = turn.say("sms.details.video", **common)
    else:
        place = reminders.remote_place(group, turn.catalog, turn.language)
        text = turn.say("sms.details.remote", place=place[:1].upper() + place[1:], **common)
    return _tidy(text)


def _tidy(text: str) -> str:
    """No double space where an optional part (the notes) is empty, and no "Name: . Meets"
    where no topic is left."""
    return " ".join(text.split()).replace(": . ", ". ")


def display_name(turn: Turn, group: Group) -> str:
    """The group's name, with its language after it when it does not meet in the member's:
    "Grupo Esperanza (in Spanish)", "Hope Circle (en inglés)" (review S1-4)."""
    if not group.languages or turn.language in group.languages:
        return group.name
    known = turn.catalog.texts.get(turn.language, {})
    for language in group.languages:
        key = f"sms.in_language.{language}"
        if key in known:
            return turn.say("sms.name_in", name=group.name, language_name=turn.say(key))
    return group.name


_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_NTH_DAY = re.compile(r"^\+?([1-5])(MO|TU|WE|TH|FR|SA|SU)$")


def schedule_words(turn: Turn, group: Group) -> str:
    """The real schedule: "every Monday and Wednesday", "every 2 weeks on Tuesday", "the 2nd
    and 4th Wednesday of each month"; anything else "on a set schedule" (the next date
    follows it in every reply)."""
    parts = dict(part.split("=", 1) for part in group.schedule.upper().split(";") if "=" in part)
    interval = int(parts.get("INTERVAL", "1") or 1)
    byday = [day for day in parts.get("BYDAY", "").split(",") if day]
    if parts.get("FREQ") == "WEEKLY":
        codes = byday or [_DAYS[group.starts_on.weekday()]]
        if all(code in _DAYS for code in codes):
            days = _joined(turn, [_weekday(turn, code) for code in codes])
            if interval == 1:
                return turn.say("sms.schedule.weekly", days=days)
            return turn.say("sms.schedule.every_n_weeks", n=interval, days=days)
    if parts.get("FREQ") == "MONTHLY" and interval == 1 and byday:
        found = [_NTH_DAY.match(day) for day in byday]
        if all(found) and len({m.group(2) for m in found if m}) == 1:
            nths = _joined(turn, [turn.say(f"sms.nth.{m.group(1)}") for m in found if m])
            day = _weekday(turn, found[0].group(2) if found[0] else "")
            return turn.say("sms.schedule.monthly", nths=nths, days=day)
    return turn.say("sms.schedule.other")


def _weekday(turn: Turn, code: str) -> str:
    return turn.say(f"sms.weekday.{_DAYS.index(code)}")


def _joined(turn: Turn, items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return turn.say("sms.unit.and", first=", ".join(items[:-1]), last=items[-1])


def _page(turn: Turn) -> str:
    """The next results, one per line, as many of the next three as fit the reply budget with
    the footer (and, in a new conversation, the first-message footer, so the whole answer is
    one text within budget: review item 19)."""
    ids = _ids(turn)
    start = conversations.get(turn.conversation, "shown") or 0
    groups = [g for g in (turn.session.get(Group, gid) for gid in ids[start : start + PAGE]) if g]
    meetings = search.next_meetings(turn.session, groups, turn.now)
    lines = [_line(turn, start + i + 1, g, meetings) for i, g in enumerate(groups)]
    header = [turn.say("sms.search.no_in_person")] if start == 0 and _remote_only(turn) else []
    tails = [[turn.say("sms.first_footer")], []] if turn.new and not turn.erased else [[]]
    for tail in tails:
        for count in range(len(lines), 0, -1):
            shown = start + count
            key = "sms.search.more_footer" if shown < len(ids) else "sms.search.last_footer"
            choices = turn.choices(list(range(start + 1, shown + 1)))
            text = "\n".join([*header, *lines[:count], turn.say(key, choices=choices), *tail])
            if segments.fits(text, turn.language) or (count == 1 and not tail):
                conversations.put(turn.conversation, shown=shown)
                turn.footer_given = bool(tail)
                return text
    return ""  # not reached: one result without the first footer always returns


def _remote_only(turn: Turn) -> bool:
    """No in-person group within 50 miles: the list is only phone and video groups."""
    return not (conversations.get(turn.conversation, "miles") or {})


def _line(turn: Turn, n: int, group: Group, meetings: dict[int, Meeting]) -> str:
    when = turn.when(meetings.get(group.id))
    name = display_name(turn, group)
    miles = (conversations.get(turn.conversation, "miles") or {}).get(str(group.id))
    if miles is None:
        key = "sms.search.video" if _video_only(group) else "sms.search.remote"
        return turn.say(key, n=n, name=name, when=when)
    place, distance = short_place(group.location_name), _distance(turn, miles)
    return turn.say("sms.search.in_person", n=n, name=name, when=when, place=place, miles=distance)


def _distance(turn: Turn, miles: float) -> str:
    """ "<1" and whole miles ("11", not "11.0"): tenths of a mile mean nothing by text."""
    return turn.say("sms.search.near") if miles < 1 else f"{miles:.0f}"


# Words a cut place name must not end on ("Centro Comunitario de la").
_DANGLING = frozenset({"de", "del", "la", "el", "los", "las", "y", "of", "the", "and", "at", "&"})


def short_place(name: str | None) -> str:
    """The place name cut to ``LIST_PLACE_CHARS`` at a word boundary, never mid-word ("Mission
    Branch", not "Mission Branch Lib"); a first word longer than that is kept whole."""
    words = (name or "").split()
    kept = words[:1]
    for word in words[1:]:
        if len(" ".join([*kept, word])) > LIST_PLACE_CHARS:
            break
        kept.append(word)
    while len(kept) > 1 and kept[-1].lower() in _DANGLING:
        kept.pop()
    return " ".join(kept)


def _video_only(group: Group) -> bool:
    return group.format is GroupFormat.VIDEO and not group.dial_in_number


def _ids(turn: Turn) -> list[int]:
    return list(conversations.get(turn.conversation, "list") or [])
