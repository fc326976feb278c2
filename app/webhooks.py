"""What every ``/twilio/*`` blueprint shares: the signature gate and required parameters."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, g, request

from app.extensions import config
from app.webhook_security import unsigned_params

log = logging.getLogger(__name__)


def require_twilio_signature(blueprint: Blueprint) -> None:
    """A missing or wrong signature gets 403 before any view runs, so it changes nothing."""

    @blueprint.before_request
    def _check_signature() -> Response | None:
        settings = config()
        unsigned = unsigned_params(request, settings.public_base_url, settings.signing_tokens)
        if unsigned is not None:
            g.twilio_unsigned = unsigned
            return None
        log.warning("rejected unsigned webhook path=%s", request.path)
        return Response("invalid signature", status=403, mimetype="text/plain")


def signed_param(name: str) -> str | None:
    """A form parameter the request's signature covers; None when it is absent or was added
    after signing (``StirVerstat``: a caller is never verified by a field anyone could add)."""
    if name in g.get("twilio_unsigned", frozenset()):
        return None
    return request.form.get(name)


# Row ids are INTEGER columns; a larger number in a query string is no row, not a database error.
MAX_ROW_ID = 2**31 - 1


def row_id(name: str) -> int | None:
    """A row id from the query string (``?o=42``), or None when absent or not a possible id."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ROW_ID else None


def missing_params(*names: str) -> list[str]:
    return [name for name in names if not request.form.get(name)]


def require_params(*names: str) -> None:
    """400 for SMS and status routes (voice answers apology TwiML instead)."""
    missing = missing_params(*names)
    if missing:
        log.warning("webhook missing params path=%s params=%s", request.path, ",".join(missing))
        abort(400)
