"""Groups and meetings: list and search, the directory upload, cancel or move one meeting,
RSVP counts and the waitlist (members masked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.console import blueprint, security, t
from app.db import utcnow
from app.extensions import config, db, prompts
from app.models import Group, Meeting, Rsvp, RsvpStatus
from app.services import audit, directory, meetings

UPCOMING = timedelta(days=60)


def wording() -> meetings.Wording:
    return meetings.Wording.of(prompts(), config())


@blueprint.route("/groups")
@security.coordinators
def groups() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()
    with db().session() as session:
        found = _search(session, query)
        session.expunge_all()
    return render_template("console/groups.html", groups=found, q=query)


def _search(session: Session, query: str) -> list[Group]:
    statement = select(Group).order_by(Group.active.desc(), Group.name)
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Group.name).like(like),
                func.lower(Group.alias).like(like),
                func.lower(Group.slug).like(like),
                Group.zip.like(like),
            )
        )
    return list(session.scalars(statement.limit(500)))


@blueprint.route("/groups/<slug>")
@security.coordinators
def group(slug: str) -> ResponseReturnValue:
    now = utcnow()
    with db().session() as session:
        found = session.scalar(select(Group).where(Group.slug == slug))
        if found is None:
            abort(404)
        upcoming = list(
            session.scalars(
                select(Meeting)
                .options(joinedload(Meeting.group))
                .where(Meeting.group_id == found.id, Meeting.ends_at >= now)
                .where(Meeting.starts_at <= now + UPCOMING)
                .order_by(Meeting.starts_at)
            )
        )
        counts = rsvp_counts(session, [m.id for m in upcoming])
        session.expunge_all()
    return render_template("console/group.html", group=found, meetings=upcoming, counts=counts)


def rsvp_counts(session: Session, meeting_ids: list[int]) -> dict[int, dict[RsvpStatus, int]]:
    rows = session.execute(
        select(Rsvp.meeting_id, Rsvp.status, func.count())
        .where(Rsvp.meeting_id.in_(meeting_ids))
        .group_by(Rsvp.meeting_id, Rsvp.status)
    )
    counted: dict[int, dict[RsvpStatus, int]] = {}
    for meeting_id, status, n in rows:
        counted.setdefault(meeting_id, {})[status] = int(n)
    return counted


@blueprint.route("/meetings/<int:meeting_id>")
@security.coordinators
def meeting(meeting_id: int) -> ResponseReturnValue:
    with db().session() as session:
        found = session.get(Meeting, meeting_id, options=[joinedload(Meeting.group)])
        if found is None:
            abort(404)
        live = list(
            session.scalars(
                select(Rsvp)
                .options(joinedload(Rsvp.member))
                .where(Rsvp.meeting_id == meeting_id, Rsvp.status != RsvpStatus.CANCELLED)
                .order_by(Rsvp.created_at, Rsvp.id)
            )
        )
        session.expunge_all()
    seated = [r for r in live if r.status is RsvpStatus.CONFIRMED]
    waiting = [r for r in live if r.status is RsvpStatus.WAITLISTED]
    return render_template(
        "console/meeting.html", meeting=found, seated=seated, waiting=waiting, now=utcnow()
    )


@blueprint.route("/meetings/<int:meeting_id>/cancel", methods=["POST"])
@security.coordinators
def cancel_meeting(meeting_id: int) -> ResponseReturnValue:
    def cancel(session: Session, found: Meeting) -> int:
        return meetings.cancel(session, found, wording(), utcnow())

    return _change_meeting(meeting_id, "cancel", cancel)


@blueprint.route("/meetings/<int:meeting_id>/move", methods=["POST"])
@security.coordinators
def move_meeting(meeting_id: int) -> ResponseReturnValue:
    def move(session: Session, found: Meeting) -> int:
        new_start = meetings.parse_new_start(request.form.get("to", ""), found)
        return meetings.move(session, found, new_start, wording(), utcnow())

    return _change_meeting(meeting_id, "move", move)


def _change_meeting(
    meeting_id: int, verb: str, change: Callable[[Session, Meeting], int]
) -> ResponseReturnValue:
    """Cancel or move one meeting, tell the coordinator how many notices went out, audit it."""
    with db().session() as session:
        found = _meeting(session, meeting_id)
        try:
            told = change(session, found)
        except meetings.MeetingError as error:
            flash(str(error), "error")
        else:
            audit.record(session, g.user.email, f"meeting.{verb}", found.key, {"notices": told})
            done = "cancelled" if verb == "cancel" else "moved"
            flash(t(f"meetings.{done}", meeting=found.key, count=told), "done")
        slug = found.group.slug
    return redirect(url_for("console.group", slug=slug))


def _meeting(session: Session, meeting_id: int) -> Meeting:
    found = session.get(Meeting, meeting_id, options=[joinedload(Meeting.group)])
    if found is None:
        abort(404)
    return found


@blueprint.route("/directory", methods=["GET", "POST"])
@security.coordinators
def upload_directory() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("console/directory.html", problems=[], report=None)
    upload = request.files.get("file")
    text = upload.read().decode("utf-8", errors="replace") if upload else ""
    with db().session() as session:
        rules = directory.rules_for(
            session, prompts().languages, config().default_region, utcnow().date()
        )
    parsed = directory.parse(text, rules)
    if parsed.directory is None:
        problems = [str(p) for p in parsed.problems] or [t("directory.empty")]
        return render_template("console/directory.html", problems=problems, report=None), 422
    with db().session() as session:
        report = directory.apply(session, parsed.directory, wording(), utcnow())
        audit.record(
            session,
            g.user.email,
            "directory.import",
            None,
            {"groups": len(parsed.directory.groups), "notices": report.notices},
        )
    return render_template("console/directory.html", problems=[], report=report)
