"""The shared limiter, measured where it matters: at the simulator's receive time."""

import threading

import pytest

from app.models import OutboxKind, OutboxPurpose
from app.services import outbox
from app.services.outbox import Outgoing
from workers.dispatch import send_batch


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "10"
    return settings


def texts(session, count, purpose=OutboxPurpose.BROADCAST, start=0):
    ids = []
    for n in range(start, start + count):
        item = outbox.enqueue(
            session,
            Outgoing(
                OutboxKind.SMS,
                purpose,
                f"+1415555{n:04d}",
                "broadcast.message",
                "en",
                params={"text": "See you Tuesday."},
            ),
        )
        ids.append(item.id)
    session.commit()
    return ids


def test_two_workers_never_go_over_the_cap_in_any_second(app, session, simulator):
    ids = texts(session, 60)

    def worker(batch):
        with app.app_context():
            send_batch(batch)

    threads = [threading.Thread(target=worker, args=(ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(simulator.store.messages) == 60
    assert simulator.peak_rate("Messages", segments=True) <= 11
