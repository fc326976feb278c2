"""Replies and alerts leave when their transaction commits, not at the next sweep; the sweep
still finds them when the kick is lost."""

import pytest
from rq import SimpleWorker

from app.extensions import QUEUE_NAMES, phoneline
from tests import factories
from tests.outbox_support import midday_zone
from tests.sms_phone import Phone
from workers.sweep import sweep_once

MEMBER = "+14155550100"
ANA = "+14155550123"


@pytest.fixture
def settings(settings):
    settings["LINE_TIMEZONE"] = midday_zone()
    return settings


def drain_without_sweeping(app, names=("replies",)):
    ext = phoneline(app)
    with app.app_context():
        SimpleWorker([ext.queues[n] for n in names], connection=ext.redis).work(burst=True)


def texts_to(simulator, number):
    simulator.wait_idle()
    return [m for m in simulator.store.messages.values() if m.to == number]


def test_a_facilitator_alert_goes_out_without_waiting_for_a_sweep(app, twilio, session, simulator):
    factories.facilitator(session, ANA, languages=["en"], timezone=midday_zone())
    session.commit()
    Phone(twilio, MEMBER).text("CALL")
    drain_without_sweeping(app)
    assert len(texts_to(simulator, ANA)) == 1


def test_a_lost_kick_is_sent_by_the_sweep_once(app, twilio, session, simulator):
    factories.facilitator(session, ANA, languages=["en"], timezone=midday_zone())
    session.commit()
    Phone(twilio, MEMBER).text("CALL")
    phoneline(app).queues["replies"].empty()  # as if Redis had lost the job
    assert texts_to(simulator, ANA) == []
    for _ in range(2):  # a second sweep finds nothing more to send
        with app.app_context():
            sweep_once(phoneline(app).db)
        drain_without_sweeping(app, QUEUE_NAMES)
    assert len(texts_to(simulator, ANA)) == 1
