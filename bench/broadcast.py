"""Broadcasts end to end against the Twilio API simulator at 100 ms per request.

    .venv/bin/python bench/broadcast.py [--latency 100] [--sends 3000] [--plan 10000]

Prints: the time to plan 10,000 recipients (preview + one outbox row each); sends per second
with no cap and two ``phoneline worker --burst`` processes; a run of 3,000 at a cap of 100/s
(total time against the ideal 30 s, and the worst one-second window at the simulator's receive
time); duplicates; a broadcast to 200 through a flaky Twilio (15% of creates fail: 500 after
recording, 503 before, 429) with one of two ``phoneline worker`` processes SIGKILLed
mid-request, in real time, and how long its last member waited for the text (``--faults``);
and the naive baseline (one loop calling the twilio client per recipient, over the first 500,
extrapolated). The simulator runs in its own process; the database is a
fresh SQLite file and Redis the embedded server of a fresh instance folder. Status callbacks
are off (no web app runs), so the numbers are the send path alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
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
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from app.phones import number_hash
from app.services import broadcasts
from app.simulator import Disorder, Fault, Message, Simulator
from workers.sweep import sweep_once

LINE = "+15005550006"
TEXT = "The Tuesday group meets in room 4 this week. See you there."


def main() -> None:
    options = _options()
    instance = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    environ = _environ(instance)
    app = create_app({**environ, "INSTANCE_PATH": str(instance)})
    upgrade(phoneline(app).db)
    with app.app_context():
        seconds = plan(app, "plan", "+1800555", options.plan)
        print(f"plan {options.plan} recipients: {seconds:.2f} s (preview + outbox rows)")
        uncapped = run_sends(app, environ, instance, options, "free", "+1888555", "0")
        print(
            f"no cap, 2 workers: {uncapped['rate']:.0f} sends/second "
            f"({options.sends} texts in {uncapped['span']:.1f} s at the simulator; "
            f"{uncapped['wall']:.1f} s with worker start-up), duplicates {uncapped['dupes']}"
        )
        capped = run_sends(app, environ, instance, options, "capped", "+1877555", "100")
        ideal = options.sends / 100
        print(
            f"cap 100/s, 2 workers: {options.sends} texts in {capped['span']:.1f} s "
            f"(ideal {ideal:.0f} s), worst one-second window {capped['peak']:.0f}, "
            f"duplicates {capped['dupes']}"
        )
        if options.faults:
            faulty = run_under_faults(app, environ, instance, options)
            print(
                f"under faults ({options.faults} members; 5% 500 after Twilio recorded, 5% 503 "
                f"before, 5% 429 on every create, resends too; a worker SIGKILLed mid-request; "
                f"real 60 s look-ups): half the members texted after {faulty['half']:.0f} s, "
                f"99% after {faulty['p99']:.0f} s, the last after {faulty['last_text']:.0f} s "
                f"(delivered after {faulty['last_delivered']:.0f} s); "
                f"{faulty['members']:.0f} of {options.faults} members texted, "
                f"duplicates {faulty['dupes']:.0f}, unresolved {faulty['unresolved']:.0f}"
            )
    naive = naive_baseline(environ, instance, options)
    print(
        f"naive baseline (one loop, twilio client per recipient, first 500): "
        f"{naive:.1f} s -> {naive * options.sends / 500:.0f} s for {options.sends}, "
        f"{naive * options.plan / 500:.0f} s for {options.plan}"
    )


def _environ(instance: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'bench.db'}",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "SECRET_KEY": "bench",
        "PHONELINE_ENV": "development",
        "LINE_TIMEZONE": _midday_zone(),  # toll-free numbers fall back to it: never quiet hours
    }


def _midday_zone() -> str:
    offset = 12 - datetime.now(UTC).hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def plan(app: Any, slug: str, prefix: str, count: int, send_at: datetime | None = None) -> float:
    """Arrange a group of ``count`` members (not timed), then time preview + schedule."""
    ext = phoneline(app)
    with ext.db.session() as session:
        group = _audience(session, slug, prefix, count, ext.config.secret_key)
        target = broadcasts.Target(group)
    now = utcnow()
    started = time.perf_counter()
    with ext.db.session() as session:
        target = broadcasts.Target(session.get(Group, group.id))  # type: ignore[arg-type]
        when = send_at or now + timedelta(days=30)
        planned = broadcasts.preview(
            session, ext.prompts, ext.config.line_name, ext.config.secret_key,
            target, {"en": TEXT}, when, now,
        )  # fmt: skip
        broadcasts.schedule(session, planned, "bench", False, now)
    return time.perf_counter() - started


def _audience(session: Any, slug: str, prefix: str, count: int, secret: str) -> Group:
    group = Group(
        slug=slug, name=slug, alias=f"{slug} group", topics=["general"], audience=["adults"],
        languages=["en"], format=GroupFormat.IN_PERSON, location_name="Library",
        address="1 Main St", zip="94110", timezone="America/Los_Angeles",
        starts_on=date(2026, 9, 1), schedule="FREQ=WEEKLY;BYDAY=TU", start_time=clock(18, 30),
        duration_minutes=90, last_verified=date(2026, 11, 1),
    )  # fmt: skip
    session.add(group)
    session.flush()
    meeting = Meeting(
        group_id=group.id, original_date=date.today(), starts_at=utcnow() - timedelta(days=1),
        ends_at=utcnow() - timedelta(hours=22),
    )  # fmt: skip
    session.add(meeting)
    session.flush()
    phones = [f"{prefix}{n:04d}" for n in range(count)]
    session.execute(insert(Member), [{"phone": p, "language": "en"} for p in phones])
    found = session.execute(select(Member.phone, Member.id).where(Member.phone.like(f"{prefix}%")))
    ids = {phone: member_id for phone, member_id in found}
    session.execute(
        insert(Rsvp),
        [{"member_id": ids[p], "meeting_id": meeting.id, "status": RsvpStatus.CONFIRMED,
          "source": "sms"} for p in phones],
    )  # fmt: skip
    session.execute(
        insert(ConsentEvent),
        [{"phone_hash": number_hash(p, secret), "purpose": ConsentPurpose.BROADCASTS,
          "granted": True, "source": ConsentSource.PAPER} for p in phones],
    )  # fmt: skip
    return group


def run_sends(
    app: Any, environ: dict[str, str], instance: Path, options: Any, slug: str, prefix: str,
    cap: str,
) -> dict[str, float]:  # fmt: skip
    plan(app, slug, prefix, options.sends, send_at=utcnow())
    return send_with_workers(app, environ, instance, options.latency, cap)


def send_with_workers(
    app: Any, environ: dict[str, str], instance: Path, latency_ms: float, cap: str
) -> dict[str, float]:
    """Hand every due row to RQ, send them with two ``worker --burst`` processes against a
    simulator in its own process, and measure at the simulator (also bench/reminders.py)."""
    sim, control = _start_simulator(latency_ms / 1000)
    env = {**environ, "TWILIO_API_BASE_URL": sim, "SMS_MAX_PER_SECOND": cap}
    # The sweep sizes bulk jobs by the cap (about a second each), as the workers' own sweep
    # would: sweep here with the workers' cap.
    ext = phoneline(app)
    ext.config = replace(ext.config, sms_max_per_second=float(cap))
    while sweep_once(ext.db)["outbox_enqueue"]:
        pass  # every due row handed to RQ before the workers start
    started = time.perf_counter()
    workers = [_worker(env, instance) for _ in range(2)]
    for worker in workers:
        worker.wait()
    wall = time.perf_counter() - started
    control.send("stats")
    stats: dict[str, float] = control.recv()
    control.send("stop")
    _check_all_sent(app)
    span = stats["span"] or 1.0
    return {**stats, "wall": wall, "rate": stats["count"] / span}


def _check_all_sent(app: Any) -> None:
    with phoneline(app).db.session() as session:
        left = session.scalar(
            select(OutboxItem.id)
            .where(OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.QUEUED)))
            .where(OutboxItem.due_at <= utcnow())
            .limit(1)
        )
    assert left is None, "a due row was left unsent"


def _worker(env: dict[str, str], instance: Path, burst: bool = True) -> subprocess.Popen[bytes]:
    code = "from app.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker", *(["--burst"] if burst else [])],
        env={**os.environ, **env, "PHONELINE_INSTANCE": str(instance)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# Twilio failing 15% of creates for the whole run (resends too), as the exactly-once test does.
FLAKY = (
    Fault(status=500, when="after", times=10**9, every=20, offset=3),
    Fault(status=503, when="before", times=10**9, every=20, offset=13),
    Fault(status=429, when="before", times=10**9, every=20, offset=7),
)
FAULTS_PREFIX = "+1855555"
BUSY = (OutboxStatus.PENDING, OutboxStatus.QUEUED, OutboxStatus.SENDING)


def run_under_faults(
    app: Any, environ: dict[str, str], instance: Path, options: Any
) -> dict[str, float]:
    """A broadcast through a flaky Twilio with one of two workers killed mid-request, in real
    time: the workers' own sweeps (every 5 s), the 2-minute claim lease, the 60 s between
    looks. Timed from the workers' start to the last member's first text at the simulator
    (and to its delivery, at the simulator's Twilio-like pace)."""
    plan(app, "faults", FAULTS_PREFIX, options.faults, send_at=utcnow())
    sim, control = _start_simulator(options.latency / 1000, _control_faults)
    control.send("faults")
    control.recv()
    env = {**environ, "TWILIO_API_BASE_URL": sim, "SMS_MAX_PER_SECOND": "0"}
    started = datetime.now(UTC)
    workers = [_worker(env, instance, burst=False) for _ in range(2)]
    _until(lambda: _ask(control, "count") >= options.faults // 3)
    control.send("hold")  # the next create is recorded by Twilio and never answered
    control.recv()
    _until(lambda: _ask(control, "held") > 0)
    workers[0].kill()  # SIGKILL, mid-request
    workers[0].wait()
    control.send("release")
    control.recv()
    _until(lambda: not _in_flight(app), timeout=1800.0)
    workers[1].terminate()
    workers[1].wait()
    control.send("texted")
    texted: dict[str, Any] = control.recv()
    control.send("stop")
    waits = sorted(at - started.timestamp() for at in texted["texted"])
    return {
        "half": waits[len(waits) // 2],
        "p99": waits[int(len(waits) * 0.99) - 1],
        "last_text": waits[-1],
        "last_delivered": texted["last_delivered"] - started.timestamp(),
        "members": texted["members"],
        "dupes": texted["dupes"],
        "unresolved": _unresolved(app),
    }


def _in_flight(app: Any) -> bool:
    with phoneline(app).db.session() as session:
        busy = session.scalar(
            select(OutboxItem.id)
            .where(OutboxItem.recipient.like(f"{FAULTS_PREFIX}%"))
            .where(
                OutboxItem.status.in_(BUSY)
                | (
                    (OutboxItem.status == OutboxStatus.UNKNOWN)
                    & OutboxItem.next_check_at.is_not(None)
                )
            )
            .limit(1)
        )
    return busy is not None


def _unresolved(app: Any) -> int:
    with phoneline(app).db.session() as session:
        rows = session.scalars(
            select(OutboxItem.id).where(
                OutboxItem.recipient.like(f"{FAULTS_PREFIX}%"),
                OutboxItem.status == OutboxStatus.UNKNOWN,
            )
        )
        return len(list(rows))


def _until(condition: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the broadcast under faults did not finish"
        time.sleep(0.5)


def _ask(control: Connection, command: str) -> int:
    control.send(command)
    answer: int = control.recv()
    return answer


def _control_faults(simulator: Simulator, command: str) -> Any:
    """The commands ``run_under_faults`` sends the simulator's process."""
    if command == "faults":
        for fault in FLAKY:
            simulator.add_fault(replace(fault))
    elif command == "hold":
        simulator.add_fault(Fault(status=0, when="after", hold=True))
    elif command == "release":
        simulator.faults.release_held()
    elif command == "held":
        return len(simulator.faults.held)
    elif command == "count":
        return len(simulator.store.messages)
    else:
        return _texted(simulator)
    return None


def _texted(simulator: Simulator) -> dict[str, Any]:
    """When each member's first text reached Twilio; when the last was delivered."""
    simulator.wait_idle()
    first: dict[str, Message] = {}
    with simulator.store.lock:
        for message in sorted(simulator.store.messages.values(), key=lambda m: m.date_created):
            first.setdefault(message.to, message)
    return {
        "texted": [m.date_created.timestamp() for m in first.values()],
        "last_delivered": max(m.date_updated.timestamp() for m in first.values()),
        "members": len(first),
        "dupes": sum(len(group) - 1 for group in simulator.duplicate_texts()),
    }


def naive_baseline(environ: dict[str, str], instance: Path, options: Any) -> float:
    """What a script would do: for each recipient, call the twilio client and wait."""
    sim, control = _start_simulator(options.latency / 1000)
    app = create_app({**environ, "INSTANCE_PATH": str(instance), "TWILIO_API_BASE_URL": sim})
    gateway = phoneline(app).gateway
    assert gateway is not None
    started = time.perf_counter()
    for n in range(500):
        gateway.send_sms(f"+1866555{n:04d}", TEXT)
    elapsed = time.perf_counter() - started
    control.send("stop")
    return elapsed


Answer = Callable[[Simulator, Any], Any]


def _start_simulator(latency: float, answer: Answer | None = None) -> tuple[str, Connection]:
    """A simulator in its own process; every command sent down the pipe but "stop" gets
    ``answer(simulator, command)`` back (by default the send statistics)."""
    ours, theirs = multiprocessing.Pipe()
    target, args = _serve, (latency, theirs, answer or _answer_stats)
    multiprocessing.Process(target=target, args=args, daemon=True).start()
    url: str = ours.recv()
    return url, ours


def _serve(latency: float, pipe: Connection, answer: Answer) -> None:
    simulator = Simulator(
        PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN, line_numbers=[LINE], latency=latency
    ).start()
    simulator.disorder = Disorder.NEVER
    pipe.send(simulator.url)
    while (command := pipe.recv()) != "stop":
        pipe.send(answer(simulator, command))
    simulator.stop()


def _answer_stats(simulator: Simulator, command: Any) -> dict[str, float]:
    return _stats(simulator)


def _stats(simulator: Simulator) -> dict[str, float]:
    with simulator.store.lock:
        times = sorted(
            r.at
            for r in simulator.store.requests
            if r.resource == "Messages" and r.method == "POST"
        )
    return {
        "count": len(times),
        "span": times[-1] - times[0] if len(times) > 1 else 0.0,
        "peak": simulator.peak_rate("Messages", segments=True),
        "dupes": sum(len(group) - 1 for group in simulator.duplicate_texts()),
    }


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency", type=float, default=100.0, help="milliseconds per request")
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--plan", type=int, default=10000)
    parser.add_argument(
        "--faults", type=int, default=200, help="members of the run under faults (0: skip it)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
