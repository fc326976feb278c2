"""Fixtures for the Twilio API simulator: a simulator on a free port, and the test app pointed
at it (its gateway talks to the simulator through the real ``twilio`` client; the simulator's
webhooks go straight into the app, signed with the auth token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
from app.extensions import phoneline
from app.gateway import Gateway
from app.simulator import Simulator, WsgiTransport

BASE_URL = "http://127.0.0.1:5000"
LINE_NUMBER = "+15005550006"


@pytest.fixture
def simulator(app: Flask, settings: dict[str, Any]) -> Iterator[Simulator]:
    sim = Simulator(
        PLACEHOLDER_ACCOUNT_SID,
        PLACEHOLDER_AUTH_TOKEN,
        line_numbers=[LINE_NUMBER],
        sms_url=f"{BASE_URL}/twilio/sms",
        voice_url=f"{BASE_URL}/twilio/voice",
        transport=WsgiTransport(app, BASE_URL),
    ).start()
    settings["TWILIO_API_BASE_URL"] = sim.url  # for any further app a test builds (a worker)
    ext = phoneline(app)
    ext.config = replace(ext.config, twilio_api_base_url=sim.url)
    ext.gateway = Gateway(ext.config)
    yield sim
    sim.stop()


@pytest.fixture
def gateway(simulator: Simulator, app: Flask) -> Gateway:
    built = phoneline(app).gateway
    assert built is not None
    return built
