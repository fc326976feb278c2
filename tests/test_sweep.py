"""The sweep (SPEC §9) keeps going when one of its tasks fails: a broken recording fetch or a
database hiccup in one task must not stop texts from going out, nor stop the worker."""

import logging

import pytest

from tests.conftest import fresh
from tests.outbox_support import broadcast_text, uncapped_at_midday
from workers import sweep
from workers.worker import run_worker

# Toll-free: no zone of its own, so LINE_TIMEZONE (midday) decides quiet hours, whatever the
# hour the suite runs at (a 415 number is held from 20:00 to 09:00 Pacific).
PHONE = "+18005550161"


@pytest.fixture
def settings(settings):
    return uncapped_at_midday(settings)


def broken(session, now):
    raise RuntimeError(f"{PHONE} said something")  # a message that must not be logged


def test_a_failing_task_does_not_stop_the_others_or_the_worker(
    app, session, simulator, monkeypatch, caplog
):
    monkeypatch.setattr(sweep, "TASKS", {"broken": broken, **sweep.TASKS})
    item = broadcast_text(session, PHONE)
    session.commit()
    with caplog.at_level(logging.ERROR, logger="workers.sweep"):
        run_worker(app, burst=True)
    simulator.wait_idle()
    assert [m.to for m in simulator.store.messages.values()] == [PHONE]
    assert fresh(session).get(type(item), item.id).status.value == "delivered"
    assert "sweep task broken failed: RuntimeError" in caplog.text
    assert "555" not in caplog.text
