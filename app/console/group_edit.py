"""Edit one group from a form (coordinators): the directory's own rules, errors next to each
field, nothing saved unless every field is right. Schedules go through a directory upload."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.console import blueprint, security, t
from app.console.groups import wording
from app.db import utcnow
from app.extensions import config, db, prompts
from app.models import Group
from app.services import audit, group_edits
from app.services.directory import ACCESSIBILITY, AUDIENCES, TOPICS, Invalid


@blueprint.route("/groups/<slug>/edit", methods=["GET", "POST"])
@security.coordinators
def edit_group(slug: str) -> ResponseReturnValue:
    with db().session() as session:
        found = session.scalar(select(Group).where(Group.slug == slug))
        if found is None:
            abort(404)
        session.expunge(found)
    if request.method == "GET":
        return _page(found, group_edits.Form.of_group(found), {})
    form = group_edits.Form.posted(request.form, request.form.getlist)
    rules = group_edits.Rules(prompts().languages, config().default_region)
    checked = group_edits.check(form, found, rules)
    if checked.problems:
        return _page(found, form, {k: _say(v) for k, v in checked.problems.items()}), 422
    try:
        saved = _save(found.id, checked.values)
    except group_edits.TooFewSeats as refused:
        crowded = ", ".join(t("edit.seats_taken", meeting=k, count=n) for k, n in refused.crowded)
        return _page(found, form, {"capacity": t("edit.too_few_seats", meetings=crowded)}), 422
    flash(t("edit.saved", fields=len(saved.changed), promoted=saved.promoted), "done")
    return redirect(url_for("console.group", slug=slug))


def _save(group_id: int, values: dict[str, object]) -> group_edits.Saved:
    with db().session() as session:
        group = session.get(Group, group_id)
        if group is None:
            abort(404)
        saved = group_edits.save(session, group, values, wording(), utcnow())
        if saved.changed:
            details = {
                "fields": saved.changed,
                "promoted": saved.promoted,
                "notices": saved.notices,
            }
            audit.record(session, g.user.email, "group.edit", f"group:{group.slug}", details)
    return saved


def _say(refused: Invalid) -> str:
    return t(f"edit.invalid.{refused.reason}", **refused.params)


def _page(group: Group, form: group_edits.Form, problems: dict[str, str]) -> str:
    return render_template(
        "console/group_edit.html",
        group=group,
        form=form,
        problems=problems,
        vocab={
            "topics": TOPICS,
            "audience": AUDIENCES,
            "accessibility": ACCESSIBILITY,
            "languages": prompts().languages,
        },
        location=group_edits.shows_location(group),
        dial_in=group_edits.shows_dial_in(group),
    )
