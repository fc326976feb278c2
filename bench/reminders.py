"""Reminders at scale against the Twilio API simulator at 100 ms per request.

    .venv/bin/python bench/reminders.py [--future 100000] [--due 10000] [--plan 2000] [--cap 100]

Prints: the sweep's time per tick (median and worst of ``--ticks``) with 100,000 reminders
planned over the next 30 days and nothing due; the time to plan the reminders of 2,000 RSVPs
through ``reminders.plan``; and how long 10,000 reminders due in the same hour take to go out
at a cap of 100/s from two ``phoneline worker --burst`` processes (time at the simulator against
the ideal, the worst one-second window, duplicates). Each due reminder passes every send-time
check (the RSVP and meeting still live, the member's channel, consent, 30-minute spacing, quiet
hours, the first-text wording). The simulator runs in its own process, the database is a fresh
SQLite file, Redis the embedded server of a fresh instance folder; no web app runs, so status
callbacks are off and the numbers are the sweep and send paths alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadcast import _environ, send_with_workers

from app import create_app
from app.db import utcnow
from app.extensions import phoneline
from app.migrate import upgrade
from app.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    Group,
    GroupFormat,
    Meeting,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
    Rsvp,
    RsvpStatus,
)
from app.phones import number_hash
from app.services import reminders
from workers.sweep import sweep_once

MEETINGS = 300  # the future reminders are spread over this many meetings


def main() -> None:
    options = _options()
    instance = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    environ = _environ(instance)
    app = create_app({**environ, "INSTANCE_PATH": str(instance)})
    upgrade(phoneline(app).db)
    with app.app_context():
        arranged = future_reminders(app, options.future)
        median, worst = sweep_ticks(app, options.ticks)
        print(
            f"sweep with {arranged} future reminders: {median * 1000:.1f} ms per tick "
            f"(median of {options.ticks}; worst {worst * 1000:.1f} ms), nothing due"
        )
        planned, seconds = plan_rsvps(app, options.plan)
        print(
            f"plan the reminders of {options.plan} RSVPs: {seconds:.2f} s ({planned} rows, "
            f"{seconds / max(options.plan, 1) * 1000:.1f} ms per RSVP)"
        )
        result = send_due(app, environ, instance, options)
        ideal = options.due / options.cap
        print(
            f"{options.due} reminders due in the same hour, cap {options.cap:.0f}/s, 2 workers: "
            f"{result['span']:.1f} s at the simulator (ideal {ideal:.0f} s; "
            f"{result['wall']:.1f} s with worker start-up), worst one-second window "
            f"{result['peak']:.0f}, duplicates {result['dupes']:.0f}; rows: {result['outcomes']}"
        )


def _group(session: Any, slug: str) -> Group:
    group = Group(
        slug=slug, name=slug, alias=f"{slug} group", topics=["general"], audience=["adults"],
        languages=["en"], format=GroupFormat.IN_PERSON, location_name="Library",
        address="1 Main St", zip="94110", timezone="America/Los_Angeles",
        starts_on=date(2026, 9, 1), schedule="FREQ=WEEKLY;BYDAY=TU", start_time=clock(18, 30),
        duration_minutes=90, last_verified=date(2026, 11, 1),
        active=False,  # so the sweep's schedule task leaves these hand-made meetings alone
    )  # fmt: skip
    session.add(group)
    session.flush()
    return group


def _meeting(session: Any, group: Group, starts_in: timedelta, n: int) -> Meeting:
    starts = utcnow().replace(microsecond=0) + starts_in
    meeting = Meeting(
        group_id=group.id, original_date=date(2000, 1, 1) + timedelta(days=n), starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
    )  # fmt: skip
    session.add(meeting)
    session.flush()
    return meeting


def _members(session: Any, prefix: str, count: int, secret: str) -> list[int]:
    digits = 12 - len(prefix)  # E.164 +1 and ten digits
    phones = [f"{prefix}{n:0{digits}d}" for n in range(count)]
    rows = [{"phone": p, "language": "en", "reminder_channel": ReminderChannel.SMS} for p in phones]
    session.execute(insert(Member), rows)
    session.execute(
        insert(ConsentEvent),
        [{"phone_hash": number_hash(p, secret), "purpose": ConsentPurpose.REMINDERS_SMS,
          "granted": True, "source": ConsentSource.SMS} for p in phones],
    )  # fmt: skip
    found = session.execute(select(Member.id).where(Member.phone.like(f"{prefix}%")))
    return [member_id for (member_id,) in found]


def _rsvps(session: Any, member_ids: list[int], meeting_ids: list[int]) -> list[int]:
    rows = [
        {"member_id": m, "meeting_id": meeting_ids[i % len(meeting_ids)],
         "status": RsvpStatus.CONFIRMED, "source": "sms"}
        for i, m in enumerate(member_ids)
    ]  # fmt: skip
    session.execute(insert(Rsvp), rows)
    found = session.execute(select(Rsvp.id).where(Rsvp.member_id.in_(member_ids)))
    return [rsvp_id for (rsvp_id,) in found]


def future_reminders(app: Any, count: int) -> int:
    """``count`` pending reminder rows due over the next 30 days (not timed)."""
    ext = phoneline(app)
    with ext.db.session() as session:
        group = _group(session, "future")
        meetings = [
            _meeting(session, group, timedelta(days=2 + n * 28 / MEETINGS), n)
            for n in range(MEETINGS)
        ]
        member_ids = _members(session, "+180055", count // 2, ext.config.secret_key)
        rsvp_ids = _rsvps(session, member_ids, [m.id for m in meetings])
        starts = {m.id: m.starts_at for m in meetings}
        rsvp_rows = session.execute(
            select(Rsvp.id, Rsvp.member_id, Rsvp.meeting_id).where(Rsvp.id.in_(rsvp_ids))
        ).all()
        phones = dict(session.execute(select(Member.id, Member.phone)).all())
        rows = [
            _outbox_row(rsvp_id, member_id, phones[member_id], starts[meeting_id] - offset, tag)
            for rsvp_id, member_id, meeting_id in rsvp_rows
            for offset, tag in ((timedelta(days=1), "1d"), (timedelta(hours=2), "2h"))
        ]
        session.execute(insert(OutboxItem), rows)
    return len(rows)


def _outbox_row(rsvp_id: int, member_id: int, phone: str, due: Any, tag: str) -> dict[str, Any]:
    return {
        "kind": OutboxKind.SMS, "purpose": OutboxPurpose.REMINDER, "priority": 4,
        "recipient": phone, "member_id": member_id, "rsvp_id": rsvp_id,
        "template": reminders.SMS_TEMPLATE, "params": {}, "language": "en", "due_at": due,
        "status": OutboxStatus.PENDING, "dedupe_key": f"reminder:{rsvp_id}:{tag}:bench",
    }  # fmt: skip


def sweep_ticks(app: Any, ticks: int) -> tuple[float, float]:
    database = phoneline(app).db
    times = []
    for _ in range(ticks):
        started = time.perf_counter()
        sweep_once(database)
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


def plan_rsvps(app: Any, count: int) -> tuple[int, float]:
    """Time ``reminders.plan`` for ``count`` RSVPs made now to meetings 3 to 5 days away."""
    ext = phoneline(app)
    times = reminders.ReminderTimes.of(ext.config)
    with ext.db.session() as session:
        group = _group(session, "planned")
        meetings = [
            _meeting(session, group, timedelta(days=3 + n / 10), 1000 + n) for n in range(20)
        ]
        member_ids = _members(session, "+1877555", count, ext.config.secret_key)
        rsvp_ids = _rsvps(session, member_ids, [m.id for m in meetings])
    started = time.perf_counter()
    with ext.db.session() as session:
        planned = sum(
            len(reminders.plan(session, session.get(Rsvp, rsvp_id), times, utcnow()))  # type: ignore[arg-type]
            for rsvp_id in rsvp_ids
        )
    return planned, time.perf_counter() - started


def send_due(app: Any, environ: dict[str, str], instance: Path, options: Any) -> dict[str, Any]:
    """``options.due`` reminders for meetings 3 hours away, due over the past hour."""
    ext = phoneline(app)
    with ext.db.session() as session:
        group = _group(session, "due")
        meetings = [_meeting(session, group, timedelta(hours=3), 2000 + n) for n in range(10)]
        member_ids = _members(session, "+1888555", options.due, ext.config.secret_key)
        rsvp_ids = _rsvps(session, member_ids, [m.id for m in meetings])
        rsvp_rows = session.execute(
            select(Rsvp.id, Rsvp.member_id, Member.phone)
            .join(Member, Member.id == Rsvp.member_id)
            .where(Rsvp.id.in_(rsvp_ids))
        ).all()
        now = utcnow()
        rows = [
            _outbox_row(rsvp_id, member_id, phone, now - timedelta(seconds=n % 3600), "due")
            for n, (rsvp_id, member_id, phone) in enumerate(rsvp_rows)
        ]
        session.execute(insert(OutboxItem), rows)
    result = send_with_workers(app, environ, instance, options.latency, f"{options.cap:g}")
    return {**result, "outcomes": _outcomes(app)}


def _outcomes(app: Any) -> str:
    with phoneline(app).db.session() as session:
        counts = session.execute(
            select(OutboxItem.status, OutboxItem.error_code, func.count())
            .where(OutboxItem.due_at <= utcnow())
            .group_by(OutboxItem.status, OutboxItem.error_code)
        ).all()
    return ", ".join(f"{s.value} {n}" + (f" (code {c})" if c else "") for s, c, n in counts)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency", type=float, default=100.0, help="milliseconds per request")
    parser.add_argument("--future", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--plan", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--cap", type=float, default=100.0)
    return parser.parse_args()


if __name__ == "__main__":
    main()
