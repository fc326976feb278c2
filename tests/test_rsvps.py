import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import phoneline
from app.models import Member, OutboxKind, OutboxPurpose, OutboxStatus, Rsvp, RsvpStatus
from app.services import outbox, rsvps
from app.services.outbox import Outgoing
from tests import factories


@pytest.fixture
def full_meeting(session):
    """A meeting with capacity 2 and both seats taken."""
    meeting = factories.meeting(session, capacity=2)
    for _ in range(2):
        rsvps.create(session, factories.member(session), meeting.id, "sms")
    session.commit()
    return meeting


def test_an_rsvp_with_seats_left_is_confirmed(session):
    meeting = factories.meeting(session, capacity=5)
    outcome = rsvps.create(session, factories.member(session), meeting.id, "sms")
    assert outcome.rsvp.status is RsvpStatus.CONFIRMED
    assert outcome.waitlist_position is None


def test_an_rsvp_to_a_full_meeting_joins_the_waitlist_with_its_place(session, full_meeting):
    first = rsvps.create(session, factories.member(session), full_meeting.id, "sms")
    second = rsvps.create(session, factories.member(session), full_meeting.id, "voice")
    assert first.rsvp.status is RsvpStatus.WAITLISTED
    assert (first.waitlist_position, second.waitlist_position) == (1, 2)


def test_a_second_rsvp_by_the_same_member_returns_the_first(session):
    meeting = factories.meeting(session)
    member = factories.member(session)
    first = rsvps.create(session, member, meeting.id, "sms")
    again = rsvps.create(session, member, meeting.id, "sms")
    assert again.already and again.rsvp.id == first.rsvp.id


def test_a_meeting_that_has_started_takes_no_rsvp(session):
    meeting = factories.meeting(session, starts_in=timedelta(minutes=-5))
    with pytest.raises(rsvps.RsvpRefused, match="started"):
        rsvps.create(session, factories.member(session), meeting.id, "sms")


def test_cancelling_a_seat_moves_the_first_on_the_waitlist_up(session, full_meeting):
    waiting = rsvps.create(session, factories.member(session), full_meeting.id, "sms").rsvp
    seated = session.scalars(
        select(Rsvp).where(Rsvp.meeting_id == full_meeting.id).order_by(Rsvp.id)
    ).first()
    promoted = rsvps.cancel(session, seated.id)
    assert promoted is not None and promoted.id == waiting.id
    assert waiting.status is RsvpStatus.CONFIRMED


def test_nobody_is_moved_up_within_two_hours_of_the_start(session):
    meeting = factories.meeting(session, capacity=1, starts_in=timedelta(minutes=90))
    seated = rsvps.create(session, factories.member(session), meeting.id, "sms").rsvp
    waiting = rsvps.create(session, factories.member(session), meeting.id, "sms").rsvp
    assert rsvps.cancel(session, seated.id) is None
    assert waiting.status is RsvpStatus.WAITLISTED


def test_cancelling_withdraws_reminders_not_yet_sent(session):
    meeting = factories.meeting(session)
    member = factories.member(session)
    rsvp = rsvps.create(session, member, meeting.id, "sms").rsvp
    reminder = outbox.enqueue(
        session,
        Outgoing(
            OutboxKind.SMS,
            OutboxPurpose.REMINDER,
            member.phone,
            "sms.welcome",
            "en",
            rsvp_id=rsvp.id,
            dedupe_key=f"reminder:{rsvp.id}:1d",
        ),
    )
    rsvps.cancel(session, rsvp.id)
    assert (
        reminder.status is OutboxStatus.CANCELLED
        or session.get(type(reminder), reminder.id, populate_existing=True).status
        is OutboxStatus.CANCELLED
    )


def test_twenty_concurrent_rsvps_for_the_last_three_seats(app, session):
    """On PostgreSQL (CI's second run) the meeting row lock decides; on SQLite the write lock."""
    meeting = factories.meeting(session, capacity=10)
    for _ in range(7):
        rsvps.create(session, factories.member(session), meeting.id, "sms")
    members = [factories.member(session) for _ in range(20)]
    session.commit()
    database = phoneline(app).db
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def rsvp(member_id: int) -> None:
        try:
            barrier.wait()
            with database.session() as own:
                rsvps.create(own, own.get(Member, member_id), meeting.id, "sms")
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=rsvp, args=(m.id,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    outcomes = session.scalars(
        select(Rsvp).where(Rsvp.member_id.in_([m.id for m in members]))
    ).all()
    assert sum(r.status is RsvpStatus.CONFIRMED for r in outcomes) == 3
    waitlisted = [r for r in outcomes if r.status is RsvpStatus.WAITLISTED]
    assert len(waitlisted) == 17
    positions = sorted(rsvps.waitlist_position(session, r) for r in waitlisted)
    assert positions == list(range(1, 18))
