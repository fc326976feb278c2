"""Broadcasts (SPEC §4, §9): one text per language to a group's members or a meeting's RSVPs.

A group's audience is every member with a non-cancelled RSVP to one of its meetings in the last
90 days and ``broadcasts`` consent; a meeting's is its live RSVPs, who agreed to ``notices`` when
they RSVPed (so a meeting broadcast goes out as a notice). Planning writes one outbox row per
recipient, due at ``send_at``: quiet hours and consent are applied again at send time, per
recipient, by the dispatcher.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app import segments
from app.models import (
    Broadcast,
    ConsentEvent,
    ConsentPurpose,
    Group,
    Meeting,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
    SmsStatus,
)
from app.phones import number_hash
from app.prompts import Catalog
from app.services import delivery, outbox
from app.services.directory import TOPICS

TEMPLATE = "broadcast.message"
RECENT = timedelta(days=90)
DUPLICATE_WINDOW = timedelta(hours=24)
DEFAULT_LANGUAGE = "en"


class BroadcastError(ValueError):
    """A broadcast that may not be planned; the message is for the coordinator."""


@dataclass(frozen=True)
class Target:
    """Who a broadcast goes to: a group, or one meeting of it."""

    group: Group
    meeting: Meeting | None = None

    @property
    def purpose(self) -> OutboxPurpose:
        return OutboxPurpose.NOTICE if self.meeting else OutboxPurpose.BROADCAST

    @property
    def consent(self) -> ConsentPurpose:
        return ConsentPurpose.NOTICES if self.meeting else ConsentPurpose.BROADCASTS

    @property
    def key(self) -> str:
        return f"meeting:{self.meeting.id}" if self.meeting else f"group:{self.group.id}"


@dataclass(frozen=True)
class LanguageText:
    language: str
    text: str  # what the member reads, header and footer included
    segments: int
    encoding: str
    non_gsm7: list[str]
    recipients: int


@dataclass
class Preview:
    target: Target
    texts: dict[str, str]
    send_at: datetime
    recipients: list[Member] = field(default_factory=list)
    languages: list[LanguageText] = field(default_factory=list)
    unreachable: int = 0  # blocked, invalid, landline, paused, or no consent
    skipped_language: int = 0  # reachable, but no text in their language
    topic_words: list[str] = field(default_factory=list)
    duplicate_of: int | None = None

    @property
    def segments(self) -> int:
        by_language = {entry.language: entry.segments for entry in self.languages}
        return sum(by_language[language_of(m)] for m in self.recipients)


def language_of(member: Member) -> str:
    return member.language or DEFAULT_LANGUAGE


def audience(session: Session, target: Target, now: datetime) -> list[Member]:
    """Members with a live RSVP to the meeting, or to any of the group's meetings that started
    in the last 90 days (or are still to come), each once, in id order."""
    query = select(Member).join(Rsvp, Rsvp.member_id == Member.id)
    query = query.where(Rsvp.status != RsvpStatus.CANCELLED)
    if target.meeting is not None:
        query = query.where(Rsvp.meeting_id == target.meeting.id)
    else:
        query = query.join(Meeting, Meeting.id == Rsvp.meeting_id).where(
            Meeting.group_id == target.group.id, Meeting.starts_at >= now - RECENT
        )
    return list(session.scalars(query.distinct().order_by(Member.id)))


def preview(
    session: Session,
    catalog: Catalog,
    line_name: str,
    secret: str,
    target: Target,
    texts: dict[str, str],
    send_at: datetime,
    now: datetime,
) -> Preview:
    result = Preview(target, texts, send_at)
    everyone = audience(session, target, now)
    agreed = consented(session, [m.phone for m in everyone], target.consent, secret)
    for member in everyone:
        if member.sms_status is not SmsStatus.OK or member.phone not in agreed:
            result.unreachable += 1
        elif language_of(member) not in texts:
            result.skipped_language += 1
        else:
            result.recipients.append(member)
    counts = Counter(language_of(m) for m in result.recipients)
    result.languages = [
        _language_text(catalog, line_name, lang, text, counts[lang]) for lang, text in texts.items()
    ]
    result.topic_words = topic_words(target.group, texts.values())
    result.duplicate_of = duplicate_of(session, content_hash(target, texts), now)
    return result


# Numbers per ledger query: well under SQLite's bound-parameter limit.
CONSENT_CHUNK = 900


def consented(
    session: Session, phones: list[str], purpose: ConsentPurpose, secret: str
) -> set[str]:
    """The numbers whose latest ledger entry for ``purpose`` grants it (as
    ``members.has_consent`` decides), in a query per chunk instead of one per member: planning
    10,000 recipients is a preview a coordinator waits for."""
    by_hash = {number_hash(phone, secret): phone for phone in phones}
    hashes = list(by_hash)
    latest: dict[str, bool] = {}
    for start in range(0, len(hashes), CONSENT_CHUNK):
        rows = session.execute(
            select(ConsentEvent.phone_hash, ConsentEvent.granted)
            .where(
                ConsentEvent.phone_hash.in_(hashes[start : start + CONSENT_CHUNK]),
                ConsentEvent.purpose == purpose,
            )
            .order_by(ConsentEvent.id)
        )
        latest.update({digest: granted for digest, granted in rows})  # the last one wins
    return {by_hash[digest] for digest, granted in latest.items() if granted}


def _language_text(
    catalog: Catalog, line_name: str, language: str, text: str, recipients: int
) -> LanguageText:
    final = catalog.render(language, TEMPLATE, line_name=line_name, text=text)
    counted = segments.count(final)
    return LanguageText(
        language, final, counted.count, counted.encoding, segments.non_gsm7(final), recipients
    )


def topic_words(group: Group, texts: Any) -> list[str]:
    """Words that would tell a reader what the group is about (SPEC §9, neutral wording): the
    directory's topics, the words of the group's own name that are not in its alias, and the
    word stems of ``SENSITIVE_STEMS`` in English and Spanish (case and accents folded)."""
    alias = set(_words(group.alias))
    named = {w for w in _words(group.name) if len(w) > 3 and w not in alias}
    suspect = {t for t in TOPICS if t != "general"} | named
    found: set[str] = set()
    for text in texts:
        words = set(_words(text))
        found |= {t for t in suspect if t in words or f"{t}s" in words}
        found |= {w for w in words if w.startswith(SENSITIVE_STEMS)}
    return sorted(found)


# Beginnings of words that name a reason to come to a support group, in the languages the line
# speaks: "Caregiver Resource Center", "Veteran Hall" or "Centro de Depresion" as a place name
# would say more than an alias may. Deliberately broad: a false alarm costs the place name
# (the address is used instead); a miss tells a stranger reading the phone why the member goes.
SENSITIVE_STEMS = (
    "anxi",
    "ansied",
    "depres",
    "grief",
    "griev",
    "bereave",
    "mourn",
    "hospice",
    "duelo",
    "luto",
    "caregiv",
    "cuidador",
    "trauma",
    "ptsd",
    "abuse",
    "abuso",
    "assault",
    "bipolar",
    "recover",
    "recupera",
    "addict",
    "adicci",
    "sober",
    "sobri",
    "alcohol",
    "narcot",
    "substance",
    "rehab",
    "lgbt",
    "gay",
    "lesbian",
    "queer",
    "transgender",
    "veteran",
    "veterano",
    "suicid",
    "mental",
    "psych",
    "psiqui",
    "behavioral",
    "crisis",
    "overdose",
    "sobredosis",
    "widow",
    "viud",
    "cancer",
    "hiv",
    "vih",
    "eating",
    "schizo",
    "esquizo",
    "ocd",
    "autism",
    "autis",
)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.lower())
    return re.findall(r"[a-z]+", "".join(c for c in folded if not unicodedata.combining(c)))


def content_hash(target: Target, texts: dict[str, str]) -> str:
    canonical = json.dumps({"to": target.key, "texts": texts}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def duplicate_of(session: Session, digest: str, now: datetime) -> int | None:
    """An identical text to the same audience planned in the last 24 hours."""
    return session.scalar(
        select(Broadcast.id)
        .where(Broadcast.content_hash == digest, Broadcast.created_at >= now - DUPLICATE_WINDOW)
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def schedule(
    session: Session, planned: Preview, created_by: str, force: bool, now: datetime
) -> Broadcast:
    """Write the broadcast and one outbox row per recipient, in one transaction."""
    if planned.duplicate_of is not None and not force:
        raise BroadcastError(
            f"broadcast {planned.duplicate_of} sent the same text to the same audience in the "
            "last 24 hours; use --force to send it again"
        )
    target = planned.target
    broadcast = Broadcast(
        group_id=target.group.id,
        meeting_id=target.meeting.id if target.meeting else None,
        texts=planned.texts,
        content_hash=content_hash(target, planned.texts),
        send_at=planned.send_at,
        forced=force and planned.duplicate_of is not None,
        created_by=created_by,
        created_at=now,
        planned_at=now,
        recipients=len(planned.recipients),
        skipped_language=planned.skipped_language,
    )
    session.add(broadcast)
    session.flush()
    _write_rows(session, broadcast, planned, now)
    return broadcast


def _write_rows(session: Session, broadcast: Broadcast, planned: Preview, now: datetime) -> None:
    """One multi-row INSERT: 10,000 recipients plan in well under a second (bench/broadcast.py).
    The broadcast is new, so no row can collide with an existing dedupe key."""
    purpose = planned.target.purpose
    rows = [
        {
            "kind": OutboxKind.SMS,
            "purpose": purpose,
            "priority": outbox.PRIORITY[purpose],
            "recipient": member.phone,
            "member_id": member.id,
            "template": TEMPLATE,
            "params": {"text": planned.texts[language_of(member)]},
            "language": language_of(member),
            "dedupe_key": f"broadcast:{broadcast.id}:{member.id}",
            "broadcast_id": broadcast.id,
            "due_at": planned.send_at,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "reconcile_checks": 0,
            "created_at": now,
        }
        for member in planned.recipients
    ]
    if rows:
        session.execute(insert(OutboxItem), rows)


# --- progress, report, pause -------------------------------------------------------------------

IN_FLIGHT = (OutboxStatus.PENDING, OutboxStatus.QUEUED, OutboxStatus.SENDING)


def counts(session: Session, broadcast_id: int) -> dict[OutboxStatus, int]:
    rows = session.execute(
        select(OutboxItem.status, func.count())
        .where(OutboxItem.broadcast_id == broadcast_id)
        .group_by(OutboxItem.status)
    )
    return {status: int(n) for status, n in rows}


def unresolved(session: Session, broadcast_id: int) -> int:
    """Unknown rows reconciliation gave up on (no further check): the rest are still looked
    up and resent, so they are in flight."""
    found = session.scalar(
        select(func.count())
        .select_from(OutboxItem)
        .where(
            OutboxItem.broadcast_id == broadcast_id,
            OutboxItem.status == OutboxStatus.UNKNOWN,
            OutboxItem.next_check_at.is_(None),
        )
    )
    return int(found or 0)


@dataclass(frozen=True)
class Report:
    planned: int
    in_flight: int
    sent: int  # accepted by Twilio, no final word yet
    delivered: int
    undelivered: int
    failed: int
    unresolved: int  # unknown, and too late to send again: reported, never resent
    skipped: int  # consent revoked or the number stopped taking texts before its turn
    skipped_language: int

    @property
    def done(self) -> bool:
        return self.in_flight == 0


def report(session: Session, broadcast: Broadcast) -> Report:
    by_status = counts(session, broadcast.id)
    given_up = unresolved(session, broadcast.id)
    return Report(
        planned=sum(by_status.values()),
        in_flight=sum(by_status.get(s, 0) for s in IN_FLIGHT)
        + by_status.get(OutboxStatus.UNKNOWN, 0)
        - given_up,
        sent=by_status.get(OutboxStatus.SENT, 0),
        delivered=by_status.get(OutboxStatus.DELIVERED, 0),
        undelivered=by_status.get(OutboxStatus.UNDELIVERED, 0),
        failed=by_status.get(OutboxStatus.FAILED, 0),
        unresolved=given_up,
        skipped=by_status.get(OutboxStatus.SKIPPED, 0) + by_status.get(OutboxStatus.CANCELLED, 0),
        skipped_language=broadcast.skipped_language,
    )


def parse_send_at(text: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    """``--at``: ISO 8601, in the group's zone when it carries no offset; absent means now."""
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BroadcastError(f"--at {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(ZoneInfo("UTC"))


def resume(session: Session, broadcast_id: int, now: datetime) -> int:
    """A coordinator resumes a paused broadcast: what waits goes again at once (the dispatcher
    still holds quiet hours and consent), and the filtering run counts afresh from now.
    Returns how many texts were waiting; resuming a broadcast that is not paused does nothing."""
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    if broadcast.status != delivery.BROADCAST_PAUSED:
        return 0
    broadcast.status, broadcast.resumed_at = "scheduled", now
    waiting = [OutboxItem.broadcast_id == broadcast_id, OutboxItem.status == OutboxStatus.PENDING]
    session.execute(update(OutboxItem).where(*waiting, OutboxItem.due_at > now).values(due_at=now))
    return int(session.scalar(select(func.count()).select_from(OutboxItem).where(*waiting)) or 0)
