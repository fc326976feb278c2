"""Exactly once against real workers, real Redis and the simulator (SPEC §9): a worker killed
mid-request, Twilio failing before and after it recorded (also on resends), Redis flushed.
Every member gets the text once: no duplicate, and no gap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.extensions import phoneline
from app.models import OutboxItem, OutboxStatus
from app.simulator import Disorder, Fault
from tests.outbox_support import broadcast_text, midday_zone, number
from tests.privacy_scan import scan_output
from workers.sweep import sweep_once

MEMBERS = 500


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "50"
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


@pytest.fixture
def broadcast(session):
    for n in range(MEMBERS):
        broadcast_text(session, number(n))


def worker(settings, *args: str) -> subprocess.Popen[bytes]:
    """``phoneline worker`` in its own process, configured as the test app is; what it logs is
    scanned for personal data after the test."""
    environ = {k: str(v) for k, v in settings.items() if k != "INSTANCE_PATH"}
    environ["PHONELINE_INSTANCE"] = settings["INSTANCE_PATH"]
    code = "from app.cli import main; main()"
    output = Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1])
    scan_output(output)
    with output.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-c", code, "worker", *args],
            env={**os.environ, **environ},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def finish(app, settings, simulator) -> None:
    """What the line does over the next minutes, compressed: leases expire, unknown rows are
    looked up twice, lost jobs are handed out again, and a worker drains it all."""
    now = utcnow()
    for step in (timedelta(minutes=11), timedelta(minutes=12, seconds=2)):
        sweep_once(phoneline(app).db, now + step)
        assert worker(settings, "--burst").wait(timeout=120) == 0
    simulator.wait_idle()


def received(simulator) -> int:
    return len({m.to for m in simulator.store.messages.values()})


def killed_mid_request(settings, simulator, after: int) -> None:
    """A worker sends until Twilio holds ``after`` texts, then is SIGKILLed while Twilio has
    recorded its next text and not answered."""
    first = worker(settings)
    wait_for(lambda: len(simulator.store.messages) >= after)
    held = simulator.add_fault(Fault(status=0, when="after", hold=True))
    wait_for(lambda: held in simulator.faults.held)
    first.send_signal(signal.SIGKILL)
    first.wait()
    simulator.faults.release_held()


def test_a_worker_killed_mid_request_still_texts_everyone_exactly_once(
    app, settings, broadcast, simulator
):
    simulator.disorder = Disorder.NEVER  # no callback may settle it: only the lists can
    killed_mid_request(settings, simulator, after=100)
    assert worker(settings, "--burst").wait(timeout=120) == 0
    finish(app, settings, simulator)
    assert (len(simulator.store.messages), received(simulator)) == (MEMBERS, MEMBERS)
    assert simulator.duplicate_texts() == []


def test_500s_after_recording_and_429s_still_text_everyone_exactly_once(
    app, settings, broadcast, simulator
):
    simulator.disorder = Disorder.NEVER
    simulator.add_fault(Fault(status=500, when="after", times=10**9, every=10, offset=3))  # 10%
    simulator.add_fault(Fault(status=429, when="before", times=10**9, every=20, offset=7))  # 5%
    first = worker(settings)
    wait_for(lambda: len(simulator.store.messages) >= 200)
    first.send_signal(signal.SIGKILL)
    first.wait()
    simulator.faults.clear()
    finish(app, settings, simulator)
    assert (len(simulator.store.messages), received(simulator)) == (MEMBERS, MEMBERS)
    assert simulator.duplicate_texts() == []


def flaky_twilio() -> list[Fault]:
    """Twilio failing 15% of creates for the whole run, resends included: 5% a 500 after it
    recorded the text, 5% a 503 before, 5% a 429."""
    return [
        Fault(status=500, when="after", times=10**9, every=20, offset=3),
        Fault(status=503, when="before", times=10**9, every=20, offset=13),
        Fault(status=429, when="before", times=10**9, every=20, offset=7),
    ]


def settle(app, settings, simulator, passes: int = 12) -> None:
    """The line over the next hours, compressed: each pass moves the clock half an hour on (a
    claim's lease expires, the next look is due, every backoff has passed), sweeps, and lets a
    worker drain what is due; until no row is in flight."""
    clock = utcnow()
    for _ in range(passes):
        clock = max(clock, utcnow()) + timedelta(minutes=31)
        sweep_once(phoneline(app).db, clock)
        assert worker(settings, "--burst").wait(timeout=120) == 0
        simulator.wait_idle()
        if not in_flight(app):
            return


def in_flight(app) -> dict[OutboxStatus, int]:
    """Rows the line is still working on (an unknown row it gave up on is not one)."""
    with phoneline(app).db.session() as session:
        rows = session.scalars(
            select(OutboxItem.status).where(
                OutboxItem.status.in_(BUSY)
                | (
                    (OutboxItem.status == OutboxStatus.UNKNOWN)
                    & OutboxItem.next_check_at.is_not(None)
                )
            )
        )
        return Counter(rows)


def statuses(app) -> set[OutboxStatus]:
    with phoneline(app).db.session() as session:
        return set(session.scalars(select(OutboxItem.status).distinct()))


BUSY = (OutboxStatus.PENDING, OutboxStatus.QUEUED, OutboxStatus.SENDING)


def test_a_broadcast_to_200_through_5xx_429_and_a_killed_worker_texts_everyone_once(
    app, settings, session, simulator
):
    for n in range(200):
        broadcast_text(session, number(n))
    simulator.disorder = Disorder.NEVER  # only Twilio's lists can settle what is unknown
    for fault in flaky_twilio():
        simulator.add_fault(fault)
    killed_mid_request(settings, simulator, after=60)
    settle(app, settings, simulator)
    assert statuses(app) <= {OutboxStatus.SENT, OutboxStatus.DELIVERED}  # none in flight or lost
    assert (len(simulator.store.messages), received(simulator)) == (200, 200)
    assert simulator.duplicate_texts() == []


def test_a_flushed_redis_loses_nothing(app, settings, broadcast, simulator):
    sweep_once(phoneline(app).db)  # every row handed to RQ...
    phoneline(app).redis.flushdb()  # ...and RQ's queues gone
    finish(app, settings, simulator)
    assert received(simulator) == MEMBERS
    assert simulator.duplicate_texts() == []
