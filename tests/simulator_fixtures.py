"""Fixtures for the Twilio API simulator: a simulator on a free port, and the test app pointed
at it (its gateway talks to the simulator through the real ``twilio`` client; the simulator's
webhooks go straight into the app, signed with the auth token)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN, load_config
from app.extensions import phoneline
from app.gateway import Gateway
from app.models import Facilitator, Member
from app.simulator import QUICK, Simulator, WsgiTransport
from app.simulator.webhooks import Answer, Params
from tests import facilitator_scan

__all__ = ["bare_gateway", "bare_simulator", "fake_app", "gateway", "simulator"]

BASE_URL = "http://127.0.0.1:5000"
LINE_NUMBER = "+15005550006"
API_KEY_SID = "SK" + "1" * 32
API_KEY_SECRET = "test-api-key-secret"


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
    sim.carrier.timing = QUICK  # every text still passes through every status
    settings["TWILIO_API_BASE_URL"] = sim.url  # for any further app a test builds (a worker)
    ext = phoneline(app)
    ext.config = replace(ext.config, twilio_api_base_url=sim.url)
    ext.gateway = Gateway(ext.config)
    yield sim
    sim.wait_idle(5)
    problems = facilitator_scan.scan(
        sim, _facilitator_numbers(app), _member_numbers(app, sim), LINE_NUMBER
    )
    sim.stop()
    assert problems == [], "a member's number reached a facilitator"


def _facilitator_numbers(app: Flask) -> set[str]:
    with phoneline(app).db.session() as session:
        return set(session.scalars(select(Facilitator.phone)).all())


def _member_numbers(app: Flask, sim: Simulator) -> set[str]:
    with phoneline(app).db.session() as session:
        stored = set(session.scalars(select(Member.phone)).all())
    return stored | facilitator_scan.numbers_that_reached_the_line(sim)


@pytest.fixture
def gateway(simulator: Simulator, app: Flask) -> Gateway:
    built = phoneline(app).gateway
    assert built is not None
    return built


class FakeApp:
    """A stand-in for the line's web app on the far side of the simulator's webhooks: answers
    each path with the TwiML a test gives it, and keeps every request with its signature."""

    def __init__(self, origin: str = BASE_URL) -> None:
        self.origin = origin
        # path -> TwiML, a callable(params) -> TwiML, or a whole Answer (another content type)
        self.documents: dict[str, Any] = {}
        self.received: list[Received] = []

    def send(self, method: str, url: str, params: Params, headers: dict[str, str]) -> Answer:
        self.received.append(Received(method, url, dict(params), headers["X-Twilio-Signature"]))
        document = self.documents.get(urlsplit(url).path, "<Response/>")
        if callable(document):
            document = document(dict(params))
        if isinstance(document, Answer):
            return document
        if document is None:
            return Answer(500, b"", "text/plain")
        return Answer(200, document.encode(), "text/xml")

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if urlsplit(r.url).path == path]


@dataclass(frozen=True)
class Received:
    method: str
    url: str
    params: dict[str, str]
    signature: str


@pytest.fixture
def fake_app() -> FakeApp:
    return FakeApp()


@pytest.fixture
def bare_simulator(fake_app: FakeApp) -> Iterator[Simulator]:
    """A simulator whose webhooks go to ``fake_app`` (no database, no Flask app)."""
    sim = Simulator(
        PLACEHOLDER_ACCOUNT_SID,
        PLACEHOLDER_AUTH_TOKEN,
        line_numbers=[LINE_NUMBER],
        sms_url=f"{BASE_URL}/twilio/sms",
        voice_url=f"{BASE_URL}/twilio/voice",
        api_keys={API_KEY_SID: API_KEY_SECRET},
        transport=fake_app,
    ).start()
    sim.carrier.timing = QUICK
    yield sim
    sim.stop()


def gateway_for(sim_url: str, tmp_path: Path, timeout: float = 5.0, **environ: str) -> Gateway:
    """A gateway built from configuration exactly as the factory builds it."""
    config = load_config(
        {"TWILIO_API_BASE_URL": sim_url, "SECRET_KEY": "test", **environ}, tmp_path
    )
    return Gateway(config, timeout=timeout)


@pytest.fixture
def bare_gateway(bare_simulator: Simulator, tmp_path: Path) -> Gateway:
    return gateway_for(bare_simulator.url, tmp_path)
