"""The outbox's sweep tasks (SPEC §9): what is due goes to RQ, stale claims expire, unknown rows
are reconciled against Twilio's lists, and rows without a final status are polled.

Every task reads through an index and is idempotent, so every worker may run them at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Config
from app.extensions import phoneline
from app.models import OutboxItem, OutboxPurpose, OutboxStatus
from app.services import outbox
from workers import reconcile
from workers.dispatch import HEADROOM

SWEEP_LIMIT = 2000
CHECK_LIMIT = 200
JOB_TIMEOUT = 900

QUEUE_OF = {
    OutboxPurpose.CRISIS: "replies",
    OutboxPurpose.REPLY: "replies",
    OutboxPurpose.ALERT: "alerts",
    OutboxPurpose.CALLBACK: "alerts",
    OutboxPurpose.STAFF: "alerts",
    OutboxPurpose.NOTICE: "default",
    OutboxPurpose.REMINDER: "default",
    OutboxPurpose.BROADCAST: "bulk",
}


def enqueue_due(session: Session, now: datetime) -> int:
    """Due pending rows -> queued, handed to RQ in batches of ids under deterministic job ids.
    The job is enqueued only for rows this sweep moved, so two sweeping workers never both
    hand out the same row (and the claim would stop a second send anyway)."""
    ext = phoneline()
    by_queue: dict[str, list[int]] = defaultdict(list)
    for item in outbox.due(session, now, SWEEP_LIMIT):
        by_queue[QUEUE_OF[item.purpose]].append(item.id)
    moved = 0
    for name, ids in by_queue.items():
        taken = sorted(outbox.mark_queued(session, ids, now))
        for batch in _batches(taken, batch_size(ext.config, name)):
            ext.queues[name].enqueue(
                "workers.dispatch.send_batch",
                batch,
                job_id=f"outbox-{batch[0]}-{batch[-1]}-{len(batch)}",
                job_timeout=JOB_TIMEOUT,
                result_ttl=0,
            )
        moved += len(taken)
    return moved


# Queues whose jobs wait on the bulk lane of the limiter.
BULK_QUEUES = frozenset({"default", "bulk"})


def batch_size(config: Config, queue: str) -> int:
    """Enough ids to keep ``SEND_CONCURRENCY`` requests in flight; but a bulk job holds its
    worker until its last send's slot, and a reply kicked meanwhile waits for a free worker.
    So a bulk job carries about one second of the SMS cap, never more."""
    size = config.send_concurrency * 4
    if queue in BULK_QUEUES and config.sms_max_per_second > 0:
        per_second = int(config.sms_max_per_second * HEADROOM)
        size = min(size, max(1, per_second))
    return size


def _batches(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def reconcile_unknown(session: Session, now: datetime) -> int:
    ids = outbox.checks_due(session, OutboxStatus.UNKNOWN, now, CHECK_LIMIT)
    gateway = phoneline().gateway
    assert gateway is not None
    for item_id in ids:
        item = session.get(OutboxItem, item_id, with_for_update=True)
        if item is not None and item.status is OutboxStatus.UNKNOWN:
            reconcile.check(session, gateway, item, now)
    return len(ids)


def poll_unfinished(session: Session, now: datetime) -> int:
    """Rows with no final status ``POLL_AFTER`` after sending: ask Twilio (SPEC §9)."""
    ids = outbox.checks_due(session, OutboxStatus.SENT, now, CHECK_LIMIT)
    gateway = phoneline().gateway
    assert gateway is not None
    for item_id in ids:
        item = session.get(OutboxItem, item_id, with_for_update=True)
        if item is not None and item.status is OutboxStatus.SENT and item.twilio_sid:
            reconcile.poll(session, gateway, item, now)
            if item.status is OutboxStatus.SENT:
                item.next_check_at = now + outbox.POLL_EVERY
    return len(ids)
