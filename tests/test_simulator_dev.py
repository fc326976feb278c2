"""``phoneline serve`` in development with placeholder credentials runs the simulator."""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN
from app.extensions import phoneline
from app.simulator.dev import start_beside


def test_with_placeholder_credentials_the_app_and_its_children_use_the_simulator(app):
    env: dict[str, str] = {}
    simulator = start_beside(app, env)
    try:
        assert simulator is not None
        assert env["TWILIO_API_BASE_URL"] == simulator.url
        assert phoneline(app).gateway.http.base_url == simulator.url
    finally:
        simulator.stop()


def test_with_real_credentials_no_simulator_starts(settings):
    from app import create_app

    real = create_app({**settings, "TWILIO_ACCOUNT_SID": "AC" + "5" * 32, "TWILIO_AUTH_TOKEN": "x"})
    env: dict[str, str] = {}
    assert start_beside(real, env) is None
    assert env == {}
    phoneline(real).db.dispose()


def test_serve_answers_a_text_from_a_virtual_phone_end_to_end(settings, tmp_path):
    instance = tmp_path / "instance"
    port = _free_port()
    env = {
        **os.environ,
        "PHONELINE_INSTANCE": str(instance),
        "DATABASE_URL": settings["DATABASE_URL"],
        "REDIS_URL": settings["REDIS_URL"],
        "SECRET_KEY": "test-secret-key",
    }
    env.pop("TWILIO_API_BASE_URL", None)
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--no-worker"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        sim_url = _wait_for(instance / "simulator_url", f"http://127.0.0.1:{port}/healthz")
        answer = requests.post(
            f"{sim_url}/_simulator/phones/+14155550100/texts",
            data={"Body": "hello"},
            auth=(PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN),
            timeout=10,
        )
        (reply,) = answer.json()["replies"]
        assert "peer support groups" in reply
    finally:
        server.terminate()
        server.wait(10)


def _wait_for(url_file: Path, health: str) -> str:
    for _ in range(200):
        try:
            if url_file.exists() and requests.get(health, timeout=1).status_code == 200:
                return url_file.read_text().strip()
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise AssertionError("serve did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
