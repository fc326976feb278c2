from sqlalchemy import select

from app.models import Coordinator, OutboxItem, OutboxPurpose, StaffNotice, StaffNoticeKind
from app.services import outbox, staff

SECRET = "test-secret-key"


def coordinators(session):
    session.add_all(
        [
            Coordinator(slug="lee", name="Lee M.", phone="+14155550140", languages=["es", "en"]),
            Coordinator(slug="kim", name="Kim P.", phone="+14155550141", languages=["fr"]),
            Coordinator(slug="old", name="Old C.", phone="+14155550142", active=False),
        ]
    )
    session.flush()


def test_a_told_event_texts_every_active_coordinator_in_their_language(session):
    coordinators(session)
    row = staff.note(
        session,
        StaffNoticeKind.BROADCAST_PAUSED,
        "broadcast-paused:7",
        text="staff.broadcast_paused",
        params={"line_name": "Peer Line", "broadcast": 7, "count": 5},
        broadcast_id=None,
    )
    assert row is not None
    texts = session.scalars(select(OutboxItem).order_by(OutboxItem.recipient)).all()
    assert [(t.recipient, t.language) for t in texts] == [
        ("+14155550140", "es"),
        ("+14155550141", "en"),
    ]
    assert {t.purpose for t in texts} == {OutboxPurpose.STAFF}
    assert all(outbox.may_send(session, t, SECRET) for t in texts)


def test_the_same_event_is_noted_and_told_once(session):
    coordinators(session)
    for _ in range(3):
        staff.note(
            session,
            StaffNoticeKind.FACILITATOR_OPTED_OUT,
            "facilitator-stop:ana",
            text="staff.facilitator_opted_out",
            params={"line_name": "Peer Line", "facilitator": "Ana R."},
        )
    assert len(session.scalars(select(StaffNotice)).all()) == 1
    assert len(session.scalars(select(OutboxItem)).all()) == 2


def test_an_urgent_event_goes_ahead_of_quiet_hours(session):
    coordinators(session)
    staff.note(
        session,
        StaffNoticeKind.CALLBACK_UNANSWERED,
        "cb:1",
        text="staff.cannot_remind",
        params={"line_name": "L", "alias": "A", "date": "Nov 3"},
        urgent=True,
    )
    assert {t.purpose for t in session.scalars(select(OutboxItem))} == {OutboxPurpose.ALERT}


def test_a_seen_event_is_listed_until_resolved_without_texting_anyone(session):
    coordinators(session)
    row = staff.note(session, StaffNoticeKind.INVALID_NUMBER, "invalid:member:9")
    assert row is not None
    assert session.scalars(select(OutboxItem)).all() == []
    assert [n.id for n in staff.open_notices(session)] == [row.id]
    assert staff.resolve(session, row.id)
    assert staff.open_notices(session) == []
    assert not staff.resolve(session, row.id)
