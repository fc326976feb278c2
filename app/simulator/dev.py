"""``phoneline serve`` in development with placeholder credentials: a simulator beside the app.

Nobody needs a Twilio account to try the line. The simulator runs in a thread of the ``serve``
process; the app's gateway and the worker child (through ``TWILIO_API_BASE_URL`` in its
environment) talk to it, and it calls the app back at ``PUBLIC_BASE_URL``, signed with the
(placeholder) auth token. Its URL is also written to ``<instance>/simulator_url`` so other
local commands can find it.
"""

from __future__ import annotations

from dataclasses import replace

from flask import Flask

from app.config import TWILIO_API
from app.extensions import phoneline
from app.gateway import Gateway
from app.simulator.calls import CallTiming
from app.simulator.server import Simulator

URL_FILE = "simulator_url"


def wanted(app: Flask) -> bool:
    config = phoneline(app).config
    return (
        not config.is_production
        and config.uses_placeholder_credentials
        and config.twilio_api_base_url == TWILIO_API
    )


def start_beside(app: Flask, env: dict[str, str]) -> Simulator | None:
    """Start a simulator for ``app`` when wanted; point the app and ``env`` (the children's
    environment) at it. Returns None when the deployment talks to the real Twilio."""
    if not wanted(app):
        return None
    ext = phoneline(app)
    base = ext.config.public_base_url
    simulator = Simulator(
        ext.config.account_sid,
        ext.config.auth_token,
        line_numbers=[ext.config.phone_number],
        sms_url=f"{base}/twilio/sms",
        voice_url=f"{base}/twilio/voice",
        timing=CallTiming(pace=1.0),  # calls take the time they take on a phone
    ).start()
    ext.config = replace(ext.config, twilio_api_base_url=simulator.url)
    ext.gateway = Gateway(ext.config)
    env["TWILIO_API_BASE_URL"] = simulator.url
    (ext.config.instance_path / URL_FILE).write_text(simulator.url + "\n")
    return simulator
