"""The worker entry point: an RQ worker that also sweeps the database for due work."""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from flask import Flask
from redis.client import PubSub
from rq import SimpleWorker

from app.extensions import QUEUE_NAMES, phoneline
from workers.sweep import SweepTimer, sweep_once

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 5.0
COMMAND_POLL = 1.0  # seconds the command listener blocks on Redis before looking up again


class CommandListener(threading.Thread):
    """Reads the worker's command channel (RQ's shutdown, kill-horse and stop-job commands).

    RQ runs redis-py's ``PubSubWorkerThread`` for this and, on leaving, sends UNSUBSCRIBE before
    it tells the thread to stop. When the thread reads the reply first, it goes back to wait up
    to a minute for a new subscription, and recent redis-py's ``stop()`` waits for the thread
    with no timeout: a ``--burst`` worker hung for a minute after "done, quitting" (rq issue
    1613). Here the loop is told to stop before the UNSUBSCRIBE goes out, so the reply ends it,
    and no read blocks longer than ``COMMAND_POLL`` should the reply never come."""

    def __init__(self, pubsub: PubSub) -> None:
        super().__init__(name="rq-commands", daemon=True)
        self.pubsub = pubsub
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.pubsub.get_message(ignore_subscribe_messages=True, timeout=COMMAND_POLL)
            except redis.ConnectionError:
                # as RQ does: Redis is away; redis-py subscribes again once it is back
                self.stopping.wait(2.0)

    def stop(self) -> None:
        self.stopping.set()


class PhonelineWorker(SimpleWorker):
    """Jobs run in the worker process itself (no fork per job: the app, its database pool and
    its Twilio client stay warm). The sweep runs from the heartbeat, which RQ calls after every
    job and at least every ``dequeue_timeout`` seconds while idle, so it needs no thread."""

    sweep_timer: SweepTimer | None = None
    command_listener: CommandListener | None = None  # in place of RQ's pubsub_thread

    @property
    def dequeue_timeout(self) -> int:
        return max(1, int(SWEEP_INTERVAL))

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.command_listener = CommandListener(self.pubsub)
        self.command_listener.start()

    def unsubscribe(self) -> None:
        listener, pubsub = self.command_listener, self.pubsub
        if listener is None or pubsub is None:
            return
        listener.stop()  # first: the reply to UNSUBSCRIBE then always finds the loop stopping
        pubsub.unsubscribe()
        listener.join(timeout=2 * COMMAND_POLL)
        pubsub.close()
        self.command_listener = None

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
