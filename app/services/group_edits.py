"""Fixing one group from the console's form (SPEC §5, §13), without writing YAML.

Every field goes through the directory importer's own rules (``app.services.directory``), so
the form refuses exactly what a file would; nothing is saved when any field is refused. Seats
stay consistent: more seats move the waitlist up (``rsvps.fill_free_seats``, each member told
as any promotion is told); fewer seats than a meeting to come has confirmed is refused. Making
a group inactive cancels its meetings to come with notices, as ``import --prune`` does.

The schedule, its start time and the time zone are not edited here: they re-plan meetings,
and go through a directory upload. A later upload that lists the group replaces every field
edited here (the file merges: entries in it are created or updated).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Group, GroupFormat, Meeting, MeetingStatus
from app.services import directory, meetings, rsvps
from app.services.directory import Invalid

TEXT_FIELDS = (
    "name", "alias", "location_name", "address", "zip", "notes", "dial_in_number",
    "dial_in_code", "capacity",
)  # fmt: skip
LIST_FIELDS = ("topics", "audience", "accessibility", "languages")
_DERIVED = {"latitude", "longitude"}  # follow the ZIP; not a field of the form
T = TypeVar("T")


@dataclass(frozen=True)
class Form:
    """What the coordinator typed and ticked, as text, before any check."""

    text: dict[str, str]
    lists: dict[str, list[str]]
    active: bool

    @classmethod
    def of_group(cls, group: Group) -> Form:
        def shown(value: object) -> str:
            return "" if value is None else str(value)

        return cls(
            text={name: shown(getattr(group, name)) for name in TEXT_FIELDS},
            lists={name: list(getattr(group, name) or []) for name in LIST_FIELDS},
            active=group.active,
        )

    @classmethod
    def posted(cls, text: Mapping[str, str], lists: Callable[[str], list[str]]) -> Form:
        return cls(
            text={name: text.get(name, "") for name in TEXT_FIELDS},
            lists={name: lists(name) for name in LIST_FIELDS},
            active=text.get("active") == "yes",
        )


@dataclass(frozen=True)
class Rules:
    languages: list[str]  # those with a prompts file
    region: str  # DEFAULT_REGION


@dataclass
class Checked:
    values: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, Invalid] = field(default_factory=dict)

    def take(self, name: str, rule: Callable[[], Any]) -> None:
        try:
            self.values[name] = rule()
        except Invalid as refused:
            self.problems[name] = refused


def shows_location(group: Group) -> bool:
    return group.format is GroupFormat.IN_PERSON or group.location_name is not None


def shows_dial_in(group: Group) -> bool:
    return group.format is not GroupFormat.IN_PERSON or group.dial_in_number is not None


def check(form: Form, group: Group, rules: Rules) -> Checked:
    """Every field checked, every refusal kept by field name."""
    checked = Checked()
    checked.take("name", lambda: _text(form, "name", 32))
    checked.take("alias", lambda: directory.neutral_alias(_text(form, "alias", 32)))
    checked.take("topics", lambda: _choices(form, "topics", directory.TOPICS, True))
    checked.take("audience", lambda: _choices(form, "audience", directory.AUDIENCES, False))
    checked.take(
        "accessibility", lambda: _choices(form, "accessibility", directory.ACCESSIBILITY, False)
    )
    checked.take("languages", lambda: _choices(form, "languages", rules.languages, True))
    checked.take("capacity", lambda: _capacity(form.text.get("capacity", "")))
    if shows_location(group):
        _location(form, group.format is GroupFormat.IN_PERSON, checked)
    if shows_dial_in(group):
        _dial_in(form, group.format is GroupFormat.PHONE, checked, rules.region)
    checked.values["active"] = form.active
    return checked


def _typed(form: Form, name: str) -> str:
    return form.text.get(name, "").strip()


def _text(form: Form, name: str, limit: int) -> str:
    value = _typed(form, name)
    if not value:
        raise directory.required()
    return directory.gsm7_text(value, limit)


def _optional_text(form: Form, name: str, limit: int) -> str | None:
    value = _typed(form, name)
    return directory.gsm7_text(value, limit) if value else None


def _choices(form: Form, name: str, allowed: list[str], needed: bool) -> list[str]:
    picked = list(dict.fromkeys(form.lists.get(name, [])))
    if needed and not picked:
        raise Invalid("choose_one", "choose at least one")
    return [directory.choice(item, allowed) for item in picked]


def _capacity(typed: str) -> int | None:
    typed = typed.strip()
    if not typed:
        return None  # no limit, as when a file leaves capacity out
    number: object = int(typed) if re.fullmatch(r"[0-9]{1,7}", typed) else typed
    return directory.whole_number(number, 1, 1000)


def _location(form: Form, needed: bool, checked: Checked) -> None:
    names = ("location_name", "address", "zip", "notes")
    if not needed and not any(_typed(form, name) for name in names):
        checked.values |= dict.fromkeys((*names, "latitude", "longitude"))
        return
    checked.take("location_name", lambda: _text(form, "location_name", 40))
    checked.take("address", lambda: _text(form, "address", 60))
    checked.take("notes", lambda: _optional_text(form, "notes", 60))
    checked.take("zip", lambda: _needed(_typed(form, "zip"), directory.zip_place))
    place = checked.values.get("zip")
    if place is not None:  # the ZIP's place comes with it, as from a file
        checked.values |= {
            "zip": place.zip,
            "latitude": place.latitude,
            "longitude": place.longitude,
        }


def _dial_in(form: Form, needed: bool, checked: Checked, region: str) -> None:
    if not needed and not (_typed(form, "dial_in_number") or _typed(form, "dial_in_code")):
        checked.values |= {"dial_in_number": None, "dial_in_code": None}
        return
    number = _typed(form, "dial_in_number")
    checked.take(
        "dial_in_number", lambda: _needed(number, partial(directory.phone_number, region=region))
    )
    code = _typed(form, "dial_in_code")
    checked.take("dial_in_code", lambda: directory.dial_in_code(code) if code else None)


def _needed(typed: str, rule: Callable[[str], T]) -> T:
    if not typed:
        raise directory.required()
    return rule(typed)


# --------------------------------------------------------------------------- saving


class TooFewSeats(Exception):
    """Fewer seats than a meeting to come has already confirmed."""

    def __init__(self, crowded: list[tuple[str, int]]) -> None:
        super().__init__(f"{len(crowded)} meetings have more seats taken")
        self.crowded = crowded  # (meeting key, seats taken)


@dataclass(frozen=True)
class Saved:
    changed: list[str]  # field names, never values
    promoted: int  # waitlisted members given a seat
    notices: int  # members told of meetings cancelled (group made inactive)


def save(
    session: Session, group: Group, values: dict[str, Any], wording: meetings.Wording, now: datetime
) -> Saved:
    """Write checked values in the caller's transaction; ``TooFewSeats`` before any change."""
    changed = sorted(
        name
        for name, value in values.items()
        if name not in _DERIVED and getattr(group, name) != value
    )
    inheriting = _meetings_on_group_seats(session, group, now)
    if "capacity" in changed:
        _check_room(session, inheriting, values["capacity"])
    for name, value in values.items():
        setattr(group, name, value)
    session.flush()
    notices = _follow_active(session, group, wording, now) if "active" in changed else 0
    promoted = 0
    if "capacity" in changed and group.active:
        promoted = sum(len(rsvps.fill_free_seats(session, m.id, now)) for m in inheriting)
    return Saved(changed, promoted, notices)


def _meetings_on_group_seats(session: Session, group: Group, now: datetime) -> list[Meeting]:
    """Meetings to come that take their seats from the group (none of their own)."""
    return list(
        session.scalars(
            select(Meeting)
            .where(
                Meeting.group_id == group.id,
                Meeting.starts_at > now,
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.capacity.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
    )


def _check_room(session: Session, upcoming: list[Meeting], capacity: int | None) -> None:
    if capacity is None:
        return
    taken = [(m.key, rsvps.seats_taken(session, m.id)) for m in upcoming]
    crowded = [(key, n) for key, n in taken if n > capacity]
    if crowded:
        raise TooFewSeats(crowded)


def _follow_active(session: Session, group: Group, wording: meetings.Wording, now: datetime) -> int:
    if group.active:
        return meetings.sync(session, group, wording, now).notices
    return meetings.cancel_future(session, group, wording, now)
