"""The audit log page: every coordinator action, without content."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from app.console import blueprint, security
from app.extensions import db
from app.services import audit

PAGE = 200


@blueprint.route("/audit")
@security.coordinators
def audit_page() -> ResponseReturnValue:
    page = max(request.args.get("page", 0, type=int), 0)
    with db().session() as session:
        entries = audit.recent(session, PAGE, page * PAGE)
        session.expunge_all()
    return render_template("console/audit.html", entries=entries, page=page, size=PAGE)
