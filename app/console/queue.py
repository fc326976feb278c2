"""The callback queue: states and timings, claim or reassign, the recording player."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.console import blueprint, security, t
from app.db import utcnow
from app.extensions import db
from app.models import CallbackRequest, Group
from app.services import audit, callback_queue
from app.services.callback_queue import QueueError
from app.services.users import COORDINATOR


def _facilitator_scope() -> int | None:
    """None for coordinators (everything); the linked facilitator's id otherwise (a facilitator
    account without a link sees nothing: -1 matches no row)."""
    if g.user.role == COORDINATOR:
        return None
    return g.user.facilitator_id or -1


@blueprint.route("/callbacks")
@security.staff
def callbacks() -> ResponseReturnValue:
    now = utcnow()
    with db().session() as session:
        rows = callback_queue.visible(session, now, _facilitator_scope())
        people = callback_queue.facilitators(session)
        aliases = {gid: alias for gid, alias in session.execute(select(Group.id, Group.alias))}
        session.expunge_all()
    names = {p.id: p.name for p in people}
    return render_template(
        "console/callbacks.html",
        requests=rows,
        facilitators=people,
        names=names,
        aliases=aliases,
        now=now,
    )


@blueprint.route("/callbacks/<int:request_id>/claim", methods=["POST"])
@security.staff
def claim_callback(request_id: int) -> ResponseReturnValue:
    if g.user.role == COORDINATOR:
        target = request.form.get("facilitator", "")
        facilitator_id = int(target) if target.isdigit() else -1
    else:
        facilitator_id = g.user.facilitator_id or -1
    with db().session() as session:
        if not callback_queue.may_see(session, request_id, _facilitator_scope()):
            abort(404)
        try:
            row = callback_queue.assign(session, request_id, facilitator_id, utcnow())
        except QueueError as error:
            flash(str(error), "error")
        else:
            details = {"facilitator": facilitator_id}
            audit.record(session, g.user.email, "callback.assign", f"callback:{row.id}", details)
            flash(t("callbacks.assigned", code=row.code), "done")
    return redirect(url_for("console.callbacks"))


@blueprint.route("/callbacks/<int:request_id>/recording")
@security.staff
def callback_recording(request_id: int) -> ResponseReturnValue:
    """Only the claiming facilitator and coordinators. The line keeps no playable recording
    yet (no decryption helper exists), so this says so instead of serving bytes."""
    with db().session() as session:
        row = session.get(CallbackRequest, request_id)
        if row is None:
            abort(404)
        mine = g.user.facilitator_id is not None and row.claimed_by_id == g.user.facilitator_id
        if g.user.role != COORDINATOR and not mine:
            abort(403)
        audit.record(session, g.user.email, "callback.recording", f"callback:{row.id}")
        code = row.code
    return render_template("console/recording.html", code=code)
