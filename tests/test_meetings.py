from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.cli import cli
from app.extensions import prompts
from app.models import (
    Meeting,
    MeetingStatus,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    ReminderChannel,
)
from app.segments import is_gsm7
from app.services import meetings, outbox, rsvps, schedules
from app.services.directory import TOPICS
from app.services.outbox import Outgoing
from tests import factories

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # Tuesday, noon in San Francisco
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def wording(app):
    return meetings.Wording(prompts(), "Community Support Line")


@pytest.fixture
def group(session):
    grp = factories.group(
        session, slug="hope-circle", name="Hope Circle Anxiety", alias="Tuesday evening group"
    )
    grp.topics = ["anxiety", "depression"]
    schedules.materialise(session, grp, NOW)
    return grp


def next_tuesday(session, group) -> Meeting:
    return meetings.find(session, f"{group.slug}@2026-12-01")


def notices(session) -> list[OutboxItem]:
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.purpose == OutboxPurpose.NOTICE)
            .order_by(OutboxItem.id)
        )
    )


def rendered(item: OutboxItem) -> str:
    return prompts().render(item.language, item.template, **item.params)


def test_a_meeting_is_found_by_its_slug_and_original_date(session, group):
    found = next_tuesday(session, group)
    assert found.starts_at.astimezone(LA) == datetime(2026, 12, 1, 18, 30, tzinfo=LA)


@pytest.mark.parametrize("key", ["hope-circle@2026-12-02", "nobody@2026-12-01", "hope-circle"])
def test_a_key_that_names_no_meeting_is_an_error(session, group, key):
    with pytest.raises(meetings.MeetingError):
        meetings.find(session, key)


def test_cancelling_tells_each_member_with_an_rsvp_by_the_alias_only(session, group, wording):
    meeting = next_tuesday(session, group)
    for _ in range(2):
        rsvps.create(session, factories.member(session), meeting.id, "sms", now=NOW)
    assert meetings.cancel(session, meeting, wording, NOW) == 2
    texts = [rendered(item) for item in notices(session)]
    assert texts[0] == (
        "Community Support Line: Tuesday evening group on Tue Dec 1, 6:30 PM "
        "is cancelled. Text MY to see your meetings."
    )
    assert not any(topic in text.lower() for text in texts for topic in TOPICS)
    assert "Hope Circle" not in texts[1]


def test_a_spanish_speaker_is_told_in_spanish(session, group, wording):
    meeting = next_tuesday(session, group)
    member = factories.member(session, language="es")
    rsvps.create(session, member, meeting.id, "sms", now=NOW)
    meetings.cancel(session, meeting, wording, NOW)
    # The text's date form: "sábado" would make a Spanish notice UCS-2 and over budget.
    text = rendered(notices(session)[0])
    assert "Tuesday evening group del mar 1 dic, 6:30 p. m. queda cancelado." in text
    assert is_gsm7(text)


def test_cancelling_twice_tells_nobody_twice(session, group, wording):
    meeting = next_tuesday(session, group)
    rsvps.create(session, factories.member(session), meeting.id, "sms", now=NOW)
    meetings.cancel(session, meeting, wording, NOW)
    meetings.cancel(session, meeting, wording, NOW)
    assert len(notices(session)) == 1


def test_a_member_who_takes_reminders_by_phone_gets_the_notice_by_phone(session, group, wording):
    meeting = next_tuesday(session, group)
    member = factories.member(session, reminder_channel=ReminderChannel.CALL)
    rsvps.create(session, member, meeting.id, "voice", now=NOW)
    meetings.cancel(session, meeting, wording, NOW)
    assert notices(session)[0].kind is OutboxKind.CALL


def test_cancelling_withdraws_the_reminders_still_waiting(session, group, wording):
    meeting = next_tuesday(session, group)
    member = factories.member(session)
    rsvp = rsvps.create(session, member, meeting.id, "sms", now=NOW).rsvp
    reminder = outbox.enqueue(session, _reminder(member, rsvp.id))
    meetings.cancel(session, meeting, wording, NOW)
    session.refresh(reminder)
    assert reminder.status is OutboxStatus.CANCELLED


def test_moving_tells_members_the_old_and_new_times(session, group, wording):
    meeting = next_tuesday(session, group)
    rsvps.create(session, factories.member(session), meeting.id, "sms", now=NOW)
    new_start = meetings.parse_new_start("2026-12-02T19:00", meeting)
    meetings.move(session, meeting, new_start, wording, NOW)
    assert rendered(notices(session)[0]) == (
        "Community Support Line: Tuesday evening group on Tue Dec 1, 6:30 PM "
        "has moved to Wed Dec 2, 7:00 PM. Text MY to see your meetings."
    )


def test_a_move_given_as_a_time_alone_keeps_the_day(session, group):
    meeting = next_tuesday(session, group)
    moved = meetings.parse_new_start("17:00", meeting)
    assert moved == datetime(2026, 12, 1, 17, 0, tzinfo=LA)


def test_a_moved_meeting_keeps_its_new_time_when_the_schedule_is_materialised_again(
    session, group, wording
):
    meeting = next_tuesday(session, group)
    meetings.move(session, meeting, datetime(2026, 12, 2, 3, 0, tzinfo=UTC), wording, NOW)
    schedules.materialise(session, group, NOW)
    again = next_tuesday(session, group)
    assert again.moved and again.starts_at == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def test_a_meeting_cannot_be_moved_into_the_past(session, group, wording):
    meeting = next_tuesday(session, group)
    with pytest.raises(meetings.MeetingError):
        meetings.move(session, meeting, NOW - timedelta(hours=1), wording, NOW)


def test_the_cli_cancels_a_meeting_and_says_how_many_were_told(app, session, group):
    session.commit()
    with time_machine.travel(NOW, tick=False):
        result = app.test_cli_runner().invoke(cli, ["meeting", "cancel", "hope-circle@2026-12-01"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert next_tuesday(session, group).status is MeetingStatus.CANCELLED


def test_the_cli_refuses_an_unknown_meeting_with_status_1(app, session, group):
    session.commit()
    result = app.test_cli_runner().invoke(cli, ["meeting", "cancel", "hope-circle@2026-12-02"])
    assert result.exit_code == 1


def _reminder(member, rsvp_id) -> Outgoing:
    return Outgoing(
        kind=OutboxKind.SMS,
        purpose=OutboxPurpose.REMINDER,
        recipient=member.phone,
        template="sms.welcome",
        language="en",
        due_at=datetime(2026, 11, 30, 18, 30, tzinfo=UTC),
        member_id=member.id,
        rsvp_id=rsvp_id,
        dedupe_key=f"reminder:{rsvp_id}:1d",
    )
