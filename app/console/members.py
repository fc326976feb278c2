"""Members (masked), consent given on paper or in person, deletion on request."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.console import blueprint, security, t
from app.extensions import config, db
from app.models import ConsentPurpose, ConsentSource, Member, Rsvp, RsvpStatus
from app.phones import InvalidNumber, dialable, parse_number
from app.services import audit, erasure, members

PAGE = 200
CONSOLE_SOURCES = (ConsentSource.PAPER, ConsentSource.VERBAL)


@blueprint.route("/members", methods=["GET", "POST"])
@security.coordinators
def member_list() -> ResponseReturnValue:
    # A search is a POST: a number in the address would be written to the proxy's and the
    # platform's access logs and kept in the browser's history. GET lists the newest members.
    query = request.form.get("q", "").strip() if request.method == "POST" else ""
    with db().session() as session:
        found, by = _search(session, query)
        live = _live_rsvps(session, [m.id for m in found])
        if by is not None:
            audit.record(
                session, g.user.email, "member.search", None, {"by": by, "found": len(found)}
            )
        session.expunge_all()
    return render_template(
        "console/members.html",
        members=found,
        live=live,
        searched=bool(query),
        purposes=list(ConsentPurpose),
        sources=CONSOLE_SOURCES,
    )


def _search(session: Session, query: str) -> tuple[list[Member], str | None]:
    """By the whole number (any format), or by its last four digits; else the newest. Also
    says which kind of look-up it was, for the audit log (never the digits)."""
    statement = select(Member).order_by(Member.last_active_at.desc()).limit(PAGE)
    digits = "".join(ch for ch in query if ch.isdigit())
    if len(digits) == 4 and len(query) <= 6:
        found = session.scalars(statement.where(Member.phone.like(f"%{digits}")))
        return list(found), "last_four"
    if query:
        phone = _number(query)
        if phone is None:
            return [], "number"
        return list(session.scalars(statement.where(Member.phone == phone))), "number"
    return list(session.scalars(statement)), None


def _number(text: str) -> str | None:
    try:
        return parse_number(text, config().default_region)
    except InvalidNumber:
        return None


def _live_rsvps(session: Session, member_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Rsvp.member_id, func.count())
        .where(Rsvp.member_id.in_(member_ids), Rsvp.status != RsvpStatus.CANCELLED)
        .group_by(Rsvp.member_id)
    )
    return {member_id: int(n) for member_id, n in rows}


@blueprint.route("/consent", methods=["POST"])
@security.coordinators
def record_consent() -> ResponseReturnValue:
    phone = _number(request.form.get("number", ""))
    try:
        purpose = ConsentPurpose(request.form.get("purpose", ""))
        source = ConsentSource(request.form.get("source", ""))
    except ValueError:
        abort(400)
    granted = request.form.get("decision") == "grant"
    # A grant is what lets automated texts and calls go: never to a number the line may not
    # dial (security review H1). A revoke can only stop sends, so any number takes one.
    refused = granted and phone is not None and not dialable(phone, config().default_region)
    if phone is None or refused or source not in CONSOLE_SOURCES:
        flash(t("members.bad_number"), "error")
        return redirect(url_for("console.member_list"))
    with db().session() as session:
        members.record_consent(session, phone, purpose, granted, source, config().secret_key)
        details = {"purpose": purpose.value, "granted": granted, "source": source.value}
        audit.record(session, g.user.email, "consent.record", None, details)
    flash(t("members.consent_recorded"), "done")
    return redirect(url_for("console.member_list"))


@blueprint.route("/members/<int:member_id>/delete", methods=["POST"])
@security.coordinators
def delete_member(member_id: int) -> ResponseReturnValue:
    if request.form.get("confirm") != "yes":
        flash(t("members.confirm_first"), "error")
        return redirect(url_for("console.member_list"))
    with db().session() as session:
        member = session.get(Member, member_id)
        if member is None:
            abort(404)
        erasure.forget_member(session, member, config().secret_key)
        audit.record(session, g.user.email, "member.delete", f"member:{member_id}")
    flash(t("members.deleted"), "done")
    return redirect(url_for("console.member_list"))
