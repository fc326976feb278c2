"""The shared limiter, measured where it matters: at the simulator's receive time."""

import threading

import pytest

from tests.outbox_support import broadcast_text, midday_zone, number
from workers.dispatch import send_batch


@pytest.fixture
def settings(settings):
    settings["SMS_MAX_PER_SECOND"] = "10"
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def texts(session, count):
    return [broadcast_text(session, number(n)).id for n in range(count)]


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
