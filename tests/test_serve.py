"""``phoneline serve`` from a fresh instance, as ``make run`` starts it: a real server process
with its worker, answering signed webhooks over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.config import PLACEHOLDER_AUTH_TOKEN
from tests.privacy_scan import scan_output
from tests.twilio_signing import signature

CALL = {"CallSid": "CA" + "5" * 32, "From": "+14155550111", "To": "+15005550006"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(base: str, path: str, params: dict[str, str], signed: bool) -> tuple[int, str]:
    headers = {"X-Twilio-Signature": signature(PLACEHOLDER_AUTH_TOKEN, base + path, params)}
    request = urllib.request.Request(  # noqa: S310 - a local test server
        base + path,
        data=urllib.parse.urlencode(params).encode(),
        headers=headers if signed else {},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_until_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "serve exited early"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("serve never became healthy")


@contextmanager
def serving(env: dict[str, str], output: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``phoneline serve`` on a free port with ``env``, until the block ends. Its output
    (werkzeug's request log and the worker's) goes to a file the privacy scan reads after the
    test; a pipe nobody reads would fill and stall the server."""
    port = free_port()
    scan_output(output)
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path):
    drop = ("PHONELINE_ENV", "DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PHONELINE_INSTANCE"] = str(tmp_path / "instance")
    subprocess.run([sys.executable, "-m", "app.cli", "init"], env=env, check=True, timeout=120)
    with serving(env, tmp_path / "serve.log") as (base, process):
        yield base, process, tmp_path / "instance"


def test_the_served_line_answers_a_signed_call_with_the_notice(served):
    base, _, _ = served
    status, body = post(base, "/twilio/voice", CALL, signed=True)
    assert status == 200
    assert "not for emergencies" in body and "Esta línea no es para emergencias" in body


def test_the_served_line_refuses_an_unsigned_request(served):
    base, _, _ = served
    assert post(base, "/twilio/voice", CALL, signed=False)[0] == 403


def test_the_served_line_welcomes_a_first_text(served):
    base, _, _ = served
    text = {
        "MessageSid": "SM" + "6" * 32,
        "From": "+14155550112",
        "To": "+15005550006",
        "Body": "hi",
    }
    status, body = post(base, "/twilio/sms", text, signed=True)
    assert status == 200 and "peer support groups" in body


def test_stopping_serve_stops_its_worker_and_the_embedded_redis(served):
    _, process, instance = served
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    output = (instance.parent / "serve.log").read_text()
    assert "Worker" in output or "worker" in output
    assert not (instance / "redis" / "redis.sock").exists()


def test_the_served_lines_request_log_names_paths_never_their_query(served):
    base, _, instance = served
    try:
        urllib.request.urlopen(f"{base}/recordings/7.wav?e=1&s=f00dfeed", timeout=10)  # noqa: S310
    except urllib.error.HTTPError as error:
        assert error.code == 404
    log = (instance.parent / "serve.log").read_text()
    assert "/recordings/7.wav" in log and "f00dfeed" not in log and "e=1" not in log


def test_serve_refuses_to_run_in_production(tmp_path: Path):
    env = {
        **os.environ,
        "PHONELINE_ENV": "production",
        "PHONELINE_INSTANCE": str(tmp_path / "instance"),
        "DATABASE_URL": "postgresql+psycopg://line@127.0.0.1:9/line",
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "TWILIO_ACCOUNT_SID": "AC" + "c4" * 16,
        "TWILIO_AUTH_TOKEN": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
        "TWILIO_PHONE_NUMBER": "+14155550100",
        "PUBLIC_BASE_URL": "https://line.example.org",
        "SECRET_KEY": "9c2f4a6e8b0d1f3a5c7e9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a",
    }
    env.pop("TWILIO_API_BASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "serve is the development server" in done.stderr
