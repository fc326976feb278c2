"""Planning reminders (SPEC §9): one row per offset when the RSVP is made, in the member's zone,
never inside quiet hours, withdrawn or planned anew when the RSVP or the meeting changes."""

from dataclasses import replace
from datetime import timedelta

import time_machine

from app.config import Duration
from app.models import OutboxStatus
from app.prompts import load_catalog
from app.services import meetings, reminders, rsvps
from tests.conftest import fresh
from tests.reminder_support import (
    TIMES,
    local,
    meeting_at,
    member,
    reminder_rows,
    rsvp_with_reminders,
)

WORDING = meetings.Wording(load_catalog(), "Community Support Line", TIMES)


def test_a_one_day_reminder_keeps_the_local_clock_time_across_the_dst_change(session):
    # New York leaves daylight time on Sunday November 1, 2026: the day before has 25 hours.
    meeting = meeting_at(session, local(2026, 11, 1, 18, 30))
    rsvp = rsvp_with_reminders(session, member(session), meeting, local(2026, 10, 28, 12, 0))
    day_before, two_hours = reminder_rows(fresh(session), rsvp.id)
    assert day_before.due_at == local(2026, 10, 31, 18, 30)
    assert meeting.starts_at - day_before.due_at == timedelta(hours=25)
    assert two_hours.due_at == local(2026, 11, 1, 16, 30)


def test_an_offset_already_past_when_the_rsvp_is_made_is_not_planned(session):
    meeting = meeting_at(session, local(2026, 11, 10, 18, 30))
    rsvp = rsvp_with_reminders(session, member(session), meeting, local(2026, 11, 10, 9, 0))
    (only,) = reminder_rows(fresh(session), rsvp.id)
    assert only.due_at == local(2026, 11, 10, 16, 30)


def test_planning_twice_plans_once(session):
    meeting = meeting_at(session, local(2026, 11, 10, 18, 30))
    now = local(2026, 11, 5, 12, 0)
    rsvp = rsvp_with_reminders(session, member(session), meeting, now)
    reminders.plan(session, rsvp, TIMES, now)
    session.commit()
    assert len(reminder_rows(fresh(session), rsvp.id)) == 2


def test_a_reminder_due_at_six_in_the_morning_moves_to_the_end_of_quiet_hours(session):
    meeting = meeting_at(session, local(2026, 11, 10, 12, 0))
    times = replace(TIMES, offsets=(Duration(6, "h"),))
    rsvp = rsvp_with_reminders(session, member(session), meeting, local(2026, 11, 9, 12), times)
    (row,) = reminder_rows(fresh(session), rsvp.id)
    assert (row.status, row.due_at) == (OutboxStatus.PENDING, local(2026, 11, 10, 9, 0))


def test_a_reminder_quiet_hours_would_push_past_the_start_is_dropped(session):
    meeting = meeting_at(session, local(2026, 11, 10, 8, 30))
    times = replace(TIMES, offsets=(Duration(150, "m"),))  # due 06:00, quiet until 09:00
    rsvp = rsvp_with_reminders(session, member(session), meeting, local(2026, 11, 9, 12), times)
    (row,) = reminder_rows(fresh(session), rsvp.id)
    assert row.status is OutboxStatus.SKIPPED


def test_cancelling_the_rsvp_withdraws_its_reminders(session):
    meeting = meeting_at(session, local(2026, 11, 10, 18, 30))
    now = local(2026, 11, 5, 12, 0)
    rsvp = rsvp_with_reminders(session, member(session), meeting, now)
    rsvps.cancel(session, rsvp.id, now)
    session.commit()
    statuses = {row.status for row in reminder_rows(fresh(session), rsvp.id)}
    assert statuses == {OutboxStatus.CANCELLED}


def test_moving_the_meeting_plans_its_reminders_for_the_new_time(session):
    meeting = meeting_at(session, local(2026, 11, 10, 18, 30))
    now = local(2026, 11, 5, 12, 0)
    rsvp = rsvp_with_reminders(session, member(session), meeting, now)
    meetings.move(session, meeting, local(2026, 11, 12, 18, 0), WORDING, now)
    session.commit()
    live = [r for r in reminder_rows(fresh(session), rsvp.id) if r.status is OutboxStatus.PENDING]
    assert [r.due_at for r in live] == [local(2026, 11, 11, 18, 0), local(2026, 11, 12, 16, 0)]


def test_moving_a_meeting_back_to_its_first_time_plans_its_reminders_again(session):
    meeting = meeting_at(session, local(2026, 11, 10, 18, 30))
    rsvp = rsvp_with_reminders(session, member(session), meeting, local(2026, 11, 5, 12, 0))
    meetings.move(session, meeting, local(2026, 11, 12, 18, 0), WORDING, local(2026, 11, 5, 13))
    meetings.move(session, meeting, local(2026, 11, 10, 18, 30), WORDING, local(2026, 11, 5, 14))
    session.commit()
    live = [r for r in reminder_rows(fresh(session), rsvp.id) if r.status is OutboxStatus.PENDING]
    assert len(live) == 2


@time_machine.travel(local(2026, 11, 5, 12, 0), tick=False)
def test_an_rsvp_by_text_plans_its_reminders(twilio, session):
    from tests.sms_phone import nearby_groups

    nearby_groups(session, count=1)
    session.commit()
    for body in ("94110", "1", "RSVP"):
        twilio.text(body, sender="+14155550100")
    assert len(reminder_rows(fresh(session))) == 2
