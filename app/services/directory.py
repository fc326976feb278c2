"""The directory file (SPEC §5): read it, check all of it, then write all of it or nothing.

Reading uses ruamel.yaml's round-trip loader with YAML 1.2 core rules (``yes`` is a string,
``06511`` is the number 6511), keeping quote styles and lines, so each error names its place
as a 0-based path and its file line: ``groups[3].schedule (line 41): …``. Every error in the
file is reported, not just the first.

Writing merges: entries in the file are created or updated, entries missing from it are kept
unless ``prune``, which makes them inactive and cancels their meetings to come (with notices).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Coordinator, Facilitator, Group, GroupFormat
from app.phones import InvalidNumber, dialable, parse_number
from app.services import meetings, schedules, zips

TOPICS = [
    "anxiety",
    "depression",
    "grief",
    "caregivers",
    "trauma",
    "bipolar",
    "recovery",
    "youth",
    "seniors",
    "lgbtq",
    "veterans",
    "general",
]
AUDIENCES = ["adults", "youth", "seniors", "women", "men", "family", "lgbtq", "veterans"]
ACCESSIBILITY = [
    "wheelchair",
    "accessible_restroom",
    "hearing_loop",
    "asl",
    "large_print",
    "fragrance_free",
]
FORMATS = [f.value for f in GroupFormat]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: allowed, but each costs two of a text's 160 characters.
_GSM7_EXTENDED = set("^{}\\[~]|€")
_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)
T = TypeVar("T")


# --------------------------------------------------------------------------- field rules
# One rule per kind of value, shared by the file reader below and the console's group form
# (app/services/group_edits.py), so a value refused in one is refused in the other.


class Invalid(ValueError):
    """A value a rule refuses: ``message`` is the importer's wording, ``reason`` and
    ``params`` let the console say it from its prompts."""

    def __init__(self, reason: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.reason, self.message, self.params = reason, message, params


def required() -> Invalid:
    return Invalid("required", "is required")


def gsm7_text(value: str, limit: int) -> str:
    """Text that a GSM-7 text message can carry, at most ``limit`` septets."""
    foreign = [ch for ch in value if ch not in _GSM7_BASIC | _GSM7_EXTENDED]
    if foreign:
        plain = _plain(foreign[0])
        hint = f'; write "{plain}"' if plain else ""
        message = f'"{foreign[0]}" is not a GSM-7 character{hint}'
        if plain:
            raise Invalid("not_gsm7_plain", message, character=foreign[0], plain=plain)
        raise Invalid("not_gsm7", message, character=foreign[0])
    septets = len(value) + sum(ch in _GSM7_EXTENDED for ch in value)
    if septets > limit:
        message = f"at most {limit} characters (this has {septets})"
        raise Invalid("too_long", message, limit=limit, count=septets)
    return value


def neutral_alias(alias: str) -> str:
    """An alias is sent unprompted (SPEC §9): it may not name a topic."""
    words = set(re.findall(r"[a-z]+", alias.lower()))
    topical = sorted(t for t in TOPICS if t in words or t.rstrip("s") in words)
    if topical:
        message = f"may not name a topic ({', '.join(topical)}): it is sent unprompted"
        raise Invalid("topic_word", message, topics=", ".join(topical))
    return alias


def choice(item: object, allowed: list[str]) -> str:
    if isinstance(item, str) and item in allowed:
        return item
    message = f"unknown {item!r}; choose from {', '.join(allowed)}"
    raise Invalid("unknown_choice", message, item=str(item), allowed=", ".join(allowed))


def whole_number(value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        message = f"write a whole number from {low} to {high}"
        raise Invalid("whole_number", message, low=low, high=high)
    return int(value)


def phone_number(value: str, region: str) -> str:
    # The number itself is never repeated in a message.
    try:
        return parse_number(value, region)
    except InvalidNumber:
        raise Invalid("bad_phone", "not a valid phone number") from None


def staff_phone(value: str, region: str) -> str:
    """A facilitator's or coordinator's number: the line texts and calls it on its own, so it
    must be one the line may dial (SPEC §6; security review H1)."""
    number = phone_number(value, region)
    if not dialable(number, region):
        message = "not a number the line may call or text (another region, premium or short)"
        raise Invalid("bad_phone", message)
    return number


def zip_place(value: str) -> zips.ZipPlace:
    place = zips.locate(value)
    if place is None:
        raise Invalid("unknown_zip", "not a US ZIP code this line knows (5 digits)")
    return place


def dial_in_code(value: str) -> str:
    if not re.fullmatch(r"\d{1,20}", value):
        raise Invalid("digits_only", "digits only, at most 20")
    return value


# --------------------------------------------------------------------------- what is read


@dataclass(frozen=True)
class Problem:
    place: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.place} (line {self.line}): {self.message}"


@dataclass(frozen=True)
class PersonEntry:
    slug: str
    name: str
    phone: str
    languages: list[str]
    timezone: str | None
    email: str | None = None
    on_call: bool = False


@dataclass(frozen=True)
class GroupEntry:
    values: dict[str, Any]  # Group column -> value, ready to assign
    facilitators: list[str]


@dataclass(frozen=True)
class Directory:
    coordinators: list[PersonEntry]
    facilitators: list[PersonEntry]
    groups: list[GroupEntry]


@dataclass(frozen=True)
class Rules:
    """What checking needs from outside the file."""

    languages: list[str]  # those with a prompts file
    region: str  # DEFAULT_REGION
    today: date
    known_facilitators: set[str] = field(default_factory=set)  # slugs already stored
    facilitator_phones: dict[str, str] = field(default_factory=dict)  # stored: phone -> slug


@dataclass(frozen=True)
class Parsed:
    directory: Directory | None
    problems: list[Problem]


# --------------------------------------------------------------------------- reading


class Node:
    """A mapping in the file with its place, reading fields and collecting problems."""

    def __init__(self, data: CommentedMap, place: str, source: Source) -> None:
        self.data, self.place, self.source = data, place, source

    @property
    def line(self) -> int:
        return int(self.data.lc.line) + 1

    def line_of(self, key: str) -> int:
        return int(self.data.lc.value(key)[0]) + 1 if key in self.data else self.line

    def where(self, key: str) -> str:
        return f"{self.place}.{key}"

    def fail(self, key: str, message: str) -> None:
        self.source.fail(Problem(self.where(key), self.line_of(key), message))

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def only(self, keys: set[str]) -> None:
        for key in self.data:
            if key not in keys:
                self.fail(str(key), "unknown field (check the spelling)")

    def missing(self, key: str) -> None:
        self.source.fail(Problem(self.where(key), self.line, required().message))

    def text(self, key: str, limit: int, required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "write it as text")
            return None
        return self._gsm7(key, value.strip(), limit)

    def _gsm7(self, key: str, value: str, limit: int) -> str | None:
        return self.checked(key, lambda: gsm7_text(value, limit))

    def checked(self, key: str, rule: Callable[[], T]) -> T | None:
        """A shared field rule's answer, or None with its refusal recorded at ``key``."""
        try:
            return rule()
        except Invalid as refused:
            self.fail(key, refused.message)
            return None

    def quoted(self, key: str, example: str, required: bool = True) -> str | None:
        """A value that must be a quoted string, so that 06511 stays 06511 and 18:30 text."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if not isinstance(value, _QUOTED):
            shown = example if example else self.source.token(self.data, key)
            self.fail(key, f'write it in quotes, "{shown}"')
            return None
        return str(value).strip()

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, "write true or false")
            return default
        return value

    def integer(self, key: str, low: int, high: int, required: bool = True) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        return self.checked(key, lambda: whole_number(value, low, high))

    def day(self, key: str) -> date | None:
        value = self.data.get(key)
        if value is None:
            self.missing(key)
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        self.fail(key, "write a date, 2026-09-01")
        return None

    def choices(self, key: str, allowed: list[str], required: bool = False) -> list[str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return []
        if not isinstance(value, CommentedSeq) or (required and not value):
            self.fail(key, f"write a list, [{allowed[0]}]")
            return []
        return [item for i, item in enumerate(value) if self.choice_at(key, value, i, allowed)]

    def choice_at(self, key: str, seq: CommentedSeq, i: int, allowed: list[str]) -> bool:
        try:
            choice(seq[i], allowed)
        except Invalid as refused:
            line = int(seq.lc.item(i)[0]) + 1
            self.source.fail(Problem(f"{self.where(key)}[{i}]", line, refused.message))
            return False
        return True

    def zone(self, key: str, required: bool) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
            self.fail(key, "write an IANA time zone, America/Los_Angeles")
            return None
        return str(value)

    def phone(self, key: str, required: bool = True, staff: bool = False) -> str | None:
        value = self.quoted(key, "+14155550123", required)
        if value is None:
            return None
        rule = staff_phone if staff else phone_number
        return self.checked(key, lambda: rule(value, self.source.rules.region))

    def mapping(self, key: str) -> Node | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, CommentedMap):
            self.fail(key, "write the fields under it, indented")
            return None
        return Node(value, self.where(key), self.source)


class Source:
    """The file's text, its rules, and the problems found so far."""

    def __init__(self, text: str, rules: Rules) -> None:
        self.lines = text.splitlines()
        self.rules = rules
        self.problems: list[Problem] = []

    def fail(self, problem: Problem) -> None:
        self.problems.append(problem)

    def token(self, data: CommentedMap, key: str) -> str:
        """The value as written in the file (06511, not the number 6511 YAML made of it)."""
        line, column = data.lc.value(key)
        rest = self.lines[line][column:] if line < len(self.lines) else ""
        return re.split(r"[\s,}\]#]", rest, maxsplit=1)[0]

    def items(self, root: Node, key: str) -> Iterator[Node]:
        value = root.data.get(key)
        if value is None:
            return
        if not isinstance(value, CommentedSeq):
            root.fail(key, "write a list, each entry starting with -")
            return
        for i, item in enumerate(value):
            if isinstance(item, CommentedMap):
                yield Node(item, f"{key}[{i}]", self)
            else:
                self.fail(Problem(f"{key}[{i}]", int(value.lc.item(i)[0]) + 1, "not an entry"))


