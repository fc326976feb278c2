"""The ``--clock`` option (tests/clock.py) that proves the suite does not depend on the hour."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from time_machine import escape_hatch

from tests.clock import OFFSET_VARIABLE, SHIM, parse_clock

CHILD_NOW = "import time; print(time.time())"


def child_time(**environ: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", CHILD_NOW],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(result.stdout)


def test_a_clock_without_an_offset_is_utc() -> None:
    assert parse_clock("2027-03-13T20:00") == datetime(2027, 3, 13, 20, tzinfo=UTC)
    assert parse_clock("2027-03-13T20:00Z") == datetime(2027, 3, 13, 20, tzinfo=UTC)
    assert parse_clock("2027-03-13T12:00-08:00") == datetime(2027, 3, 13, 20, tzinfo=UTC)


def test_a_clock_that_is_not_an_instant_is_refused() -> None:
    with pytest.raises(pytest.UsageError, match="not an ISO 8601 instant"):
        parse_clock("tomorrow at eight")


def test_the_shim_moves_a_child_process_by_the_offset() -> None:
    year_2031 = datetime(2031, 1, 1, tzinfo=UTC).timestamp()
    real_now = escape_hatch.time.time() if escape_hatch.is_travelling() else time.time()
    offset = year_2031 - real_now  # the shim adds it to the real clock
    moved = child_time(PYTHONPATH=str(SHIM), **{OFFSET_VARIABLE: repr(offset)})
    assert abs(moved - year_2031) < 60


def test_child_processes_share_the_suites_clock() -> None:
    # With --clock the session's children are moved with it; without, both are real.
    assert abs(child_time() - time.time()) < 60
