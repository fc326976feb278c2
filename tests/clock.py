"""``--clock``: run the whole suite as if it were another moment of the day or year.

A pytest plugin (``pytest_plugins`` in tests/conftest.py). ``pytest --clock=2026-12-04T02:00Z``
moves every clock of the test process to that instant for the whole session and lets it run
on from there (``time_machine.travel(..., tick=True)``), so a suite that passes at 14:00 can be
shown to pass at 02:00, 08:00, 20:00 and on the eve of a daylight-saving change as well.

Processes a test starts (``phoneline worker``, ``phoneline serve``, the simulator) are moved
with it: the session puts ``tests/clock_shim`` first on ``PYTHONPATH``, whose ``sitecustomize``
starts the same travel in every Python child, by the same offset from the real clock. Redis and
the database keep the real time; nothing in the line asks them for the hour.

Tests that depend on "now" must still set the clock they need (``time_machine.travel``) or
compute their expectation from the clock they run at: this option is how that is proven.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

OFFSET_VARIABLE = "TESTS_CLOCK_OFFSET_SECONDS"
SHIM = Path(__file__).parent / "clock_shim"
COOKIE_HOURS = 12  # the console's session lifetime (app/__init__.py PERMANENT_SESSION_LIFETIME)
_traveller: Any = None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="ISO",
        default=None,
        help="run the suite as if it were this instant, e.g. 2026-12-04T02:00Z (UTC if no "
        "offset); the clock ticks on from there and child processes follow it",
    )


def parse_clock(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError as error:
        raise pytest.UsageError(f"--clock: {value!r} is not an ISO 8601 instant") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    value = config.getoption("--clock")
    if not value:
        return
    moment = parse_clock(value)
    os.environ[OFFSET_VARIABLE] = repr(moment.timestamp() - time.time())
    os.environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(SHIM), os.environ.get("PYTHONPATH", "")) if part
    )
    _traveller = time_machine.travel(moment, tick=True)
    _traveller.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--clock")
    if not value:
        return None
    header = f"clock: moved to {parse_clock(value).isoformat()} (and ticking)"
    if float(os.environ.get(OFFSET_VARIABLE, "0")) < -COOKIE_HOURS * 3600:
        # Chromium keeps the real clock: the console's 12-hour cookie would be born expired.
        header += f"; more than {COOKIE_HOURS} hours behind the real clock: browser tests will fail"
    return header