def _plain(ch: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if c in _GSM7_BASIC)


def parse(text: str, rules: Rules) -> Parsed:
    """Read and check the whole file; a Directory only when there is no problem at all."""
    source = Source(text, rules)
    root = _load(text, source)
    if root is None:
        return Parsed(None, source.problems)
    root.only({"coordinators", "facilitators", "groups"})
    coordinators = _unique(
        source, "id", [_coordinator(n) for n in source.items(root, "coordinators")]
    )
    facilitators = _unique(
        source, "id", [_facilitator(n) for n in source.items(root, "facilitators")]
    )
    _unique_phones(source, facilitators)
    known = rules.known_facilitators | {entry.slug for _, entry in facilitators if entry}
    groups = _unique(source, "slug", [_group(n, known) for n in source.items(root, "groups")])
    if source.problems:
        return Parsed(None, sorted(source.problems, key=lambda p: p.line))
    return Parsed(Directory(_entries(coordinators), _entries(facilitators), _entries(groups)), [])


_DATE_LIKE = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")


def _load(text: str, source: Source) -> Node | None:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    if (line := _first_anchor_line(text)) is not None:
        source.fail(Problem("file", line, ANCHORS_REFUSED))
        return None
    try:
        data = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        source.fail(Problem("file", line, f"not valid YAML: {error.problem or error.context}"))
        return None
    except ReaderError as error:  # a control character, or a byte that is not text
        line = text.count("\n", 0, error.position) + 1
        shown = f" #x{error.character:04x}" if isinstance(error.character, int) else ""
        source.fail(Problem("file", line, f"not valid YAML: a control character{shown}"))
        return None
    except ValueError:  # a date YAML recognised but the calendar does not have (2026-02-30)
        source.fail(Problem("file", _impossible_date_line(source.lines), "not a real date"))
        return None
    except RecursionError:
        source.fail(Problem("file", 1, "not valid YAML: nested too deeply"))
        return None
    if not isinstance(data, CommentedMap):
        source.fail(Problem("file", 1, "write coordinators:, facilitators: and groups: lists"))
        return None
    return Node(data, "", source)


