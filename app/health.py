"""``GET /healthz``: the database and Redis answer."""

from __future__ import annotations

import redis
import sqlalchemy.exc
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from app.extensions import phoneline

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    ext = phoneline()
    checks = {"database": _check_database(), "redis": _check_redis(ext.redis)}
    healthy = all(checks.values())
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    return jsonify(body), 200 if healthy else 503


def _check_database() -> bool:
    try:
        phoneline().db.ping()
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    return True


def _check_redis(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.RedisError:
        return False
