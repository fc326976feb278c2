"""Numbers for the console's dashboard and the monthly anonymous report (SPEC §13).

Counts only: no number, name or text leaves here. Rows are read with plain selects and
grouped by week or month in Python, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.models import (
    OPEN_CALLBACK_STATES,
    Broadcast,
    CallbackRequest,
    ConsentEvent,
    Group,
    Meeting,
    Member,
    OutboxItem,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
)

SMALL_CELL = 5
NO_GROUP = "-"
_REACHED = (OutboxStatus.SENT, OutboxStatus.DELIVERED)
_SETTLED = (OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED)


def week_start(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weeks_back(now: datetime, count: int) -> list[date]:
    last = week_start(now)
    return [last - timedelta(weeks=n) for n in reversed(range(count))]


@dataclass
class Series:
    """Values per period (``labels``), one list per name."""

    labels: list[str]
    values: dict[str, list[float]] = field(default_factory=dict)


def rsvps_per_week(session: Session, now: datetime, weeks: int = 8) -> Series:
    starts = weeks_back(now, weeks)
    rows = session.execute(
        select(Rsvp.created_at, Group.alias)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(Rsvp.created_at >= datetime.combine(starts[0], datetime.min.time(), UTC))
    ).all()
    counted = Counter((alias, week_start(created)) for created, alias in rows)
    series = Series([d.strftime("%m-%d") for d in starts])
    for alias in sorted({alias for alias, _ in counted}):
        series.values[alias] = [float(counted[(alias, d)]) for d in starts]
    return series


@dataclass(frozen=True)
class CallbackSummary:
    open_now: int
    opened: Series  # "opened" per week
    waits: Series  # "median_minutes" to the first call, per week of opening


def callbacks(session: Session, now: datetime, weeks: int = 8) -> CallbackSummary:
    starts = weeks_back(now, weeks)
    open_now = len(
        session.scalars(
            select(CallbackRequest.id).where(CallbackRequest.status.in_(OPEN_CALLBACK_STATES))
        ).all()
    )
    rows = session.execute(
        select(CallbackRequest.created_at, CallbackRequest.called_at).where(
            CallbackRequest.created_at >= datetime.combine(starts[0], datetime.min.time(), UTC)
        )
    ).all()
    opened: Counter[date] = Counter()
    waits: dict[date, list[float]] = defaultdict(list)
    for created, called in rows:
        opened[week_start(created)] += 1
        if called is not None:
            waits[week_start(created)].append((called - created).total_seconds() / 60)
    labels = [d.strftime("%m-%d") for d in starts]
    counts = Series(labels, {"opened": [float(opened[d]) for d in starts]})
    medians = Series(labels, {"median_minutes": [_median(waits[d]) for d in starts]})
    return CallbackSummary(open_now, counts, medians)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def broadcast_delivery(session: Session, limit: int = 8) -> Series:
    """Delivered as a share of settled texts, for the most recent broadcasts."""
    recent = session.scalars(select(Broadcast.id).order_by(Broadcast.id.desc()).limit(limit)).all()
    series = Series([f"#{n}" for n in reversed(recent)])
    rows = session.execute(
        select(OutboxItem.broadcast_id, OutboxItem.status).where(
            OutboxItem.broadcast_id.in_(recent), OutboxItem.status.in_(_SETTLED)
        )
    ).all()
    series.values["delivered_percent"] = [_rate(rows, n) for n in reversed(recent)]
    return series


def reminder_delivery(session: Session, now: datetime, weeks: int = 8) -> Series:
    starts = weeks_back(now, weeks)
    rows = session.execute(
        select(OutboxItem.final_at, OutboxItem.status).where(
            OutboxItem.purpose == OutboxPurpose.REMINDER,
            OutboxItem.status.in_(_SETTLED),
            OutboxItem.final_at >= datetime.combine(starts[0], datetime.min.time(), UTC),
        )
    ).all()
    by_week = [(week_start(final), status) for final, status in rows if final is not None]
    series = Series([d.strftime("%m-%d") for d in starts])
    series.values["delivered_percent"] = [_rate(by_week, d) for d in starts]
    return series


def _rate(rows: Sequence[Any], key: object) -> float:
    mine = [status for k, status in rows if k == key]
    if not mine:
        return 0.0
    return round(100 * sum(s is OutboxStatus.DELIVERED for s in mine) / len(mine), 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(now: datetime, count: int) -> list[date]:
    first = month_start(now.astimezone(UTC).date())
    months = [first]
    for _ in range(count - 1):
        months.append(month_start(months[-1] - timedelta(days=1)))
    return list(reversed(months))


def opt_outs_per_month(session: Session, now: datetime, months: int = 6) -> Series:
    """Numbers that revoked consent (STOP, or recorded on paper), each once per month."""
    starts = months_back(now, months)
    rows = session.execute(
        select(ConsentEvent.phone_hash, ConsentEvent.created_at).where(
            ConsentEvent.granted.is_(False),
            ConsentEvent.created_at >= datetime.combine(starts[0], datetime.min.time(), UTC),
        )
    ).all()
    seen = {(digest, month_start(at.astimezone(UTC).date())) for digest, at in rows}
    counted = Counter(month for _, month in seen)
    series = Series([d.strftime("%Y-%m") for d in starts])
    series.values["opt_outs"] = [float(counted[d]) for d in starts]
    return series


# --- the monthly anonymous report ----------------------------------------------------------

REPORT_COLUMNS = (
    "members_reached",
    "rsvps",
    "confirmed",
    "cancelled",
    "callbacks_answered",
    "median_minutes_to_call",
)


@dataclass
class MonthlyReport:
    month: date
    rows: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    opt_outs: int = 0

    def cell(self, group: str, language: str) -> dict[str, float]:
        return self.rows.setdefault((group, language), dict.fromkeys(REPORT_COLUMNS, 0.0))


def shown(value: float, count_behind: float | None = None) -> str:
    """A count under 5 is shown as "<5", so no one can be picked out; a median is shown only
    when at least 5 values stand behind it."""
    if count_behind is not None:
        return "<5" if count_behind < SMALL_CELL else f"{value:g}"
    return "<5" if value < SMALL_CELL else f"{value:g}"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime.combine(month_start(month), datetime.min.time(), UTC)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def monthly_report(session: Session, month: date) -> MonthlyReport:
    report = MonthlyReport(month_start(month))
    start, end = month_bounds(month)
    _reached(session, report, start, end)
    _rsvps(session, report, start, end)
    _confirmations(session, report, start, end)
    _callbacks(session, report, start, end)
    report.opt_outs = len(
        set(
            session.scalars(
                select(ConsentEvent.phone_hash).where(
                    ConsentEvent.granted.is_(False),
                    ConsentEvent.created_at >= start,
                    ConsentEvent.created_at < end,
                )
            )
        )
    )
    return report


def _reached(session: Session, report: MonthlyReport, start: datetime, end: datetime) -> None:
    by_rsvp, by_broadcast = aliased(Group), aliased(Group)
    rows = session.execute(
        select(OutboxItem.member_id, OutboxItem.language, by_rsvp.name, by_broadcast.name)
        .outerjoin(Rsvp, Rsvp.id == OutboxItem.rsvp_id)
        .outerjoin(Meeting, Meeting.id == Rsvp.meeting_id)
        .outerjoin(by_rsvp, by_rsvp.id == Meeting.group_id)
        .outerjoin(Broadcast, Broadcast.id == OutboxItem.broadcast_id)
        .outerjoin(by_broadcast, by_broadcast.id == Broadcast.group_id)
        .where(
            OutboxItem.member_id.is_not(None),
            OutboxItem.status.in_(_REACHED),
            OutboxItem.sent_at >= start,
            OutboxItem.sent_at < end,
        )
    ).all()
    reached = {(member, lang, g1 or g2 or NO_GROUP) for member, lang, g1, g2 in rows}
    for _, lang, group in reached:
        report.cell(group, lang)["members_reached"] += 1


def _rsvps(session: Session, report: MonthlyReport, start: datetime, end: datetime) -> None:
    rows = session.execute(
        select(Group.name, Member.language)
        .select_from(Rsvp)
        .join(Member, Member.id == Rsvp.member_id)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(Rsvp.created_at >= start, Rsvp.created_at < end)
    ).all()
    for group, lang in rows:
        report.cell(group, lang or "en")["rsvps"] += 1


def _confirmations(session: Session, report: MonthlyReport, start: datetime, end: datetime) -> None:
    rows = session.execute(
        select(Group.name, Member.language, Rsvp.attended)
        .select_from(Rsvp)
        .join(Member, Member.id == Rsvp.member_id)
        .join(Meeting, Meeting.id == Rsvp.meeting_id)
        .join(Group, Group.id == Meeting.group_id)
        .where(Meeting.starts_at >= start, Meeting.starts_at < end, Rsvp.attended.is_not(None))
    ).all()
    for group, lang, attended in rows:
        report.cell(group, lang or "en")["confirmed" if attended else "cancelled"] += 1


def _callbacks(session: Session, report: MonthlyReport, start: datetime, end: datetime) -> None:
    rows = session.execute(
        select(Group.name, CallbackRequest.language, CallbackRequest.created_at)
        .add_columns(CallbackRequest.called_at)
        .outerjoin(Group, Group.id == CallbackRequest.group_id)
        .where(CallbackRequest.called_at >= start, CallbackRequest.called_at < end)
    ).all()
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for group, lang, created, called in rows:
        waits[(group or NO_GROUP, lang)].append((called - created).total_seconds() / 60)
    for (group, lang), minutes in waits.items():
        cell = report.cell(group, lang)
        cell["callbacks_answered"] = len(minutes)
        cell["median_minutes_to_call"] = _median(minutes)