ANCHORS_REFUSED = (
    "anchors and aliases (&name, *name, <<:) are not allowed here: write each entry out in full"
)


def _first_anchor_line(text: str) -> int | None:
    """The line of the first anchor or alias, read from the parser's events (one pass, no
    building): a few hundred bytes of nested aliases would otherwise expand into billions of
    nodes and hold the importer for hours. A directory has no use for them."""
    try:
        for event in YAML(typ="rt").parse(text):
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None):
                return int(event.start_mark.line) + 1
    except (MarkedYAMLError, ReaderError, RecursionError):
        return None  # not valid YAML: the full load below says where and why
    return None


def _impossible_date_line(lines: list[str]) -> int:
    for number, line in enumerate(lines, start=1):
        for found in _DATE_LIKE.finditer(line):
            try:
                date(*(int(part) for part in found.groups()))
            except ValueError:
                return number
    return 1


def _entries(pairs: list[tuple[Node, Any]]) -> list[Any]:
    return [entry for _, entry in pairs]


def _unique(source: Source, key: str, pairs: list[tuple[Node, Any]]) -> list[tuple[Node, Any]]:
    seen: set[str] = set()
    for node, entry in pairs:
        if entry is None:
            continue
        slug = entry.values["slug"] if isinstance(entry, GroupEntry) else entry.slug
        if slug in seen:
            node.fail(key, f"{slug!r} appears twice")
        seen.add(slug)
    return pairs


