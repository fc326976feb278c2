"""Who may open what, CSRF, and the sign-in rate limit (SPEC §13).

``guard`` runs before every console request: it refuses a view that declares no roles (deny
by default), checks the CSRF token on every POST, and sends anyone not signed in to the
sign-in page. Sign-in attempts are counted in Redis per account and per address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.extensions import db, phoneline
from app.models import User
from app.services.users import COORDINATOR, FACILITATOR

ROLES_ATTR = "console_roles"
PUBLIC = "public"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

F = TypeVar("F", bound=Callable[..., Any])


def roles(*allowed: str) -> Callable[[F], F]:
    """Declare who may open a view: ``roles(COORDINATOR)``, ``roles(COORDINATOR, FACILITATOR)``
    or ``roles(PUBLIC)`` (the sign-in page only)."""

    def declare(view: F) -> F:
        setattr(view, ROLES_ATTR, allowed)
        return view

    return declare


coordinators = roles(COORDINATOR)
staff = roles(COORDINATOR, FACILITATOR)


def allowed_roles(endpoint: str | None) -> tuple[str, ...] | None:
    if endpoint == "console.static":
        return (PUBLIC,)
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, ROLES_ATTR, None)


def guard() -> ResponseReturnValue | None:
    allowed = allowed_roles(request.endpoint)
    if allowed is None:
        abort(403)
    if request.method == "POST":
        check_csrf()
    g.user = current_user()
    if PUBLIC in allowed:
        return None
    if g.user is None:
        return redirect(url_for("console.sign_in", next=request.path))
    if g.user.role not in allowed:
        abort(403)
    return None


def current_user() -> User | None:
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    with db().session() as s:
        user = s.get(User, user_id)
        if user is None or session.get("ver") != _version(user):
            return None
        s.expunge(user)
        return user


def sign_in_as(user: User) -> None:
    """A new session for this user: what was in the cookie before is dropped (no fixation)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["ver"] = _version(user)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def _version(user: User) -> str:
    # Changing the password hash ends every session signed in with the old one.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_csrf() -> None:
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        abort(400, description="csrf")


def headers(response: Response) -> Response:
    """Pages are private and self-contained: nothing from elsewhere, never cached."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- sign-in rate limit ----------------------------------------------------------------------

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT = 5
PER_ADDRESS = 20


def _keys(email: str, address: str) -> tuple[str, str]:
    secret = phoneline().config.secret_key.encode()
    account = hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]
    where = hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"console:signin:account:{account}", f"console:signin:address:{where}"


def too_many_attempts(email: str, address: str) -> bool:
    account, where = _keys(email, address)
    counts = phoneline().redis.mget([account, where])
    return int(counts[0] or 0) >= PER_ACCOUNT or int(counts[1] or 0) >= PER_ADDRESS


def count_failure(email: str, address: str) -> None:
    pipe = phoneline().redis.pipeline()
    for key in _keys(email, address):
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS, nx=True)
    pipe.execute()


def clear_account(email: str, address: str) -> None:
    phoneline().redis.delete(_keys(email, address)[0])
