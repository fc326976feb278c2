"""Faults on the line's own dependencies (SPEC §6, §7.9, §9; docs/reliability.md): the database
gone, hung or restarted in the middle of a call or while a member texts; Redis gone while a
member texts or calls and while a worker sweeps. Real parts: the database the suite runs on
(SQLite or PostgreSQL), then a PostgreSQL URL on a port where nothing listens (or a socket that
never answers); the real Redis, then a Redis URL on such a port."""

from __future__ import annotations

import os
import socket

import pytest
from sqlalchemy import select, text

from app.config import PLACEHOLDER_AUTH_TOKEN
from app.db import make_database
from app.extensions import phoneline
from app.models import CallbackRequest, OutboxItem, OutboxStatus, Rsvp
from app.twiml_checker import check_twiml
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import Twilio, fresh
from tests.outbox_support import broadcast_text, midday_zone
from tests.sms_phone import Phone, messages, nearby_groups, say
from workers.sweep import sweep_once
from workers.worker import run_worker


@pytest.fixture
def settings(settings):
    settings["LINE_TIMEZONE"] = midday_zone()  # the queued text is not held by quiet hours
    settings["SMS_MAX_PER_SECOND"] = "0"
    return settings


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_database() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/phoneline"


@pytest.fixture
def database_goes_away(app):
    """Call it to lose the database: the app's engine now points at a PostgreSQL that is not
    there. The original is put back (and the dead one disposed) after the test."""
    ext = phoneline(app)
    working = ext.db

    def cut() -> None:
        ext.db = make_database(unreachable_database())

    yield cut
    if ext.db is not working:
        ext.db.dispose()
    ext.db = working


def test_a_caller_hears_an_apology_not_silence_when_the_database_goes_away_mid_call(
    twilio, database_goes_away
):
    def lose_the_database_then_press(key: str):
        def press() -> str:
            database_goes_away()
            return key

        return press

    # The search, right after the ZIP, is the first step that needs the database (menus do not
    # read the member row of an unverified caller).
    call = run_call(
        twilio,
        [
            ("1", "enter your ZIP code"),
            (lose_the_database_then_press("94110"), "Sorry, something went wrong"),
        ],
    )
    assert "press 0" in call.last_document_said()


def test_a_call_answered_while_the_database_is_down_still_hears_911_and_988_first(
    twilio, database_goes_away
):
    database_goes_away()
    call = run_call(twilio, [], greeting="This line is not for emergencies")
    assert call.said.index("call 9 1 1") < call.said.index("Sorry, something went wrong")
    assert "llame al 9 1 1" in call.said


@pytest.fixture
def silent_database():
    """A PostgreSQL address that accepts connections and never says a word (a hung server, a
    half-open network path): what a connect timeout is for."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{listener.getsockname()[1]}/phoneline"
    listener.close()


@pytest.mark.timeout(60)  # without a connect timeout the request would wait forever
def test_a_caller_hears_an_apology_when_the_database_hangs_instead_of_refusing(
    twilio, app, silent_database
):
    ext = phoneline(app)
    working, ext.db = ext.db, make_database(silent_database)
    try:
        said = twilio.call().get_data(as_text=True)
    finally:
        ext.db.dispose()
        ext.db = working
    assert "Sorry, something went wrong" in said


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="restarting the database server needs PostgreSQL",
)
def test_a_call_goes_on_when_postgresql_drops_every_connection_mid_call(twilio, session):
    def drop_every_connection_then_press() -> str:
        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        session.commit()
        return "1"

    run_call(twilio, [("1", "enter your ZIP code"), (drop_every_connection_then_press, "ZIP code")])


# --- the database gone while a member texts ------------------------------------------------------


@pytest.mark.parametrize(("body", "language"), [("i want to kill myself", "en"),
                                                ("me quiero morir", "es")])  # fmt: skip
def test_a_crisis_text_while_the_database_is_down_still_gets_crisis_words(
    twilio, database_goes_away, body, language
):
    database_goes_away()
    assert messages(twilio.text(body).data) == [say(language, "sms.crisis_down")]


def test_any_other_text_while_the_database_is_down_gets_an_apology_with_911_and_988(
    twilio, database_goes_away
):
    database_goes_away()
    (reply,) = messages(twilio.text("94110").data)
    assert reply == say("en", "sms.error")
    assert "911" in reply and "988" in reply


# --- Redis gone while a member texts or calls, and while a worker sweeps -----------------------


@pytest.fixture
def without_redis(settings):
    """The same line (same database) with its Redis on a port where nothing listens."""
    from app import create_app

    cut_off = create_app({**settings, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"})
    with cut_off.app_context():
        yield cut_off
    phoneline(cut_off).db.dispose()


def signed_client(app) -> Twilio:
    return Twilio(app.test_client(), PLACEHOLDER_AUTH_TOKEN)


def test_a_crisis_text_while_redis_is_down_is_answered_and_its_urgent_request_kept(
    session, without_redis
):
    reply = signed_client(without_redis).text("i want to kill myself")
    assert messages(reply.data) == [say("en", "sms.crisis")]
    (request,) = fresh(session).scalars(select(CallbackRequest)).all()
    assert request.urgent  # in the database, where facilitator alerting (SPEC §10) reads it


def test_a_member_can_search_and_rsvp_by_text_while_redis_is_down(session, without_redis):
    nearby_groups(session)
    phone = Phone(signed_client(without_redis))
    assert phone.text("94110")[0].startswith("1 Circle 1, ")
    assert "Circle 1" in phone.reply("RSVP 1")
    assert fresh(session).scalars(select(Rsvp)).one()


def test_a_call_while_redis_is_down_hears_the_notice_and_an_apology(without_redis):
    response = signed_client(without_redis).call()
    said = response.get_data(as_text=True)
    assert check_twiml(said) == []
    assert "call 9 1 1" in said and "Sorry, something went wrong" in said


def test_a_machine_verdict_while_redis_is_down_is_still_answered(without_redis):
    answer = signed_client(without_redis).post(
        "/twilio/status/amd?o=7",
        {"CallSid": "CA" + "7" * 32, "AnsweredBy": "machine_end_beep", "AccountSid": "AC1"},
    )
    assert answer.status_code == 204


def test_texts_queued_while_redis_is_down_go_out_once_when_it_returns(
    app, settings, session, simulator, without_redis
):
    item = broadcast_text(session, "+18005550142")
    done = sweep_once(phoneline(without_redis).db)  # a worker's sweep cannot reach RQ
    assert done["outbox_enqueue"] == 0
    assert fresh(session).get(OutboxItem, item.id).status is OutboxStatus.PENDING
    with app.app_context():  # Redis is back
        sweep_once(phoneline(app).db)
        run_worker(app, burst=True)
    simulator.wait_idle()
    assert len(simulator.messages_to("+18005550142")) == 1
    assert fresh(session).get(OutboxItem, item.id).status is OutboxStatus.DELIVERED