def _unique_phones(source: Source, pairs: list[tuple[Node, Any]]) -> None:
    # Facilitator commands are recognised by the sender's number: it must name one person,
    # counting those stored and not in this file.
    in_file = {entry.slug for _, entry in pairs if entry is not None}
    owners = {p: s for p, s in source.rules.facilitator_phones.items() if s not in in_file}
    for node, entry in pairs:
        if entry is None:
            continue
        if entry.phone in owners:
            node.fail("phone", "another facilitator has this number")
        owners[entry.phone] = entry.slug


def _slug(node: Node, key: str, limit: int) -> str | None:
    value = node.data.get(key)
    if value is None:
        node.missing(key)
        return None
    if not isinstance(value, str) or not _SLUG.fullmatch(value) or len(value) > limit:
        node.fail(key, f"lowercase letters, digits and dashes, at most {limit}: hope-circle")
        return None
    return value


def _languages(node: Node, required: bool) -> list[str]:
    return node.choices("languages", node.source.rules.languages, required)


def _person(node: Node, keys: set[str]) -> tuple[str | None, str | None, str | None]:
    node.only(keys)
    return _slug(node, "id", 40), node.text("name", 60), node.phone("phone", staff=True)


def _coordinator(node: Node) -> tuple[Node, PersonEntry | None]:
    slug, name, phone = _person(node, {"id", "name", "phone", "email", "languages", "timezone"})
    email = node.text("email", 200, required=False)
    languages, zone = _languages(node, False), node.zone("timezone", False)
    if not (slug and name and phone):
        return node, None
    return node, PersonEntry(slug, name, phone, languages or ["en"], zone, email=email)


def _facilitator(node: Node) -> tuple[Node, PersonEntry | None]:
    keys = {"id", "name", "phone", "languages", "on_call", "timezone"}
    slug, name, phone = _person(node, keys)
    languages, zone = _languages(node, True), node.zone("timezone", False)
    on_call = node.boolean("on_call", False)
    if not (slug and name and phone and languages):
        return node, None
    return node, PersonEntry(slug, name, phone, languages, zone, on_call=on_call)


_GROUP_KEYS = {
    "slug", "name", "alias", "topics", "audience", "languages", "format", "location", "dial_in",
    "timezone", "starts_on", "schedule", "start_time", "duration_minutes", "capacity",
    "accessibility", "facilitators", "last_verified",
}  # fmt: skip


def _group(node: Node, known_facilitators: set[str]) -> tuple[Node, GroupEntry | None]:
    before = len(node.source.problems)
    node.only(_GROUP_KEYS)
    values: dict[str, Any] = {
        "slug": _slug(node, "slug", 60),
        "name": node.text("name", 32),
        "alias": _alias(node),
        "topics": node.choices("topics", TOPICS, required=True),
        "audience": node.choices("audience", AUDIENCES),
        "languages": _languages(node, True),
        "accessibility": node.choices("accessibility", ACCESSIBILITY),
        "capacity": node.integer("capacity", 1, 1000, required=False),
        "duration_minutes": node.integer("duration_minutes", 5, 720),
        "last_verified": _verified(node),
        **_format_fields(node),
        **_schedule_fields(node),
    }
    facilitators = _group_facilitators(node, known_facilitators)
    if len(node.source.problems) != before:
        return node, None
    return node, GroupEntry(values, facilitators)


