"""Sign in and sign out."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.console import blueprint, security, t
from app.console.security import PUBLIC, roles
from app.extensions import db
from app.models import User
from app.services import audit, users


@blueprint.route("/sign-in", methods=["GET", "POST"])
@roles(PUBLIC)
def sign_in() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("console/sign_in.html", error=None, email="")
    email = users.normal_email(request.form.get("email", ""))
    # The client's address; behind a proxy, ProxyFix (TRUSTED_PROXIES) has already put the
    # forwarded one here, and only then.
    address = request.remote_addr or "unknown"
    if not security.admit(email, address):
        return _refused(email, t("sign_in.too_many"), 429)
    with db().session() as session:
        user = users.authenticate(session, email, request.form.get("password", ""))
        if user is not None:
            audit.record(session, user.email, "sign_in")
        else:
            # The email as a keyed hash: the log keeps no address someone typed, yet repeated
            # tries at one account show as one name.
            actor = f"email:{security.email_hash(email)}"
            audit.record(session, actor, "sign_in.failed")
    if user is None:
        return _refused(email, t("sign_in.wrong"), 401)
    security.signed_in(email, address)
    security.sign_in_as(user)
    return redirect(_next_page(user.role))


def _refused(email: str, error: str, status: int) -> ResponseReturnValue:
    return render_template("console/sign_in.html", error=error, email=email), status


def _next_page(role: str) -> str:
    wanted = request.args.get("next", "")
    # Only a path of this console: never an address elsewhere (no open redirect).
    if wanted.startswith("/console/") and "//" not in wanted and "\\" not in wanted:
        return wanted
    return url_for("console.dashboard" if role == users.COORDINATOR else "console.callbacks")


@blueprint.route("/sign-out", methods=["POST"])
@security.staff
def sign_out() -> ResponseReturnValue:
    from flask import g, session

    with db().session() as s:
        user = s.get(User, g.user.id)
        if user is not None:
            # Server-side: a copy of this cookie (another browser, a stolen one) ends too.
            users.end_sessions(user)
        audit.record(s, g.user.email, "sign_out")
    session.clear()
    return redirect(url_for("console.sign_in"))
