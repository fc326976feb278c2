"""Faults on the line's own dependencies (SPEC §7.9, §9; docs/reliability.md): the database
gone in the middle of a call, Redis gone while a member texts. Real parts: the database the
suite runs on (SQLite or PostgreSQL), then a PostgreSQL URL on a port where nothing listens;
the real Redis, then a Redis URL on such a port."""

from __future__ import annotations

import socket

import pytest

from app.db import make_database
from app.extensions import phoneline
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401


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

    call = run_call(
        twilio,
        [("1", "Main menu"), (lose_the_database_then_press("1"), "Sorry, something went wrong")],
    )
    assert "press 0" in call.last_document_said()


def test_a_call_answered_while_the_database_is_down_still_hears_911_and_988_first(
    twilio, database_goes_away
):
    database_goes_away()
    call = run_call(twilio, [], greeting="This is not an emergency line")
    assert call.said.index("call 911") < call.said.index("Sorry, something went wrong")
    assert "llame al 911" in call.said
