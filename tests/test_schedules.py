from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import phoneline
from app.models import Meeting, MeetingStatus
from app.services import rsvps, schedules
from app.services.schedules import ScheduleError, Slot
from tests import factories
from workers.sweep import sweep_once

LA = ZoneInfo("America/Los_Angeles")


def slot(rule: str, starts_on: date = date(2026, 9, 1), at: time = time(18, 30)) -> Slot:
    return Slot("America/Los_Angeles", starts_on, rule, at, 90)


def local_times(s: Slot, first: date, last: date) -> list[str]:
    return [
        schedules.start_of(s, day).astimezone(LA).strftime("%a %Y-%m-%d %H:%M")
        for day in schedules.local_dates(s, first, last)
    ]


def test_every_other_week_counts_weeks_from_starts_on():
    every_other = slot("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")
    dates = schedules.local_dates(every_other, date(2026, 11, 1), date(2026, 11, 30))
    assert dates == [date(2026, 11, 10), date(2026, 11, 24)]


def test_second_and_fourth_wednesday_of_each_month():
    monthly = slot("FREQ=MONTHLY;BYDAY=2WE,4WE", starts_on=date(2026, 1, 1))
    dates = schedules.local_dates(monthly, date(2026, 12, 1), date(2027, 1, 31))
    assert dates == [date(2026, 12, 9), date(2026, 12, 23), date(2027, 1, 13), date(2027, 1, 27)]


def test_an_until_date_includes_its_own_day():
    ending = slot("FREQ=WEEKLY;BYDAY=TU;UNTIL=20260915")
    assert schedules.local_dates(ending, date(2026, 9, 1), date(2026, 12, 31))[-1] == date(
        2026, 9, 15
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2026, 10, 27), date(2026, 11, 3)),  # clocks go back on November 1
        (date(2027, 3, 9), date(2027, 3, 16)),  # clocks go forward on March 14
    ],
)
def test_a_meeting_stays_at_six_thirty_local_across_a_daylight_saving_change(first, last):
    weekly = slot("FREQ=WEEKLY;BYDAY=TU")
    assert [t[-5:] for t in local_times(weekly, first, last)] == ["18:30", "18:30"]


def test_across_the_fall_change_the_utc_instant_moves_an_hour_later():
    weekly = slot("FREQ=WEEKLY;BYDAY=TU")
    before = schedules.start_of(weekly, date(2026, 10, 27))
    after = schedules.start_of(weekly, date(2026, 11, 3))
    assert (before.hour, after.hour) == (1, 2)  # 01:30 and 02:30 UTC the next day


@pytest.mark.parametrize(
    ("rule", "complaint"),
    [
        ("FREQ=WEEKLY;BYDAY=TU;BYHOUR=18", "BYHOUR"),
        ("FREQ=WEEKLY;BYMINUTE=30", "BYMINUTE"),
        ("DTSTART=20260901;FREQ=WEEKLY", "DTSTART"),
        ("FREQ=HOURLY", "FREQ"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY"),
        ("FREQ=WEEKLY;UNTIL=20261201T000000Z", "UNTIL"),
        ("every tuesday", "NAME=VALUE"),
    ],
)
def test_a_rule_the_line_cannot_use_is_refused_with_the_reason(rule, complaint):
    with pytest.raises(ScheduleError, match=complaint):
        schedules.check_rule(rule)


NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Tuesday, noon in San Francisco


def meetings_of(session, group):
    return list(
        session.scalars(
            select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.starts_at)
        )
    )


def test_materialising_creates_each_future_occurrence_named_by_its_date(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW)
    rows = meetings_of(session, group)
    assert rows[0].key == f"{group.slug}@2026-11-24"
    assert rows[-1].original_date <= date(2027, 3, 24)
    assert len(rows) == 18


def test_materialising_twice_changes_nothing(session):
    group = factories.group(session)
    schedules.materialise(session, group, NOW)
    again = schedules.materialise(session, group, NOW)
    assert (again.created, again.retimed, again.deleted) == (0, 0, 0)


def test_a_new_start_time_moves_every_future_meeting_but_not_past_ones(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW - timedelta(days=14))
    group.start_time = time(19, 0)
    schedules.materialise(session, group, NOW)
    rows = meetings_of(session, group)
    past = [m for m in rows if m.starts_at <= NOW]
    assert {m.starts_at.astimezone(LA).strftime("%H:%M") for m in past} == {"18:30"}
    assert rows[-1].starts_at.astimezone(LA).strftime("%H:%M") == "19:00"


def test_a_cancelled_meeting_stays_cancelled_when_the_schedule_is_materialised_again(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW)
    first = meetings_of(session, group)[0]
    first.status = MeetingStatus.CANCELLED
    schedules.materialise(session, group, NOW)
    assert meetings_of(session, group)[0].status is MeetingStatus.CANCELLED


def test_an_occurrence_dropped_from_the_schedule_without_rsvps_disappears(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW)
    group.schedule = "FREQ=WEEKLY;BYDAY=WE"
    changes = schedules.materialise(session, group, NOW)
    assert {m.starts_at.astimezone(LA).weekday() for m in meetings_of(session, group)} == {2}
    assert changes.deleted == 18 and not changes.removed_with_rsvps


def test_an_occurrence_dropped_with_only_cancelled_rsvps_can_no_longer_be_booked(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW)
    tuesday = meetings_of(session, group)[0]
    booked = rsvps.create(session, factories.member(session), tuesday.id, "sms", NOW)
    rsvps.cancel(session, booked.rsvp.id, NOW)
    group.schedule = "FREQ=WEEKLY;BYDAY=WE"
    schedules.materialise(session, group, NOW)
    assert tuesday.status is MeetingStatus.CANCELLED
    with pytest.raises(rsvps.RsvpRefused, match="cancelled"):
        rsvps.create(session, factories.member(session), tuesday.id, "sms", NOW)


def test_the_sweep_extends_the_horizon_when_it_runs_short(session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    schedules.materialise(session, group, NOW)
    created = schedules.extend_horizon(session, NOW + timedelta(days=30))
    assert created >= 4
    assert schedules.extend_horizon(session, NOW + timedelta(days=30)) == 0


def test_a_start_in_the_spring_forward_gap_happens_when_the_clocks_show_three_thirty():
    early = slot("FREQ=WEEKLY;BYDAY=SU", starts_on=date(2027, 3, 7), at=time(2, 30))
    gap_night = schedules.start_of(early, date(2027, 3, 14))
    assert gap_night.astimezone(LA).strftime("%H:%M") == "03:30"


def test_the_workers_sweep_tops_up_meetings(app, session):
    group = factories.group(session, schedule="FREQ=WEEKLY;BYDAY=TU")
    session.commit()
    done = sweep_once(phoneline(app).db, NOW)
    assert done["extend_meetings"] == 18
    assert len(meetings_of(session, group)) == 18
