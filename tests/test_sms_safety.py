"""The crisis net, opt-outs and opt-ins, retries and floods, by text (SPEC §6, §8)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.models import (
    CallbackRequest,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    Facilitator,
    Member,
    OutboxKind,
    OutboxPurpose,
    Rsvp,
    SmsStatus,
)
from app.services import members, outbox
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import (
    MEMBER,
    Phone,
    nearby_groups,
    say,
)

SECRET = "test-secret-key"


@pytest.fixture
def phone(twilio):
    return Phone(twilio)


def urgent_requests(session):
    return fresh(session).scalars(select(CallbackRequest).where(CallbackRequest.urgent)).all()


def ledger(session):
    rows = fresh(session).scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    return [(row.purpose, row.granted, row.source) for row in rows]


# --- crisis ----------------------------------------------------------------------------------


def test_a_crisis_text_gets_the_crisis_reply_and_one_urgent_request(phone, session):
    assert phone.text("i want to kill myself") == [say("en", "sms.crisis")]
    (request,) = urgent_requests(session)
    assert (request.source, request.note) == ("crisis", None)


def test_a_crisis_phrase_in_the_middle_of_a_search_is_answered_first(phone, session):
    nearby_groups(session)
    phone.text("94110")
    assert phone.text("I took all my pills") == [say("en", "sms.crisis")]
    assert len(urgent_requests(session)) == 1
    (details,) = phone.text("2")
    assert details.startswith("Circle 2: ")


def test_a_spanish_crisis_text_is_answered_in_spanish(phone, session):
    assert phone.text("me quiero morir") == [say("es", "sms.crisis")]


def test_later_crisis_texts_within_24_hours_join_the_open_urgent_request(
    phone, session, time_machine
):
    time_machine.move_to(datetime.now(UTC))
    phone.text("i want to die")
    time_machine.shift(timedelta(hours=23))
    assert phone.text("i want to die") == [say("en", "sms.crisis")]
    assert len(urgent_requests(session)) == 1
    time_machine.shift(timedelta(hours=2))
    phone.text("i want to die")
    assert len(urgent_requests(session)) == 2


def test_stop_texting_me_and_a_crisis_phrase_get_one_reply_ending_with_the_confirmation(
    phone, session
):
    (reply,) = phone.text("stop texting me, I want to die")
    assert reply.startswith(say("en", "sms.crisis"))
    assert reply.endswith(say("en", "optout.stop_short"))
    assert len(urgent_requests(session)) == 1
    assert all(not granted for _, granted, _ in ledger(session))


def test_a_number_twilio_blocked_gets_no_sms_but_its_crisis_still_opens_a_request(phone, session):
    factories.member(session, MEMBER, sms_status=SmsStatus.BLOCKED)
    session.commit()
    assert phone.text("i want to die") == []
    (request,) = urgent_requests(session)
    assert request.member.sms_status is SmsStatus.BLOCKED  # "texts blocked, call only"


def test_a_facilitators_texts_skip_the_crisis_matcher_and_member_commands(phone, session):
    session.add(Facilitator(slug="ana", name="Ana R.", phone=MEMBER, languages=["es"]))
    session.commit()
    assert phone.text("the member said they want to die") == [say("es", "sms.facilitator.help")]
    assert phone.text("MENU") == [say("es", "sms.facilitator.help")]
    fresh(session)
    assert session.scalar(select(func.count()).select_from(CallbackRequest)) == 0
    assert session.scalar(select(func.count()).select_from(Member)) == 0


# --- carrier keywords and the line's own -------------------------------------------------------


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "END", "QUIT",
                                  "REVOKE", "OPTOUT"])  # fmt: skip
def test_a_carrier_stop_is_recorded_and_answered_with_nothing(phone, session, word):
    assert phone.text(word, OptOutType="STOP") == []
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.BLOCKED
    assert {(granted, source) for _, granted, source in ledger(session)} == {
        (False, ConsentSource.CARRIER)
    }


def test_a_carrier_stop_without_opt_out_type_is_known_by_its_word(phone, session):
    assert phone.text("STOP") == []
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.BLOCKED


@pytest.mark.parametrize("body", ["stop.", "Stop!"])
@pytest.mark.parametrize("carrier_caught", [True, False])
def test_stop_with_punctuation_opts_out_with_exactly_one_confirmation(
    phone, session, body, carrier_caught
):
    """Twilio may or may not treat "stop." as its keyword; it says so with OptOutType. Either
    way the member gets one confirmation: the carrier's, or else the line's."""
    extra = {"OptOutType": "STOP"} if carrier_caught else {}
    line_replies = phone.text(body, **extra)
    carrier_replies = 1 if carrier_caught else 0
    assert len(line_replies) + carrier_replies == 1
    assert line_replies in ([], [say("en", "optout.stop")])
    assert all(not granted for _, granted, _ in ledger(session))


@pytest.mark.parametrize("body", ["PARAR", "ALTO", "BAJA", "CANCELAR", "NO MAS", "no más"])
def test_spanish_stop_words_get_the_lines_own_confirmation_in_spanish(phone, session, body):
    assert phone.text(body) == [say("es", "optout.stop")]
    assert all(not granted for _, granted, _ in ledger(session))
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.OK  # not a carrier stop


@pytest.mark.parametrize("body", ["stop texting me", "No more texts please", "no mas mensajes"])
def test_plain_requests_to_stop_are_confirmed_once(phone, session, body):
    (reply,) = phone.text(body)
    assert reply in (say("en", "optout.stop"), say("es", "optout.stop"))


def test_carrier_start_unblocks_and_restores_meeting_texts(phone, session):
    phone.text("STOP", OptOutType="STOP")
    assert phone.text("START", OptOutType="START") == []
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.OK
    assert members.has_consent(session, MEMBER, ConsentPurpose.REMINDERS_SMS, SECRET)
    assert not members.has_consent(session, MEMBER, ConsentPurpose.BROADCASTS, SECRET)


@pytest.mark.parametrize("opt_out_type", [None, "START"])
def test_a_yes_from_someone_who_never_stopped_grants_nothing(phone, session, opt_out_type):
    phone.text("hello")
    extra = {"OptOutType": opt_out_type} if opt_out_type else {}
    phone.text("Yes", **extra)
    for purpose in ConsentPurpose:
        assert not members.has_consent(fresh(session), MEMBER, purpose, SECRET), purpose


def test_empezar_after_a_line_stop_confirms_once_in_spanish(phone, session):
    phone.text("PARAR")
    assert phone.text("EMPEZAR") == [say("es", "optout.start")]


def test_carrier_help_is_answered_by_twilio_and_ayuda_by_the_line(phone, session):
    assert phone.text("HELP", OptOutType="HELP") == []
    (reply,) = phone.text("AYUDA")
    assert reply == say("es", "optout.help", per_meeting=4)
    assert "911" in reply and "988" in reply


def test_a_member_who_opted_out_gets_no_later_broadcast_or_reminder(phone, session):
    phone.text("JOIN")
    phone.text("REMIND TEXT")
    phone.text("stop texting me")
    for purpose in (OutboxPurpose.BROADCAST, OutboxPurpose.REMINDER, OutboxPurpose.NOTICE):
        item = outbox.enqueue(
            fresh(session),
            outbox.Outgoing(OutboxKind.SMS, purpose, MEMBER, "sms.menu", "en"),
        )
        assert not outbox.may_send(session, item, SECRET), purpose


def test_a_member_blocked_at_twilio_gets_not_even_a_reply_row(phone, session):
    phone.text("STOP", OptOutType="STOP")
    item = outbox.enqueue(
        fresh(session), outbox.Outgoing(OutboxKind.SMS, OutboxPurpose.REPLY, MEMBER, "x", "en")
    )
    assert not outbox.may_send(session, item, SECRET)


def test_a_member_who_joined_gets_broadcasts(phone, session):
    phone.text("JOIN")
    item = outbox.enqueue(
        fresh(session),
        outbox.Outgoing(OutboxKind.SMS, OutboxPurpose.BROADCAST, MEMBER, "sms.menu", "en"),
    )
    assert outbox.may_send(session, item, SECRET)


# --- retries and floods ----------------------------------------------------------------------


def test_a_retried_webhook_gets_the_same_reply_and_no_second_rsvp(phone, session):
    nearby_groups(session)
    phone.text("94110")
    first = phone.send("RSVP 1", sid="SM" + "c" * 32)
    again = phone.send("RSVP 1", sid="SM" + "c" * 32)
    assert again.data == first.data
    assert fresh(session).scalar(select(func.count()).select_from(Rsvp)) == 1


def test_a_retried_call_request_opens_one_request(phone, session):
    phone.send("CALL", sid="SM" + "d" * 32)
    phone.send("CALL", sid="SM" + "d" * 32)
    assert fresh(session).scalar(select(func.count()).select_from(CallbackRequest)) == 1


def test_concurrent_duplicates_get_one_reply_and_one_effect(app, session):
    """Twilio retrying while the first request is still being answered."""
    results = []

    def post():
        from app.config import PLACEHOLDER_AUTH_TOKEN
        from tests.conftest import Twilio

        results.append(Phone(Twilio(app.test_client(), PLACEHOLDER_AUTH_TOKEN)).send(
            "CALL", sid="SM" + "e" * 32).data)  # fmt: skip

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert fresh(session).scalar(select(func.count()).select_from(CallbackRequest)) == 1


def test_a_flood_gets_one_notice_then_silence_but_a_crisis_is_still_answered(phone, session):
    replies = [phone.text("I want to die" if n == 23 else "MENU") for n in range(1, 26)]
    assert all(r for r in replies[:20])
    assert replies[20] == [say("en", "sms.flood")]
    assert replies[21] == []
    assert replies[22] == [say("en", "sms.crisis")]
    assert replies[23:] == [[], []]
    assert len(urgent_requests(session)) == 1


def test_the_flood_guard_lets_go_once_the_number_slows_down(phone, session, time_machine):
    time_machine.move_to(datetime.now(UTC))
    for n in range(22):
        phone.text(f"hello {n}")
    time_machine.shift(timedelta(minutes=6))
    assert phone.text("MENU") == [say("en", "sms.menu")]


def test_a_text_from_a_paused_number_unpauses_its_sms(phone, session):
    factories.member(session, MEMBER, sms_status=SmsStatus.PAUSED, sms_failure_streak=3)
    session.commit()
    phone.text("MENU")
    assert fresh(session).scalar(select(Member.sms_status)) is SmsStatus.OK


def test_a_crisis_text_at_three_in_the_morning_is_answered_at_once(phone, time_machine):
    """Quiet hours hold automated sends only; the crisis reply is the webhook's own answer."""
    time_machine.move_to(datetime(2026, 11, 26, 11, 0, tzinfo=UTC))  # 03:00 in San Francisco
    assert phone.text("i want to die") == [say("en", "sms.crisis")]


def test_one_number_flooding_does_not_silence_another(phone, twilio):
    for _ in range(22):
        phone.text("MENU")
    assert Phone(twilio, "+14155550155").text("MENU")[0] == say("en", "sms.menu")
