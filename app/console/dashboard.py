"""The dashboard: charts, and the staff notices that need someone ("things that need you")."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.console import blueprint, security, t
from app.console.charts import bar_chart
from app.db import utcnow
from app.extensions import db
from app.services import audit, staff, stats

LEGEND = ("opened", "median_minutes", "delivered_percent", "opt_outs")


@blueprint.route("/")
@security.coordinators
def dashboard() -> ResponseReturnValue:
    now = utcnow()
    with db().session() as session:
        rsvps = stats.rsvps_per_week(session, now)
        callbacks = stats.callbacks(session, now)
        broadcasts = stats.broadcast_delivery(session)
        reminders = stats.reminder_delivery(session, now)
        opt_outs = stats.opt_outs_per_month(session, now)
        notices = staff.open_notices(session)
        session.expunge_all()
    charts = [
        ("rsvps", rsvps),
        ("callbacks", callbacks.opened),
        ("callback_wait", callbacks.waits),
        ("broadcast_delivery", broadcasts),
        ("reminder_delivery", reminders),
        ("opt_outs", opt_outs),
    ]
    return render_template(
        "console/dashboard.html",
        charts=charts,
        draw=bar_chart,
        legend={k: t(f"chart.legend.{k}") for k in LEGEND},
        open_callbacks=callbacks.open_now,
        notices=notices,
    )


@blueprint.route("/notices/<int:notice_id>/resolve", methods=["POST"])
@security.coordinators
def resolve_notice(notice_id: int) -> ResponseReturnValue:
    with db().session() as session:
        if staff.resolve(session, notice_id):
            audit.record(session, g.user.email, "notice.resolve", f"notice:{notice_id}")
    return redirect(url_for("console.dashboard"))
