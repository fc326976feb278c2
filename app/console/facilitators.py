"""The directory's facilitators (coordinators): who is on call decides who is texted about a
new callback request (SPEC §10), so on a bad day a coordinator can change it here."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console import blueprint, security, t
from app.extensions import db
from app.models import Facilitator, Group, GroupFacilitator
from app.services import audit


@blueprint.route("/facilitators")
@security.coordinators
def facilitator_list() -> ResponseReturnValue:
    with db().session() as session:
        people = list(
            session.scalars(
                select(Facilitator).order_by(Facilitator.active.desc(), Facilitator.name)
            )
        )
        groups = _groups_of(session)
        session.expunge_all()
    nobody = not any(p.active and p.on_call for p in people)
    return render_template(
        "console/facilitators.html", people=people, groups=groups, nobody_on_call=nobody
    )


def _groups_of(session: Session) -> dict[int, list[Group]]:
    rows = session.execute(
        select(GroupFacilitator.facilitator_id, Group)
        .join(Group, Group.id == GroupFacilitator.group_id)
        .order_by(Group.name)
    )
    found: dict[int, list[Group]] = {}
    for facilitator_id, group in rows:
        found.setdefault(facilitator_id, []).append(group)
    return found


@blueprint.route("/facilitators/<int:facilitator_id>/on-call", methods=["POST"])
@security.coordinators
def set_on_call(facilitator_id: int) -> ResponseReturnValue:
    # The wanted state, not a toggle: a form sent twice leaves the same answer.
    wanted = request.form.get("on_call") == "yes"
    with db().session() as session:
        person = session.get(Facilitator, facilitator_id)
        if person is None:
            abort(404)
        if not person.active:
            flash(t("facilitators.inactive_refused", name=person.name), "error")
        elif person.on_call != wanted:
            person.on_call = wanted
            target = f"facilitator:{person.slug}"
            audit.record(session, g.user.email, "facilitator.on_call", target, {"on_call": wanted})
            flash(
                t("facilitators.now_on" if wanted else "facilitators.now_off", name=person.name),
                "done",
            )
    return redirect(url_for("console.facilitator_list"))
