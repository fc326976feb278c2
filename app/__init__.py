"""The application factory: nothing happens at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import Flask
from rq import Queue
from werkzeug.middleware.proxy_fix import ProxyFix

from app import outbox_kick
from app.config import load_config
from app.db import make_database
from app.embedded_redis import EmbeddedRedis
from app.extensions import QUEUE_NAMES, Phoneline
from app.gateway import Gateway
from app.headers import security_headers
from app.prompts import load_catalog
from app.services import zips


def create_app(overrides: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the app. ``overrides`` are environment variables (by their SPEC §3 names) that take
    precedence over ``os.environ``, plus ``INSTANCE_PATH`` and ``PORT`` for tests and ``serve``.
    ``serving``: the app answers webhooks (gunicorn, ``serve``, tests), so it loads now what a
    caller would otherwise wait for; commands and the worker pass False."""
    overrides = dict(overrides or {})
    instance_path = _instance_path(overrides)
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    environ = {**os.environ, **{k: str(v) for k, v in overrides.items() if v is not None}}
    config = load_config(environ, instance_path, port=overrides.get("PORT"))
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure_cookies(config),
        SESSION_COOKIE_NAME="phoneline_console",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # The cookie's own expiry does not slide either; the session's age is checked on the
        # server from its sign-in time (app/console/security.py).
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["phoneline"] = _bind_services(config)
    if config.trusted_proxies:
        # Only the client's address (the sign-in limit counts by it). Scheme and host stay as
        # they came: webhook signatures are checked against PUBLIC_BASE_URL, never the Host.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.trusted_proxies, x_proto=0, x_host=0
        )
    _register_blueprints(app)
    app.after_request(security_headers)
    if serving:
        zips.load_table()  # else a web worker's first ZIP search waits for it (seconds, loaded)
    return app


def _secure_cookies(config: Any) -> bool:
    """Console cookies travel over https only; the one exception is development on this
    machine (``PUBLIC_BASE_URL`` http://localhost or http://127.0.0.1), where there is no TLS."""
    host = urlsplit(config.public_base_url)
    local = host.scheme == "http" and host.hostname in ("localhost", "127.0.0.1")
    return config.is_production or not local


def _instance_path(overrides: Mapping[str, Any]) -> Path:
    chosen = overrides.get("INSTANCE_PATH") or os.environ.get("PHONELINE_INSTANCE")
    path = Path(chosen) if chosen else Path(__file__).resolve().parent.parent / "instance"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _bind_services(config: Any) -> Phoneline:
    embedded = None
    redis_url = config.redis_url
    if redis_url is None:
        embedded = EmbeddedRedis(config.instance_path)
        redis_url = embedded.acquire()
    connection = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=5)
    database = make_database(config.database_url)
    queues = {name: Queue(name, connection=connection) for name in QUEUE_NAMES}
    # The kick runs inside webhooks: its own client, so a hung Redis costs half a second.
    quick = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
    outbox_kick.install(database.sessions, Queue("replies", connection=quick))
    return Phoneline(
        config=config,
        db=database,
        redis=connection,
        prompts=load_catalog(),
        queues=queues,
        embedded_redis=embedded,
        gateway=Gateway(config),
    )


def _register_blueprints(app: Flask) -> None:
    from app import console
    from app.health import blueprint as health
    from app.recording_media import blueprint as recording_media
    from app.status_webhooks import blueprint as status
    from call_flows.views import blueprint as voice
    from sms.views import blueprint as sms

    app.register_blueprint(health)
    app.register_blueprint(voice)
    app.register_blueprint(sms)
    app.register_blueprint(status)
    app.register_blueprint(recording_media)
    console.register(app)
