"""The ``phoneline`` commands, run as a newcomer runs them: real processes, a fresh instance."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import phoneline
from app.models import CallbackRequest, CallbackStatus
from app.services import callbacks, members

PHONELINE = [sys.executable, "-m", "app.cli"]


def run(instance: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 120):
    # Each run gets its own instance: SQLite and the embedded Redis, whatever CI exported.
    drop = ("PHONELINE_ENV", "DATABASE_URL", "REDIS_URL")
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update(PHONELINE_INSTANCE=str(instance), **(env or {}))
    return subprocess.run(
        [*PHONELINE, *args], env=environ, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def test_init_creates_the_schema_and_is_idempotent(instance):
    first = run(instance, "init")
    again = run(instance, "init")
    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert "database ready" in again.stdout


def test_check_prints_what_to_paste_into_twilio_and_fails_on_placeholders(instance):
    result = run(instance, "check", env={"PUBLIC_BASE_URL": "https://line.example.org"})
    assert result.returncode == 1
    assert "https://line.example.org/twilio/voice" in result.stdout
    assert "https://line.example.org/twilio/sms" in result.stdout
    assert "<Response>" in result.stdout and "911" in result.stdout
    assert "placeholders" in result.stderr


def test_a_bad_setting_stops_the_command_naming_the_variable(instance):
    result = run(instance, "init", env={"QUIET_HOURS": "22:00-07:00"})
    assert result.returncode == 1
    assert "QUIET_HOURS" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_usage_error_exits_2(instance):
    assert run(instance, "serve", "--port", "not-a-port").returncode == 2


def test_worker_burst_sweeps_once_drains_and_exits(instance):
    assert run(instance, "init").returncode == 0
    code = overdue_callback_code(instance)
    result = run(instance, "worker", "--burst")
    assert result.returncode == 0, result.stderr
    assert callback_status(instance, code) is CallbackStatus.EXPIRED


def instance_app(instance: Path):
    return create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'phoneline.db'}",
            "REDIS_URL": "",
        }
    )


def overdue_callback_code(instance: Path) -> str:
    app = instance_app(instance)
    with phoneline(app).db.session() as session:
        member = members.find_or_create(session, "+14155550120")
        request = callbacks.open_request(
            session,
            callbacks.NewRequest(member, "en", "sms"),
            timedelta(hours=4),
            now=datetime.now(UTC) - timedelta(days=8),
        )
        code = request.code
    phoneline(app).embedded_redis.release()
    return code


def callback_status(instance: Path, code: str) -> CallbackStatus:
    app = instance_app(instance)
    with phoneline(app).db.session() as session:
        status = session.scalar(select(CallbackRequest.status).where(CallbackRequest.code == code))
    phoneline(app).embedded_redis.release()
    return status


def test_routes_lists_the_webhooks(instance):
    result = run(instance, "routes")
    assert "/twilio/voice" in result.stdout and "/twilio/sms" in result.stdout
