"""The callback queue: states and timings, claim or give, the recording player."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.console import blueprint, security, t
from app.db import utcnow
from app.extensions import config, db, prompts
from app.models import CallbackRequest, Facilitator, Group
from app.services import audit, callback_queue, recordings
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
    chosen = request.form.get("facilitator", "")
    if g.user.role == COORDINATOR:
        facilitator_id = int(chosen) if chosen.isdigit() else -1
    else:
        facilitator_id = g.user.facilitator_id or -1
    with db().session() as session:
        row = session.get(CallbackRequest, request_id)
        person = session.get(Facilitator, facilitator_id)
        if row is None or not callback_queue.may_see(session, request_id, _facilitator_scope()):
            abort(404)
        if person is None or not person.active:
            abort(400)
        act = callback_queue.give if g.user.role == COORDINATOR else callback_queue.claim
        if act(session, row, person, prompts(), utcnow(), config()):
            details = {"facilitator": person.id}
            audit.record(session, g.user.email, "callback.assign", f"callback:{row.id}", details)
            flash(t("callbacks.assigned", code=row.code), "done")
        else:
            flash(t("callbacks.not_assigned", code=row.code), "error")
    return redirect(url_for("console.callbacks"))


def _audio(request_id: int) -> tuple[str, bytes | None]:
    """The request's code and its recording, if this account may hear it (coordinators, and
    the facilitator holding the request); 404 when they may not even see the request."""
    with db().session() as session:
        row = session.get(CallbackRequest, request_id)
        if row is None or not callback_queue.may_see(session, request_id, _facilitator_scope()):
            abort(404)
        audio = recordings.audio_for(
            session,
            config().secret_key,
            request_id,
            facilitator_id=g.user.facilitator_id,
            coordinator=g.user.role == COORDINATOR,
        )
        return row.code, audio


@blueprint.route("/callbacks/<int:request_id>/recording")
@security.staff
def callback_recording(request_id: int) -> ResponseReturnValue:
    code, audio = _audio(request_id)
    if audio is not None:
        with db().session() as session:
            audit.record(session, g.user.email, "callback.recording", f"callback:{request_id}")
    return render_template(
        "console/recording.html", code=code, request_id=request_id, playable=audio is not None
    )


@blueprint.route("/callbacks/<int:request_id>/recording.wav")
@security.staff
def callback_recording_audio(request_id: int) -> ResponseReturnValue:
    _, audio = _audio(request_id)
    if audio is None:
        abort(404)
    return Response(audio, mimetype="audio/x-wav", headers={"Cache-Control": "no-store"})
