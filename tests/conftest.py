"""Fixtures: a real database (SQLite, or PostgreSQL when DATABASE_URL is set), a real Redis
(the embedded server, or REDIS_URL), the app from its factory, and a signed Twilio client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from app import create_app
from app.config import PLACEHOLDER_AUTH_TOKEN
from app.db import Base, make_database
from app.embedded_redis import EmbeddedRedis
from app.extensions import phoneline
from app.migrate import upgrade
from tests.simulator_fixtures import *  # noqa: F403 - the simulator fixtures
from tests.twilio_signing import signed_post

# every test's logs and Redis scanned for personal data; `--clock` to run the suite at another hour
pytest_plugins = ["tests.privacy_scan", "tests.clock"]

BASE_URL = "http://127.0.0.1:5000"
LINE_NUMBER = "+15005550006"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(instance_dir: Path) -> Iterator[str]:
    """A fresh database for this run: a new PostgreSQL database beside DATABASE_URL's, or a
    new SQLite file. Migrated once with alembic, exactly as ``phoneline init`` does."""
    given = os.environ.get("DATABASE_URL")
    if not given:
        url = f"sqlite:///{instance_dir / 'test.db'}"
        upgrade(make_database(url))
        yield url
        return
    name = f"phoneline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(given, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(given).set(database=name).render_as_string(hide_password=False)
    database = make_database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url(instance_dir: Path) -> Iterator[str]:
    given = os.environ.get("REDIS_URL")
    if given:
        yield given
        return
    embedded = EmbeddedRedis(instance_dir)
    yield embedded.acquire()
    embedded.release()


@pytest.fixture
def settings(instance_dir: Path, database_url: str, redis_url: str) -> dict[str, Any]:
    """The overrides every test app is built with; tests may add to them before ``app``."""
    return {
        "INSTANCE_PATH": str(instance_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": BASE_URL,
        "TWILIO_PHONE_NUMBER": LINE_NUMBER,
        "PHONELINE_ENV": "development",
        "SECRET_KEY": "test-secret-key",
    }


@pytest.fixture
def app(settings: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(settings)
    _empty_tables(app)
    phoneline(app).redis.flushdb()
    with app.app_context():
        yield app
    phoneline(app).db.dispose()
    phoneline(app).redis.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask, database_url: str) -> Iterator[Session]:
    """A session for arranging and asserting. Commit what you arrange before the app under test
    needs it; call ``fresh(session)`` before asserting on what the app wrote (SQLite keeps a
    transaction's snapshot, so a transaction begun earlier would not see it)."""
    database = make_database(database_url, immediate=False)
    with database.sessions() as session:
        yield session
    database.dispose()


def fresh(session: Session) -> Session:
    """End the session's transaction and forget loaded rows, so the next read sees the latest."""
    session.commit()
    session.expire_all()
    return session


@pytest.fixture
def redis_client(app: Flask) -> redis.Redis:
    return phoneline(app).redis


class Twilio:
    """Posts webhooks to the app the way Twilio does: signed with the auth token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def post(self, path: str, params: Mapping[str, str], **kwargs: Any) -> TestResponse:
        return signed_post(
            self.client, BASE_URL, path, params, kwargs.pop("token", self.token), **kwargs
        )

    def call(self, path: str = "/twilio/voice", **params: str) -> TestResponse:
        form = {"CallSid": "CA" + "1" * 32, "From": "+14155550100", "To": LINE_NUMBER}
        return self.post(path, {**form, **params})

    def text(self, body: str, sender: str = "+14155550100", sid: str | None = None) -> TestResponse:
        form = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "From": sender,
            "To": LINE_NUMBER,
            "Body": body,
        }
        return self.post("/twilio/sms", form)


@pytest.fixture
def twilio(client: FlaskClient) -> Twilio:
    return Twilio(client, PLACEHOLDER_AUTH_TOKEN)


def _empty_tables(app: Flask) -> None:
    engine = phoneline(app).db.engine
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_terminal_summary(terminalreporter: Any) -> Iterator[None]:
    """Browser tests skipped (no Chromium) must not pass unnoticed: say so, loudly, last."""
    yield
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "BROWSER TESTS SKIPPED" in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(skipped)} browser tests did not run: install Debian's chromium "
            "(apt-get install chromium). With CI=true they fail instead."
        )
