"""``phoneline consent``, ``phoneline member delete`` (SPEC §4, §9, §12): consent given on paper
or in person, deletion on request. Numbers are never printed back in full."""

from datetime import timedelta

from sqlalchemy import select

from app.cli import cli
from app.db import utcnow
from app.models import (
    AuditEntry,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    InboundMessage,
    Member,
    MessageDeletion,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
    Rsvp,
    RsvpStatus,
)
from app.phones import number_hash
from app.services import members
from tests import factories
from tests.conftest import fresh

SECRET = "test-secret-key"
PHONE = "+14155550123"
TYPED = "(415) 555-0123"


def phoneline(app, *args, input=None):
    return app.test_cli_runner().invoke(cli, list(args), input=input)


def consented(session, purpose=ConsentPurpose.REMINDERS_SMS):
    return members.has_consent(fresh(session), PHONE, purpose, SECRET)


def shows_no_number(output):
    return "555-0123" not in output and "5550123" not in output


def audit_actions(session):
    return [(e.actor, e.action) for e in fresh(session).scalars(select(AuditEntry))]


def test_consent_given_on_paper_lets_reminders_go_to_the_number(app, session):
    result = phoneline(
        app, "consent", TYPED, "--purpose", "reminders_sms", "--grant", "--source", "paper"
    )
    assert result.exit_code == 0, result.output
    assert consented(session)
    assert "•••-•••-0123" in result.output and shows_no_number(result.output)
    assert audit_actions(session) == [("cli", "consent.record")]


def test_consent_revoked_in_person_stops_what_was_granted(app, session):
    members.record_consent(session, PHONE, ConsentPurpose.NOTICES, True, ConsentSource.SMS, SECRET)
    session.commit()
    result = phoneline(
        app, "consent", PHONE, "--purpose", "notices", "--revoke", "--source", "verbal"
    )
    assert result.exit_code == 0, result.output
    assert not consented(session, ConsentPurpose.NOTICES)
    event = fresh(session).scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert event is not None and event.source is ConsentSource.VERBAL


def test_a_number_that_is_not_one_is_refused_without_echoing_it(app, session):
    result = phoneline(
        app, "consent", "555-01234567", "--purpose", "notices", "--grant", "--source", "paper"
    )
    assert result.exit_code == 2
    assert "not a phone number" in result.output and "01234567" not in result.output
    assert fresh(session).scalars(select(ConsentEvent)).all() == []


def test_an_unknown_purpose_or_source_is_a_usage_error_and_records_nothing(app, session):
    bad_purpose = phoneline(
        app, "consent", PHONE, "--purpose", "marketing", "--grant", "--source", "paper"
    )
    bad_source = phoneline(
        app, "consent", PHONE, "--purpose", "notices", "--grant", "--source", "sms"
    )
    neither = phoneline(app, "consent", PHONE, "--purpose", "notices", "--source", "paper")
    both = phoneline(
        app, "consent", PHONE, "--purpose", "notices", "--grant", "--revoke", "--source", "paper"
    )
    exits = (bad_purpose.exit_code, bad_source.exit_code, neither.exit_code, both.exit_code)
    assert exits == (2, 2, 2, 2)
    assert fresh(session).scalars(select(ConsentEvent)).all() == []


def member_with_history(session):
    member = factories.member(session, PHONE)
    meeting = factories.meeting(session, starts_in=timedelta(days=2))
    rsvp = Rsvp(
        member_id=member.id, meeting_id=meeting.id, status=RsvpStatus.CONFIRMED, source="sms"
    )
    session.add(rsvp)
    session.flush()
    session.add(sent_text(recipient=PHONE, member_id=member.id, twilio_sid="SM" + "1" * 32))
    session.add(InboundMessage(message_sid="SM" + "2" * 32, sender_hash=number_hash(PHONE, SECRET)))
    members.record_consent(
        session, PHONE, ConsentPurpose.REMINDERS_SMS, True, ConsentSource.SMS, SECRET
    )
    session.commit()
    return member


def sent_text(**fields):
    values = {
        "kind": OutboxKind.SMS,
        "purpose": OutboxPurpose.REMINDER,
        "template": "reminder.sms",
        "params": {"alias": "Tuesday group"},
        "language": "en",
        "status": OutboxStatus.DELIVERED,
        "body": "Reminder: Tuesday group tomorrow at 6:30 PM.",
    }
    return OutboxItem(**(values | fields))


def test_member_delete_removes_everything_but_the_consent_ledger_and_says_what(app, session):
    member_with_history(session)
    result = phoneline(app, "member", "delete", TYPED, "--yes")
    assert result.exit_code == 0, result.output
    assert "1 RSVPs, 0 callback requests, 2 messages" in result.output
    assert "•••-•••-0123" in result.output and shows_no_number(result.output)
    session = fresh(session)
    assert session.scalars(select(Member)).all() == []
    assert session.scalars(select(OutboxItem)).all() == []
    assert session.scalars(select(InboundMessage)).all() == []
    assert consented(session)  # the ledger survives deletion (SPEC §9)
    assert len(session.scalars(select(MessageDeletion)).all()) == 2  # Twilio's copies next
    assert audit_actions(session) == [("cli", "member.delete")]


def test_member_delete_asks_first_and_changes_nothing_when_declined(app, session):
    member_with_history(session)
    result = phoneline(app, "member", "delete", PHONE, input="n\n")
    assert result.exit_code == 1
    assert "Delete the member •••-•••-0123" in result.output and shows_no_number(result.output)
    assert len(fresh(session).scalars(select(Member)).all()) == 1


def test_member_delete_goes_ahead_when_confirmed_at_the_prompt(app, session):
    member_with_history(session)
    result = phoneline(app, "member", "delete", PHONE, input="y\n")
    assert result.exit_code == 0, result.output
    assert fresh(session).scalars(select(Member)).all() == []


def test_deleting_a_number_that_is_no_member_says_so_and_changes_nothing(app, session):
    factories.member(session, "+14155550199")
    session.commit()
    result = phoneline(app, "member", "delete", PHONE, "--yes")
    assert result.exit_code == 1
    assert "no member has the number •••-•••-0123" in result.output
    assert shows_no_number(result.output)
    assert len(fresh(session).scalars(select(Member)).all()) == 1
    assert audit_actions(session) == []


def test_a_deleted_member_who_texts_again_is_new_but_their_consent_stands(app, session):
    member_with_history(session)
    phoneline(app, "member", "delete", PHONE, "--yes")
    again = members.find_or_create(fresh(session), PHONE)
    session.commit()
    assert again.rsvps == [] and again.created_at > utcnow() - timedelta(minutes=1)
    assert consented(session)
