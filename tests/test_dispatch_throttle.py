"""The shared limiter, measured where it matters: at the simulator's receive time."""

import threading
import time

import pytest

from app.models import OutboxKind, OutboxPurpose
from app.services import outbox
from app.services.outbox import Outgoing
from tests.outbox_support import broadcast_text, midday_zone, number
from workers.dispatch import send_batch


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "10"
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def texts(session, count):
    return [broadcast_text(session, number(n)).id for n in range(count)]


def in_workers(app, *batches):
    def work(batch):
        with app.app_context():
            send_batch(batch)

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    return threads


def test_two_workers_never_go_over_the_cap_in_any_second_for_30_seconds(app, session, simulator):
    ids = texts(session, 300)
    for thread in in_workers(app, ids[0::2], ids[1::2]):
        thread.join()
    assert len(simulator.store.messages) == 300
    assert simulator.peak_rate("Messages", segments=True) <= 11


def test_a_reply_goes_ahead_of_a_broadcast_in_progress(app, session, simulator):
    bulk = texts(session, 80)
    threads = in_workers(app, *(bulk[i::4] for i in range(4)))  # four workers' worth in flight
    time.sleep(1.0)
    reply = outbox.enqueue(
        session,
        Outgoing(
            OutboxKind.SMS, OutboxPurpose.REPLY, "+18665550100", "broadcast.message", "en",
            params={"text": "Your callback is booked."},
        ),
    )  # fmt: skip
    session.commit()
    asked = time.monotonic()
    for thread in in_workers(app, [reply.id]):
        thread.join()
    waited = time.monotonic() - asked
    for thread in threads:
        thread.join()
    assert waited < 2.0  # behind at most a second of bulk, not the 3.5 s that 32 in flight book
