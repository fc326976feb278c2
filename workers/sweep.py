"""The due-work sweep (SPEC §9): a timer inside every worker, never a job stored in Redis.

Each task reads what is due from the database through an index and acts idempotently, so any
number of workers may sweep at once and a flushed Redis loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.db import Database, utcnow
from app.services import outbox
from app.services.schedules import extend_horizon
from workers import callbacks, outbox_sweep, recordings, retention, twilio_deletions

log = logging.getLogger(__name__)

SweepTask = Callable[[Session, datetime], int]

TASKS: dict[str, SweepTask] = {
    "expire_callbacks": callbacks.expire_callbacks,
    # Escalation writes alert rows, so it runs before the outbox hands out what is due.
    "escalate_callbacks": callbacks.escalate_callbacks,
    "alert_crisis_texts": callbacks.alert_crisis_texts,
    "fetch_recordings": recordings.fetch_recordings,
    "purge_recordings": recordings.purge_recordings,
    "delete_recordings_at_twilio": twilio_deletions.delete_recordings,
    # SPEC §12: message content, notes and inactive members past their retention; then Twilio's
    # copies of the messages whose records went (here or by erasure).
    "apply_retention": retention.apply_retention,
    "delete_messages_at_twilio": twilio_deletions.delete_messages,
    "extend_meetings": extend_horizon,
    # The outbox (SPEC §9): stale claims first, so what they free is reconciled and re-sent in
    # the same sweep.
    "outbox_expire_claims": outbox.expire_claims,
    "outbox_reconcile": outbox_sweep.reconcile_unknown,
    "outbox_poll": outbox_sweep.poll_unfinished,
    "outbox_enqueue": outbox_sweep.enqueue_due,
}


def sweep_once(database: Database, now: datetime | None = None) -> dict[str, int]:
    """Run every task once, each in its own transaction; returns what each did."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for name, task in TASKS.items():
        try:
            with database.session() as session:
                done[name] = task(session, now)
        except Exception as error:  # noqa: BLE001 - one failing task must not stop the rest
            # An exception escaping RQ's heartbeat ends the worker, and every task would fail
            # again on the next sweep: log the task and the error's type only (its message may
            # hold data), and let the other tasks and the worker go on.
            log.error("sweep task %s failed: %s", name, type(error).__name__)
            done[name] = 0
    if any(done.values()):
        log.info("sweep %s", " ".join(f"{k}={v}" for k, v in done.items() if v))
    return done


@dataclass
class SweepTimer:
    database: Database
    interval: float = 5.0
    _next: float = field(default=0.0)

    def maybe_run(self) -> None:
        if time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.interval
        sweep_once(self.database)
