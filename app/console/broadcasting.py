"""Broadcasts: compose per language with a live recipient and segment count, audience, now or
later, a progress bar while sending, the delivery report, and resume when paused."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.console import blueprint, security, t
from app.db import utcnow
from app.extensions import config, db, prompts
from app.models import Broadcast, Group, Meeting, MeetingStatus
from app.services import audit, broadcasts, delivery
from app.services.broadcasts import BroadcastError, Preview, Report, Target

MEETINGS_AHEAD = timedelta(days=21)


@blueprint.route("/broadcasts")
@security.coordinators
def broadcast_list() -> ResponseReturnValue:
    with db().session() as session:
        recent = list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(50)))
        reports = {b.id: broadcasts.report(session, b) for b in recent}
        names = _group_names(session)
        session.expunge_all()
    states = {b.id: state_of(b, reports[b.id]) for b in recent}
    return render_template(
        "console/broadcasts.html", broadcasts=recent, reports=reports, names=names, states=states
    )


def _group_names(session: Session) -> dict[int, str]:
    return {gid: alias for gid, alias in session.execute(select(Group.id, Group.alias))}


@blueprint.route("/broadcasts/new")
@security.coordinators
def compose() -> ResponseReturnValue:
    return _compose_page({}, None)


def _compose_page(form: dict[str, str], error: str | None, status: int = 200) -> Any:
    now = utcnow()
    with db().session() as session:
        groups = list(
            session.scalars(select(Group).where(Group.active.is_(True)).order_by(Group.name))
        )
        upcoming = list(
            session.scalars(
                select(Meeting)
                .options(joinedload(Meeting.group))
                .where(
                    Meeting.status == MeetingStatus.SCHEDULED,
                    Meeting.starts_at > now,
                    Meeting.starts_at <= now + MEETINGS_AHEAD,
                )
                .order_by(Meeting.starts_at)
            )
        )
        session.expunge_all()
    page = render_template(
        "console/compose.html",
        groups=groups,
        meetings=upcoming,
        languages=prompts().languages,
        language_names={code: meta.name for code, meta in prompts().meta.items()},
        form=form,
        error=error,
    )
    return page, status


def _target(session: Session, audience: str) -> Target:
    kind, _, raw = audience.partition(":")
    if not raw.isdigit():
        raise BroadcastError(t("broadcasts.choose_audience"))
    if kind == "meeting":
        found = session.get(Meeting, int(raw), options=[joinedload(Meeting.group)])
        if found is not None:
            return Target(found.group, found)
    if kind == "group":
        group = session.get(Group, int(raw))
        if group is not None:
            return Target(group)
    raise BroadcastError(t("broadcasts.choose_audience"))


def _texts(form: Any) -> dict[str, str]:
    texts = {}
    for language in prompts().languages:
        text = " ".join(str(form.get(f"text_{language}", "")).split())
        if text:
            texts[language] = text
    return texts


def _plan(session: Session, form: Any) -> Preview:
    now = utcnow()
    target = _target(session, str(form.get("audience", "")))
    texts = _texts(form)
    if not texts:
        raise BroadcastError(t("broadcasts.no_text"))
    at = str(form.get("at", "")) if form.get("when") == "later" else ""
    send_at = broadcasts.parse_send_at(at, ZoneInfo(target.group.timezone), now)
    settings = config()
    return broadcasts.preview(
        session, prompts(), settings.line_name, settings.secret_key, target, texts, send_at, now
    )


@blueprint.route("/broadcasts/preview", methods=["POST"])
@security.coordinators
def preview_broadcast() -> ResponseReturnValue:
    """The live count the compose page asks for while the coordinator types."""
    with db().session() as session:
        try:
            planned = _plan(session, request.form)
        except BroadcastError as error:
            return jsonify(error=str(error))
        return jsonify(
            recipients=len(planned.recipients),
            segments=planned.segments,
            unreachable=planned.unreachable,
            skipped_language=planned.skipped_language,
            topic_words=planned.topic_words,
            duplicate_of=planned.duplicate_of,
            languages=[asdict(entry) for entry in planned.languages],
        )


@blueprint.route("/broadcasts", methods=["POST"])
@security.coordinators
def send_broadcast() -> ResponseReturnValue:
    force = request.form.get("force") == "1"
    try:
        with db().session() as session:
            planned = _plan(session, request.form)
            created = broadcasts.schedule(session, planned, g.user.email, force, utcnow())
            details = {"recipients": created.recipients, "forced": created.forced}
            target = f"broadcast:{created.id}"
            audit.record(session, g.user.email, "broadcast.send", target, details)
            broadcast_id = created.id
    except BroadcastError as error:
        return _compose_page(request.form.to_dict(), str(error), 422)
    return redirect(url_for("console.broadcast", broadcast_id=broadcast_id))


@blueprint.route("/broadcasts/<int:broadcast_id>")
@security.coordinators
def broadcast(broadcast_id: int) -> ResponseReturnValue:
    found, report, names = _followed(broadcast_id)
    return render_template(
        "console/broadcast.html",
        broadcast=found,
        report=report,
        names=names,
        state=state_of(found, report),
    )


@blueprint.route("/broadcasts/<int:broadcast_id>/progress")
@security.coordinators
def broadcast_progress(broadcast_id: int) -> ResponseReturnValue:
    found, report, _ = _followed(broadcast_id)
    return jsonify(status=state_of(found, report), done=report.done, **asdict(report))


def state_of(found: Broadcast, report: Report) -> str:
    """What the progress line says: paused, waiting for its time, sending, or done."""
    if found.status == delivery.BROADCAST_PAUSED:
        return "paused"
    if report.done:
        return "done"
    return "scheduled" if found.send_at > utcnow() else "sending"


def _followed(broadcast_id: int) -> tuple[Broadcast, Report, dict[int, str]]:
    with db().session() as session:
        found = session.get(Broadcast, broadcast_id)
        if found is None:
            abort(404)
        report = broadcasts.report(session, found)
        names = _group_names(session)
        session.expunge_all()
    return found, report, names


@blueprint.route("/broadcasts/<int:broadcast_id>/resume", methods=["POST"])
@security.coordinators
def resume_broadcast(broadcast_id: int) -> ResponseReturnValue:
    with db().session() as session:
        if delivery.is_paused(session, broadcast_id):
            waiting = broadcasts.resume(session, broadcast_id, utcnow())
            target = f"broadcast:{broadcast_id}"
            audit.record(session, g.user.email, "broadcast.resume", target, {"waiting": waiting})
    return redirect(url_for("console.broadcast", broadcast_id=broadcast_id))
