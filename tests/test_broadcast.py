"""``phoneline broadcast`` (SPEC §4, §9): audience, texts per language, preview, the duplicate
guard, ``--at``, and what members receive."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.cli import cli
from app.models import (
    Broadcast,
    ConsentPurpose,
    ConsentSource,
    OutboxItem,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
    SmsStatus,
)
from app.services import broadcasts, members
from tests import factories
from tests.conftest import fresh
from tests.outbox_support import SECRET, grant, midday_zone, number
from workers.dispatch import send_batch
from workers.worker import run_worker


@pytest.fixture
def settings(settings):
    settings["LINE_TIMEZONE"] = midday_zone()
    settings["SMS_MAX_PER_SECOND"] = "0"
    return settings


@pytest.fixture
def group(session):
    return factories.group(session, slug="tuesday", name="Grief Circle", alias="Tuesday group")


def member_of(session, group, n, language="en", consent=True, ago=timedelta(days=3), **fields):
    meeting = factories.meeting(session, group, starts_in=-(ago + timedelta(days=n)))
    member = factories.member(session, phone=number(n), language=language, **fields)
    session.add(
        Rsvp(member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms")
    )
    if consent:
        grant(session, member.phone, ConsentPurpose.BROADCASTS)
    session.commit()
    return member


def broadcast(app, *args):
    return app.test_cli_runner().invoke(cli, ["broadcast", *args])


def rows(session):
    return list(fresh(session).scalars(select(OutboxItem).order_by(OutboxItem.id)))


def test_the_preview_counts_recipients_unreachable_members_and_segments(app, session, group):
    member_of(session, group, 1)
    member_of(session, group, 2, consent=False)
    member_of(session, group, 3, sms_status=SmsStatus.BLOCKED)
    result = broadcast(app, "--group", "tuesday", "--message", "Room 4 this week.", "--yes")
    assert result.exit_code == 0, result.output
    assert "recipients: 1 (1 segments)" in result.output
    assert "not reachable by SMS: 2" in result.output
    assert "Community Support Line: Room 4 this week. Reply STOP to end" in result.output


def test_each_member_gets_the_text_in_their_language(app, session, group):
    member_of(session, group, 1, language="en")
    member_of(session, group, 2, language="es")
    broadcast(app, "--group", "tuesday", "--message", "Hi.", "--message-es", "Hola.", "--yes")
    assert [(r.language, r.params["text"]) for r in rows(session)] == [
        ("en", "Hi."),
        ("es", "Hola."),
    ]


def test_members_whose_language_has_no_text_are_skipped_and_counted(app, session, group):
    member_of(session, group, 1, language="es")
    result = broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    assert "skipped, no text in their language: 1" in result.output
    assert rows(session) == []


def test_members_of_long_ago_and_cancelled_rsvps_are_not_the_audience(app, session, group):
    member_of(session, group, 1, ago=timedelta(days=91))
    cancelled = member_of(session, group, 2)
    for rsvp in session.scalars(select(Rsvp).where(Rsvp.member_id == cancelled.id)):
        rsvp.status = RsvpStatus.CANCELLED
    session.commit()
    result = broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    assert "recipients: 0" in result.output


def test_the_same_text_to_the_same_group_within_a_day_is_refused(app, session, group):
    member_of(session, group, 1)
    broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    again = broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    assert again.exit_code == 1 and "--force" in again.output
    assert len(rows(session)) == 1


def test_force_sends_the_same_text_again(app, session, group):
    member_of(session, group, 1)
    broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    forced = broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes", "--force")
    assert forced.exit_code == 0 and len(rows(session)) == 2


def test_at_without_an_offset_is_the_groups_local_time(app, session, group):
    member_of(session, group, 1)
    broadcast(app, "--group", "tuesday", "--message", "Hi.", "--at", "2026-12-01T10:00", "--yes")
    assert rows(session)[0].due_at == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 10:00 PST


def test_topic_words_and_characters_outside_gsm7_are_warned_about(app, session, group):
    member_of(session, group, 1)
    result = broadcast(app, "--group", "tuesday", "--message", "Grief circle “moved”.", "--yes")
    assert "warning: topic words circle, grief" in result.output
    assert "not GSM-7" in result.output


def test_a_meeting_broadcast_goes_to_its_rsvps_who_agreed_to_notices(app, session, group):
    meeting = factories.meeting(session, group, starts_in=timedelta(days=2))
    member = factories.member(session, phone=number(7))
    session.add(
        Rsvp(member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms")
    )
    grant(session, member.phone, ConsentPurpose.NOTICES)
    session.commit()
    key = f"tuesday@{meeting.original_date.isoformat()}"
    result = broadcast(app, "--meeting", key, "--message", "Bring a mug.", "--yes")
    assert result.exit_code == 0, result.output
    assert [r.recipient for r in rows(session)] == [member.phone]


def test_a_group_and_a_meeting_together_is_a_usage_error(app, group):
    result = broadcast(app, "--group", "tuesday", "--meeting", "x@2026-12-01", "--message", "Hi.")
    assert result.exit_code == 2


def test_an_unknown_group_is_refused(app):
    assert broadcast(app, "--group", "nope", "--message", "Hi.", "--yes").exit_code == 1


def test_every_member_gets_the_broadcast_once_with_header_and_footer(
    app, session, group, simulator
):
    for n in range(5):
        member_of(session, group, n)
    broadcast(app, "--group", "tuesday", "--message", "Room 4 this week.", "--yes")
    run_worker(app, burst=True)
    simulator.wait_idle()
    bodies = [m.body for m in simulator.store.messages.values()]
    assert bodies == ["Community Support Line: Room 4 this week. Reply STOP to end"] * 5
    assert {r.status for r in rows(session)} == {OutboxStatus.DELIVERED}


def test_a_run_of_carrier_filtering_pauses_the_broadcast(app, session, group, simulator):
    for n in range(8):
        member_of(session, group, n)
        simulator.phone(number(n)).texts_fail("undelivered", 30007)
    broadcast(app, "--group", "tuesday", "--message", "Room 4.", "--yes")
    send_batch([r.id for r in rows(session)[:5]])
    simulator.wait_idle()
    run_worker(app, burst=True)  # the other three wait
    assert fresh(session).scalars(select(Broadcast.status)).one() == "paused"
    assert len(simulator.store.messages) == 5
    assert [r.status for r in rows(session)[5:]] == [OutboxStatus.PENDING] * 3


def paused_broadcast(app, session, group, simulator, members=8, filtered=8):
    for n in range(members):
        member_of(session, group, n)
        if n < filtered:
            simulator.phone(number(n)).texts_fail("undelivered", 30007)
    broadcast(app, "--group", "tuesday", "--message", "Room 4.", "--yes")
    send_batch([r.id for r in rows(session)[:5]])
    simulator.wait_idle()


def test_coordinators_are_told_once_when_a_broadcast_pauses(app, session, group, simulator):
    factories.coordinator(session, slug="lee", phone="+14155550140")
    paused_broadcast(app, session, group, simulator)
    run_worker(app, burst=True)
    simulator.wait_idle()
    told = [m.body for m in simulator.store.messages.values() if m.to == "+14155550140"]
    assert len(told) == 1
    assert "paused" in told[0] and "Room 4" not in told[0]


def test_a_resumed_broadcast_sends_what_was_waiting(app, session, group, simulator):
    paused_broadcast(app, session, group, simulator, members=8, filtered=5)
    result = broadcast(app, "--resume", str(fresh(session).scalars(select(Broadcast.id)).one()))
    assert "3 texts waiting go again now" in result.output
    run_worker(app, burst=True)
    simulator.wait_idle()
    assert fresh(session).scalars(select(Broadcast.status)).one() == "scheduled"
    assert [r.status for r in rows(session)[5:]] == [OutboxStatus.DELIVERED] * 3
    assert len(simulator.store.messages) == 8


def test_resuming_counts_a_new_run_of_filtering_before_pausing_again(
    app, session, group, simulator
):
    paused_broadcast(app, session, group, simulator, members=9, filtered=9)
    broadcast(app, "--resume", str(fresh(session).scalars(select(Broadcast.id)).one()))
    send_batch([r.id for r in rows(session)[5:8]])
    simulator.wait_idle()
    assert fresh(session).scalars(select(Broadcast.status)).one() == "scheduled"


def test_a_member_who_revoked_broadcasts_is_not_a_recipient(app, session, group):
    member = member_of(session, group, 1)
    members.record_consent(
        session, member.phone, ConsentPurpose.BROADCASTS, False, ConsentSource.SMS, SECRET
    )
    session.commit()
    result = broadcast(app, "--group", "tuesday", "--message", "Hi.", "--yes")
    assert "recipients: 0" in result.output and "not reachable by SMS: 1" in result.output


def test_the_report_counts_a_text_still_looked_up_in_flight_and_one_given_up_unresolved(
    app, session, group
):
    for n in range(3):
        member_of(session, group, n)
    broadcast(app, "--group", "tuesday", "--message", "Room 4.", "--yes")
    looking, given_up, delivered = rows(session)
    looking.status, looking.next_check_at = OutboxStatus.UNKNOWN, datetime.now(UTC)
    given_up.status, given_up.next_check_at = OutboxStatus.UNKNOWN, None
    delivered.status = OutboxStatus.DELIVERED
    session.commit()
    result = broadcasts.report(session, fresh(session).scalars(select(Broadcast)).one())
    assert (result.in_flight, result.unresolved, result.delivered) == (1, 1, 1)
