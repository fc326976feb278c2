"""Replies, crisis messages and alerts leave at once instead of at the next sweep.

The sweep (SPEC §9) stays the source of truth: it finds every due row in the database. But it
runs every few seconds per worker, and a member who just texted, or a facilitator who must hear
about an urgent request, should not wait for it. So when a transaction that wrote such rows
commits, their ids go straight to the ``replies`` queue. The job is the ordinary
``send_batch``: its atomic claim makes a kick and a sweep that both hand out a row send it once.
If Redis is down the kick is lost and nothing else is: the row is still pending in the
database and the sweep sends it when a worker can.
"""

from __future__ import annotations

import logging

import redis
from rq import Queue
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from app.models import OutboxItem

log = logging.getLogger(__name__)

_PENDING = "outbox_kick"


def remember(session: Session, item: OutboxItem) -> None:
    """Called by ``outbox.enqueue`` for a row that should not wait for the sweep."""
    session.info.setdefault(_PENDING, []).append(item.id)


def install(sessions: sessionmaker[Session], queue: Queue) -> None:
    """Hand remembered rows to RQ after their transaction commits (never before: a worker
    must find the row it is given). ``queue`` should sit on a connection with a short timeout:
    the webhook waits for this, and a hung Redis must cost it under a second, not ten."""

    def after_commit(session: Session) -> None:
        ids = session.info.pop(_PENDING, None)
        if not ids:
            return
        try:
            queue.enqueue(
                "workers.dispatch.send_batch",
                sorted(set(ids)),
                result_ttl=0,
                job_timeout=300,
            )
        except redis.RedisError as error:
            log.warning("kick lost (%s); the sweep will send rows", type(error).__name__)

    def forget(session: Session, previous: SessionTransaction) -> None:
        # A savepoint rolled back (a dedupe key already taken) undoes only its own row, which
        # never reached the list; the rows remembered before it still commit.
        if not previous.nested:
            session.info.pop(_PENDING, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_soft_rollback", forget)