def _alias(node: Node) -> str | None:
    alias = node.text("alias", 32)
    if alias is None:
        return None
    return node.checked("alias", lambda: neutral_alias(alias))


def _verified(node: Node) -> date | None:
    value = node.day("last_verified")
    if value is not None and value > node.source.rules.today:
        node.fail("last_verified", "is in the future")
        return None
    return value


def _format_fields(node: Node) -> dict[str, Any]:
    value = node.data.get("format")
    if value is None:
        node.missing("format")
    elif value not in FORMATS:
        node.fail("format", f"choose one of {', '.join(FORMATS)}")
        value = None
    values: dict[str, Any] = {"format": GroupFormat(value) if value else None}
    values |= _location(node, required=value == GroupFormat.IN_PERSON.value)
    values |= _dial_in(node, required=value == GroupFormat.PHONE.value)
    return values


def _location(node: Node, required: bool) -> dict[str, Any]:
    location = node.mapping("location")
    if location is None:
        if required:
            node.missing("location")
        return {}
    location.only({"name", "address", "zip", "notes"})
    place = _zip_place(location)
    return {
        "location_name": location.text("name", 40),
        "address": location.text("address", 60),
        "notes": location.text("notes", 60, required=False),
        "zip": place.zip if place else None,
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
    }


def _zip_place(location: Node) -> zips.ZipPlace | None:
    value = location.quoted("zip", "")
    if value is None:
        return None
    return location.checked("zip", lambda: zip_place(value))


def _dial_in(node: Node, required: bool) -> dict[str, Any]:
    dial_in = node.mapping("dial_in")
    if dial_in is None:
        if required:
            node.missing("dial_in")
        return {}
    dial_in.only({"number", "code"})
    raw = dial_in.quoted("code", "", required=False)
    code = None if raw is None else dial_in.checked("code", lambda: dial_in_code(raw))
    return {"dial_in_number": dial_in.phone("number"), "dial_in_code": code}


def _schedule_fields(node: Node) -> dict[str, Any]:
    zone = node.zone("timezone", True)
    rule = node.text("schedule", 200)
    if rule is not None:
        try:
            schedules.check_rule(rule)
        except schedules.ScheduleError as error:
            node.fail("schedule", f"not a usable RRULE: {error}")
            rule = None
    return {
        "timezone": zone,
        "starts_on": node.day("starts_on"),
        "schedule": rule,
        "start_time": _clock(node),
    }


def _clock(node: Node) -> time | None:
    value = node.quoted("start_time", "")
    if value is None:
        return None
    match = _CLOCK.fullmatch(value)
    if match is None:
        node.fail("start_time", 'a 24-hour time, "18:30"')
        return None
    return time(int(match[1]), int(match[2]))


def _group_facilitators(node: Node, known: set[str]) -> list[str]:
    value = node.data.get("facilitators")
    if value is None:
        return []
    if not isinstance(value, CommentedSeq):
        node.fail("facilitators", "write a list of facilitator ids, [ana]")
        return []
    return [
        slug
        for i, slug in enumerate(value)
        if node.choice_at("facilitators", value, i, sorted(known))
    ]


# --------------------------------------------------------------------------- writing


@dataclass
class Report:
    created: dict[str, int] = field(
        default_factory=lambda: {"coordinators": 0, "facilitators": 0, "groups": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"coordinators": 0, "facilitators": 0, "groups": 0}
    )
    deactivated: dict[str, int] = field(
        default_factory=lambda: {"coordinators": 0, "facilitators": 0, "groups": 0}
    )
    meetings_created: int = 0
    notices: int = 0


