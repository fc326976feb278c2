"""The monthly anonymous report for partners and funders: a printable page and a CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, g, render_template, request
from flask.typing import ResponseReturnValue

from app.console import blueprint, security, t
from app.db import utcnow
from app.extensions import db
from app.services import audit, stats
from app.services.stats import REPORT_COLUMNS, MonthlyReport


def _month(text: str | None) -> date:
    if not text:
        return stats.month_start(utcnow().date())
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        abort(404)


def cells(report: MonthlyReport) -> list[list[str]]:
    """Rows as shown anywhere outside the database: counts under 5 become "<5"."""
    rows = []
    for (group, language), values in sorted(report.rows.items()):
        answered = values["callbacks_answered"]
        shown = [stats.shown(values[c]) for c in REPORT_COLUMNS[:-1]]
        shown.append(stats.shown(values["median_minutes_to_call"], answered))
        rows.append([group, language, *shown])
    return rows


# A spreadsheet runs a cell that starts with one of these as a formula (a group named
# =HYPERLINK(...) would become a link, or worse); a leading apostrophe makes it plain text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(cell: str) -> str:
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def _load(month: date) -> MonthlyReport:
    with db().session() as session:
        report = stats.monthly_report(session, month)
        audit.record(session, g.user.email, "report.view", f"month:{month:%Y-%m}")
    return report


@blueprint.route("/reports")
@security.coordinators
def monthly_report() -> ResponseReturnValue:
    month = _month(request.args.get("month"))
    report = _load(month)
    return render_template(
        "console/report.html",
        report=report,
        rows=cells(report),
        columns=REPORT_COLUMNS,
        opt_outs=stats.shown(report.opt_outs),
        month=f"{month:%Y-%m}",
    )


@blueprint.route("/reports/<month>.csv")
@security.coordinators
def monthly_report_csv(month: str) -> ResponseReturnValue:
    report = _load(_month(month))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "language", *REPORT_COLUMNS])
    writer.writerows([inert(cell) for cell in row] for row in cells(report))
    writer.writerow([inert(t("report.all_groups")), "*", "opt_outs", stats.shown(report.opt_outs)])
    filename = f"phoneline-report-{month}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
