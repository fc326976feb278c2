"""The worker entry point: an RQ worker that also sweeps the database for due work."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from rq import SimpleWorker

from app.extensions import QUEUE_NAMES, phoneline
from workers.sweep import SweepTimer, sweep_once

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 5.0


class PhonelineWorker(SimpleWorker):
    """Jobs run in the worker process itself (no fork per job: the app, its database pool and
    its Twilio client stay warm). The sweep runs from the heartbeat, which RQ calls after every
    job and at least every ``dequeue_timeout`` seconds while idle, so it needs no thread."""

    sweep_timer: SweepTimer | None = None

    @property
    def dequeue_timeout(self) -> int:
        return max(1, int(SWEEP_INTERVAL))

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        super().heartbeat(*args, **kwargs)
        if self.sweep_timer is not None:
            self.sweep_timer.maybe_run()


def run_worker(app: Flask, burst: bool = False) -> bool:
    """Work until stopped; with ``burst``, sweep once, drain what is queued and return."""
    ext = phoneline(app)
    queues = [ext.queues[name] for name in QUEUE_NAMES]
    worker = PhonelineWorker(queues, connection=ext.redis)
    if burst:
        sweep_once(ext.db)
    else:
        worker.sweep_timer = SweepTimer(ext.db, interval=SWEEP_INTERVAL)
    # RQ logs at the process's level (INFO under ``phoneline worker``; DEBUG in the test suite,
    # whose privacy scan reads everything RQ says).
    level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
    return worker.work(burst=burst, logging_level=level)