def rules_for(session: Session, languages: list[str], region: str, today: date) -> Rules:
    """The rules a file is checked by, with the facilitators already stored."""
    stored = session.execute(select(Facilitator.slug, Facilitator.phone)).all()
    return Rules(
        languages=languages,
        region=region,
        today=today,
        known_facilitators={slug for slug, _ in stored},
        facilitator_phones={phone: slug for slug, phone in stored},
    )


def preview(session: Session, directory: Directory) -> Report:
    """What ``apply`` would create and update, without writing (``--dry-run``)."""
    report = Report()
    for kind, model, slugs in _kinds(directory):
        stored = set(session.scalars(select(model.slug).where(model.slug.in_(slugs))))
        report.created[kind] = len(set(slugs) - stored)
        report.updated[kind] = len(stored)
    return report


def _kinds(directory: Directory) -> list[tuple[str, Any, list[str]]]:
    return [
        ("coordinators", Coordinator, [c.slug for c in directory.coordinators]),
        ("facilitators", Facilitator, [f.slug for f in directory.facilitators]),
        ("groups", Group, [g.values["slug"] for g in directory.groups]),
    ]


def apply(
    session: Session,
    directory: Directory,
    wording: meetings.Wording,
    now: datetime,
    prune: bool = False,
) -> Report:
    """Write a checked directory in the caller's transaction: all of it, or (if anything
    raises) none of it."""
    report = Report()
    _write_people(session, Coordinator, directory.coordinators, report, "coordinators")
    _write_people(session, Facilitator, directory.facilitators, report, "facilitators")
    for entry in directory.groups:
        group = _write_group(session, entry, report)
        changes = meetings.sync(session, group, wording, now)
        report.meetings_created += changes.created
        report.notices += changes.notices
    if prune:
        _prune(session, directory, wording, now, report)
    session.flush()
    return report


def verified_today(directory: Directory, today: date) -> Directory:
    """The demo's groups, all marked verified today (so none is ever stale)."""
    groups = [replace(g, values={**g.values, "last_verified": today}) for g in directory.groups]
    return replace(directory, groups=groups)


def _write_people(
    session: Session, model: Any, entries: list[PersonEntry], report: Report, kind: str
) -> None:
    for entry in entries:
        row = session.scalar(select(model).where(model.slug == entry.slug))
        if row is None:
            row = model(slug=entry.slug)
            session.add(row)
            report.created[kind] += 1
        else:
            report.updated[kind] += 1
        _assign_person(row, entry)
    session.flush()


def _assign_person(row: Any, entry: PersonEntry) -> None:
    row.name, row.phone, row.languages = entry.name, entry.phone, list(entry.languages)
    row.timezone, row.active = entry.timezone, True
    if isinstance(row, Facilitator):
        row.on_call = entry.on_call
    else:
        row.email = entry.email


def _write_group(session: Session, entry: GroupEntry, report: Report) -> Group:
    slug = entry.values["slug"]
    group = session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        group = Group(slug=slug)
        session.add(group)
        report.created["groups"] += 1
    else:
        report.updated["groups"] += 1
    for column in _GROUP_COLUMNS:
        setattr(group, column, entry.values.get(column))
    group.active = True
    group.facilitators = list(
        session.scalars(select(Facilitator).where(Facilitator.slug.in_(entry.facilitators)))
    )
    session.flush()
    return group


_GROUP_COLUMNS = (
    "name", "alias", "topics", "audience", "languages", "format", "location_name", "address",
    "zip", "notes", "latitude", "longitude", "dial_in_number", "dial_in_code", "timezone",
    "starts_on", "schedule", "start_time", "duration_minutes", "capacity", "accessibility",
    "last_verified",
)  # fmt: skip


def _prune(
    session: Session, directory: Directory, wording: meetings.Wording, now: datetime, report: Report
) -> None:
    for kind, model, slugs in _kinds(directory):
        gone = session.scalars(select(model).where(model.active, model.slug.not_in(slugs)))
        for row in list(gone):
            _deactivate(session, row, wording, now, report)
            report.deactivated[kind] += 1


def _deactivate(
    session: Session, row: Any, wording: meetings.Wording, now: datetime, report: Report
) -> None:
    row.active = False
    if isinstance(row, Facilitator):
        row.on_call = False
    if isinstance(row, Group):
        report.notices += meetings.cancel_future(session, row, wording, now)
