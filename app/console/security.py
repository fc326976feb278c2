"""Who may open what, CSRF, sessions, and the sign-in rate limit (SPEC §13).

``guard`` runs before every console request: it refuses a view that declares no roles (deny
by default), checks the CSRF token on every POST, and sends anyone not signed in to the
sign-in page. A session is a signed cookie checked against the account on every request: it
ends when the account signs out, changes password, is disabled or removed, when a facilitator
leaves the directory, and 12 hours after sign-in however busy it was. Sign-in attempts are
counted in Redis before the password is checked (see "sign-in rate limit" below).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from app.db import utcnow
from app.extensions import db, phoneline
from app.models import User
from app.services import users
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


SESSION_LIFETIME = timedelta(hours=12)


def current_user() -> User | None:
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    user = _session_user(user_id)
    if user is None:
        session.clear()  # a session that has ended: the browser should drop it too
    return user


def _session_user(user_id: int) -> User | None:
    since = session.get("since")
    # Absolute: the lifetime counts from sign-in, not from the last page, so a copied cookie
    # cannot be kept alive by using it.
    age = utcnow().timestamp() - since if isinstance(since, int) else None
    if age is None or age > SESSION_LIFETIME.total_seconds():
        return None
    with db().session() as s:
        user = s.get(User, user_id)
        if user is None or session.get("ver") != _version(user):
            return None
        if not users.may_sign_in(s, user):
            return None
        s.expunge(user)
        return user


def sign_in_as(user: User) -> None:
    """A new session for this user: what was in the cookie before is dropped (no fixation)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["ver"] = _version(user)
    session["since"] = int(utcnow().timestamp())
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


def _version(user: User) -> str:
    # A new password hash or a new epoch (sign-out, disabling) ends every session signed in
    # before it; the hash also tells apart two accounts that came to share an id.
    material = f"{user.password_hash}:{user.session_epoch or 0}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def csrf_token() -> str:
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def check_csrf() -> None:
    expected = session.get(CSRF_FIELD)
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError, so a 500).
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), given.encode()):
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
#
# Every attempt is counted before its password is checked (INCR, then compare what Redis
# returned), so parallel attempts cannot all slip under the limit. Three counts:
#
# - one account from one address: 5 attempts, then each further one waits 15 s, 30 s, 60 s …
#   up to 15 minutes after the one before (a success starts it afresh). A delay, not a
#   lockout: someone guessing from their address slows only themselves, and the coordinator
#   signing in from elsewhere is not held.
# - one address, any accounts: 20 in 15 minutes, then refused (one address trying many
#   accounts). Behind a proxy this is the proxy's address unless TRUSTED_PROXIES is set.
# - one account, from anywhere: 50 in an hour, then refused. The ceiling for a guesser with many
#   addresses; it can hold the owner out too, which is the price of bounding that guessing.

WINDOW_SECONDS = 15 * 60
FREE_ATTEMPTS = 5
FIRST_DELAY_MS = 15_000
MAX_DELAY_MS = WINDOW_SECONDS * 1000
PER_ADDRESS = 20
PER_ACCOUNT = 50
ACCOUNT_WINDOW_SECONDS = 60 * 60


@dataclass(frozen=True)
class _Keys:
    pair: str
    wait: str
    address: str
    account: str


def _keys(email: str, address: str) -> _Keys:
    secret = phoneline().config.secret_key.encode()

    def keyed(value: str) -> str:
        return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]

    pair = keyed(f"{email}\n{address}")
    return _Keys(
        pair=f"console:signin:pair:{pair}",
        wait=f"console:signin:wait:{pair}",
        address=f"console:signin:address:{keyed(address)}",
        account=f"console:signin:account:{keyed(email)}",
    )


def email_hash(email: str) -> str:
    """How the audit log names an email that may not be an account: keyed, so the log does not
    hold addresses people typed, yet repeated tries at one account line up."""
    secret = phoneline().config.secret_key.encode()
    return hmac.new(secret, b"audit:" + email.encode(), hashlib.sha256).hexdigest()[:16]


def admit(email: str, address: str) -> bool:
    """Count this attempt; False when it must be refused without checking the password."""
    keys, r = _keys(email, address), phoneline().redis
    pipe = r.pipeline()  # MULTI/EXEC: both counts move together
    pipe.incr(keys.pair)
    pipe.expire(keys.pair, WINDOW_SECONDS, nx=True)
    pipe.incr(keys.address)
    pipe.expire(keys.address, WINDOW_SECONDS, nx=True)
    pair_count, _, address_count, _ = pipe.execute()
    if address_count > PER_ADDRESS or not _paced(r, keys, int(pair_count)):
        _uncount(r, keys.pair)  # a refused attempt does not lengthen the next wait
        return False
    account_count = r.incr(keys.account)
    r.expire(keys.account, ACCOUNT_WINDOW_SECONDS, nx=True)
    if int(account_count) > PER_ACCOUNT:
        _uncount(r, keys.account, keys.pair)
        return False
    return True


def _paced(r: Any, keys: _Keys, count: int) -> bool:
    """The first four go at once. From the fifth on an attempt goes only if it is the first to
    find no wait running (SET NX), and it starts the next wait, twice as long each time; so
    of any number arriving together, one goes."""
    if count < FREE_ATTEMPTS:
        return True
    delay = min(FIRST_DELAY_MS * 2 ** (count - FREE_ATTEMPTS), MAX_DELAY_MS)
    return bool(r.set(keys.wait, 1, px=delay, nx=True))


def signed_in(email: str, address: str) -> None:
    """A success starts this account and address afresh and does not count against them."""
    keys, r = _keys(email, address), phoneline().redis
    r.delete(keys.pair, keys.wait)
    _uncount(r, keys.address, keys.account)


# DECR of a key that has expired would create it with no expiry; only take back what is there.
_UNCOUNT = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
"""


def _uncount(r: Any, *keys: str) -> None:
    r.eval(_UNCOUNT, len(keys), *keys)
