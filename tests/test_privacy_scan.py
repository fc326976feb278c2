"""The privacy scan itself (tests/privacy_scan.py) can fail: a number or a body planted in a log
line, an RQ job's arguments or RQ's failed-job registry is found. Each ``plants_personal_data``
test fails if the scan, run as it runs after every test, finds nothing."""

from __future__ import annotations

import logging

import pytest
from rq import Queue

from app.extensions import phoneline
from tests.privacy_scan import CAPTURE, Sent, remember, scan_output
from workers.worker import run_worker

log = logging.getLogger("planted")


@pytest.mark.plants_personal_data
@pytest.mark.parametrize(
    "line",
    [
        "from +14155550100",
        "caller (415) 555-0100",
        "to 415-555-0100",
        "to 415.555.0100",
        "number=4155550100",
        "url /x?To=%2B14155550100",
        "national 555-0100",
    ],
)
def test_a_fictional_number_in_any_format_in_a_debug_line_is_found(line):
    log.debug(line)


@pytest.mark.plants_personal_data
def test_a_number_a_test_posted_is_found_even_outside_the_fictional_range():
    remember({"From": "+12125551234"})
    log.info("caller 212-555-1234")


@pytest.mark.plants_personal_data
def test_a_body_a_test_texted_is_found_in_a_log_line():
    remember({"Body": "please call after five"})
    log.warning("got please call after five")


def dropped(*args: object) -> None:
    """A job function for the planted-job tests."""


def failing(note: str) -> None:
    raise RuntimeError(f"could not reach {note}")


@pytest.mark.plants_personal_data
def test_a_number_in_a_job_argument_is_found_in_redis(app):
    Queue("default", connection=phoneline(app).redis).enqueue(dropped, "+14155550100")
    CAPTURE.take()  # forget the log lines: only Redis is left to find it in


@pytest.mark.plants_personal_data
def test_a_number_in_rqs_failed_job_registry_is_found(app):
    queue = phoneline(app).queues["default"]
    job = queue.enqueue(failing, "room 4")
    remember({"Body": "could not reach room 4"})
    run_worker(app, burst=True)
    assert job.get_status(refresh=True) == "failed"
    CAPTURE.take()  # the worker logged the traceback too; only Redis is left to find it in


def test_sids_and_ids_that_merely_contain_555_digits_are_not_numbers():
    lines = ["sid=SM5550123abc", "CA1a5550100f", "outbox=15550100", "id 9155501000"]
    assert Sent().leaks(lines) == []


def test_the_lines_own_number_may_be_logged():
    assert Sent().leaks(["line +15005550006 answered"]) == []


@pytest.mark.plants_personal_data
def test_a_number_in_the_output_of_a_process_the_test_started_is_found(tmp_path):
    output = tmp_path / "worker.log"
    output.write_text("12:00:01 sending to (415) 555-0100\n")
    scan_output(output)


@pytest.mark.plants_personal_data
def test_a_callers_own_number_in_the_state_of_a_call_is_found(redis_client):
    remember({"CallSid": "CA" + "7" * 32, "From": "+14155550100", "To": "+15005550006"})
    redis_client.set("phoneline:call:CA" + "7" * 32, '{"vars": {"me": "(415) 555-0100"}}')


@pytest.mark.plants_personal_data
def test_a_number_keyed_in_during_a_call_is_found_in_the_state_of_the_call(redis_client):
    remember({"CallSid": "CA" + "8" * 32, "From": "anonymous", "To": "+15005550006"})
    redis_client.set("phoneline:call:CA" + "8" * 32, '{"vars": {"typed": "+12125550142"}}')
