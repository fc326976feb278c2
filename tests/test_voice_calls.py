"""Whole calls, run by a phone that executes TwiML as Twilio does (tests/call_runner.py)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import CallbackRequest, ConsentPurpose, Member, OutboxItem, Rsvp, RsvpStatus
from app.services import members, rsvps
from app.simulator import Keys, Talk
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh
from workers.dispatch import send_batch

CALLER = "+14155550100"
VERIFIED = "TN-Validation-Passed-A"
SECRET = "test-secret-key"
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _member_with_two_rsvps(session):
    member = factories.member(session, phone=CALLER, language="en", reminder_channel="sms")
    for days, name in ((2, "Hope Circle"), (5, "Tuesday Talk")):
        group = factories.group(session, name=name, location_name="Mission Library")
        meeting = factories.meeting(session, group, starts_in=timedelta(days=days))
        rsvps.create(session, member, meeting.id, "sms")
    session.commit()
    return member


def test_a_verified_caller_hears_their_meetings_and_cancels_one(twilio, session):
    member = _member_with_two_rsvps(session)
    run_call(
        twilio,
        [
            ("2", "Hope Circle"),
            ("2", "Tuesday Talk"),
            ("1", "Do you want to cancel"),
            ("1", "Your sign-up is cancelled. Hope Circle"),
            ("hangup", None),
        ],
        stir=VERIFIED,
    )
    live = fresh(session).scalars(select(Rsvp).where(Rsvp.member_id == member.id)).all()
    assert sorted(r.status for r in live) == [RsvpStatus.CANCELLED, RsvpStatus.CONFIRMED]


def test_next_after_the_last_meeting_says_it_was_the_last(twilio, session):
    _member_with_two_rsvps(session)
    script = [("2", "Hope Circle"), ("2", "Tuesday Talk"), ("2", "That was your last meeting.")]
    call = run_call(
        twilio,
        [*script, ("3", "Hope Circle"), ("3", "This is your first meeting.")],
        stir=VERIFIED,
    )
    assert "not available on this phone" not in call.said


def test_the_reminder_plan_is_read_with_each_meeting(twilio, session):
    _member_with_two_rsvps(session)
    run_call(twilio, [("2", "remind you by text, 1 day and 2 hours before")], stir=VERIFIED)


def _unverified_offer(twilio, caller):
    script = [("1", None), ("*", None), ("2", None), ("2", None), ("2", None)]
    call = run_call(twilio, script, caller=caller)
    return call.said


def test_an_unverified_caller_hears_the_same_offer_whether_or_not_they_are_a_member(
    twilio, session
):
    _member_with_two_rsvps(session)
    member_heard = _unverified_offer(twilio, CALLER)
    stranger_heard = _unverified_offer(twilio, "+14155550199")
    assert member_heard == stranger_heard
    assert "We can text or call this phone's number with your meetings" in member_heard
    assert "If this number has meetings with us, they are on the way" in member_heard


def test_the_meetings_text_goes_only_to_a_members_number(twilio, session):
    _member_with_two_rsvps(session)
    _unverified_offer(twilio, CALLER)
    _unverified_offer(twilio, "+14155550199")
    sent = fresh(session).scalars(select(OutboxItem)).all()
    assert [(o.recipient, o.template) for o in sent] == [(CALLER, "voice.text.meetings")]


@pytest.mark.parametrize("language", ["en", "es"])
def test_many_meetings_texted_from_a_call_fit_two_segments_and_point_to_the_full_list(
    twilio, session, simulator, language
):
    from app.segments import count

    member = factories.member(session, phone=CALLER, language=language, reminder_channel="sms")
    for days in range(2, 10):
        group = factories.group(
            session, name=f"Saturday Morning Circle {days}", location_name="Mission Branch Library"
        )
        meeting = factories.meeting(session, group, starts_in=timedelta(days=days))
        rsvps.create(session, member, meeting.id, "sms")
    session.commit()
    language_key = {"en": "1", "es": "2"}[language]
    run_call(twilio, [(language_key, None), *[(key, None) for key in "*222"]], caller=CALLER)
    send_batch([fresh(session).scalars(select(OutboxItem)).one().id])
    (text,) = [m.body for m in simulator.messages_to(CALLER)]
    lines = text.splitlines()
    assert count(text).count <= 2
    assert "Saturday Morning Circle 2, " in lines[0]
    assert lines[1].startswith("Saturday Morning Circle 3, ")
    more = {"en": "more: text MY for the list.", "es": "otras: escriba MIS para la lista."}
    assert lines[-1].endswith(more[language])
    assert 2 <= len(lines) - 1 < 8


def test_a_member_who_enters_their_pin_hears_their_meetings(twilio, session):
    from app.services import verification

    member = _member_with_two_rsvps(session)
    verification.set_pin(member, "2468")
    session.commit()
    script = [("1", None), ("*", None), ("2", None), ("3", "enter your 4-digit PIN")]
    run_call(twilio, [*script, ("2468", "Hope Circle")])


def test_three_wrong_pins_lock_the_pin_for_this_call(twilio, session):
    from app.services import verification

    member = _member_with_two_rsvps(session)
    verification.set_pin(member, "2468")
    session.commit()
    script = [("1", None), ("*", None), ("2", None), ("3", None), ("1111", "did not work")]
    script.append(("1111", None))
    run_call(twilio, [*script, ("1111", "try again later"), ("2", "Goodbye")])


def test_a_caller_with_withheld_caller_id_asks_for_a_callback_and_keys_in_a_number(twilio, session):
    heard = run_call(
        twilio,
        [
            ("1", None),
            ("0", "enter the 10-digit phone number"),
            ("4155550123", "I heard 4, 1, 5. 5, 5, 5. 0, 1, 2, 3."),
            ("1", "The call will come from this line's number, 5, 0, 0. 5, 5, 5. 0, 0, 0, 6"),
            ("1", "call 9 1 1, or call or text 9 8 8"),
            (Talk(20, then=Keys("#")), "may we leave a voicemail"),  # as the prompt asks
            ("1", "Saved."),
            ("2", "Goodbye"),
        ],
        caller="anonymous",
    )
    assert heard.said.count("Your request is in") == 1
    request = fresh(session).scalars(select(CallbackRequest)).one()
    assert request.member.phone == "+14155550123"
    assert request.voicemail_ok and request.recording_sid and not request.urgent


def test_a_keyed_in_number_that_is_not_callable_is_refused(twilio, session):
    factories_facilitator(session, "+14155550123")
    for numbers in (("9880000000", "4155550123"), ("5005550006", "9001234567")):
        script = [("1", None), ("0", None)]  # two a call: the third ends the loop (below)
        for number in numbers:
            script.append((number, "We cannot call that number. Please try another number."))
        run_call(twilio, script, caller="anonymous")
    assert fresh(session).scalars(select(CallbackRequest)).all() == []


def test_a_short_keyed_in_number_is_told_how_many_digits_a_number_has(twilio):
    script = [("1", None), ("0", None), ("41555#", "A phone number has 10 digits")]
    run_call(twilio, [*script, ("4155550123", "I heard 4, 1, 5")], caller="anonymous")


@pytest.mark.parametrize("typed", ["911#", "988#"])
def test_911_or_988_keyed_in_as_a_callback_number_gets_the_crisis_numbers(twilio, session, typed):
    script = [("1", None), ("0", None), (typed, "If you are in danger, hang up and call 911")]
    run_call(twilio, script, caller="anonymous")
    assert fresh(session).scalars(select(CallbackRequest)).all() == []


def test_the_third_refused_number_ends_the_loop_with_other_ways_to_a_call_back(twilio):
    script = [("1", None), ("0", None), ("5005550006", None), ("41555#", None)]
    heard = run_call(
        twilio,
        [*script, ("9001234567", "text CALL to this number. Is there anything else?")],
        caller="anonymous",
    )
    assert heard.said.count("enter the 10-digit phone number") == 3


def factories_facilitator(session, phone):
    from app.models import Facilitator

    session.add(Facilitator(slug="ana", name="Ana", phone=phone, languages=["en"]))
    session.commit()


def test_a_crisis_phrase_at_the_main_menu_plays_crisis_information_and_opens_an_urgent_request(
    twilio, session
):
    script = [("1", None), ("say: I just want to end my life", "call or text 9 8 8")]
    run_call(
        twilio, [*script, ("1", "sending these numbers by text"), ("2", "To find a group, press 1")]
    )
    run_call(twilio, script)
    requests = fresh(session).scalars(select(CallbackRequest)).all()
    assert [(r.urgent, r.source) for r in requests] == [(True, "crisis")]
    texts = fresh(session).scalars(select(OutboxItem)).all()
    assert [t.template for t in texts] == ["crisis.text"]


def test_a_crisis_phrase_in_spanish_is_answered_in_spanish(twilio, session):
    call = run_call(twilio, [("2", None), ("say: ya no puedo más", "escriba la palabra AYUDA")])
    assert "escriba al 9 8 8 y oprima 2" not in call.said  # a text cannot press 2


@pytest.mark.parametrize(
    ("key", "words", "first", "then"),
    [
        ("1", "I took too many pills", "If you are in danger, hang up and call 911", "You matter"),
        ("2", "ya no quiero vivir", "Si está en peligro, cuelgue y llame al 911", "Usted importa"),
    ],
)
def test_after_a_crisis_phrase_911_comes_first_then_the_call_back_promise(
    twilio, key, words, first, then
):
    call = run_call(twilio, [(key, None), (f"say: {words}", None), ("9", None)])
    assert call.said.index(first) < call.said.index(then)
    assert call.said.count(first) == 2 and call.said.count(then) == 2  # 9 repeats both


def test_eight_plays_crisis_information_again_and_again(twilio):
    script = [("1", None), ("8", "9 8 8"), ("8", "9 8 8"), ("*", "enter your ZIP code")]
    call = run_call(twilio, script)
    assert call.said.count("If you use a relay service, dial 7 1 1") == 2


def test_a_caller_who_withheld_caller_id_is_never_offered_texts(twilio):
    call = run_call(
        twilio, [("1", None), ("8", None), ("1", "not available on this phone")], caller="anonymous"
    )
    assert "by text, press" not in call.said


def test_stop_calling_me_on_any_menu_goes_to_the_stop_confirmation(twilio, session):
    factories.member(session, phone=CALLER, language="en")
    session.commit()
    run_call(
        twilio,
        [
            ("say: stop calling me", "Do you want to stop all calls and texts"),
            ("1", "no more calls"),
        ],
        stir=VERIFIED,
    )


STOPPED = "You will get no more calls or texts from this line. To turn reminders back on"


def test_an_unverified_caller_stops_messages_from_caller_id_without_a_code(twilio, session):
    """A stop only withdraws messages to the number calling, so it needs no code (a landline
    cannot get one in the same call); a stranger's number hears the very same words."""
    factories.member(session, phone=CALLER, language="en", reminder_channel="call")
    session.commit()
    script = [("1", None), ("say: stop calling me", "Do you want to stop all calls and texts")]
    member_heard = run_call(twilio, [*script, ("1", STOPPED)]).said
    stranger_heard = run_call(twilio, [*script, ("1", STOPPED)], caller="+14155550199").said
    assert member_heard == stranger_heard
    assert "6-digit code" not in member_heard
    member = fresh(session).scalars(select(Member).where(Member.phone == CALLER)).one()
    assert member.reminder_channel.value == "none"
    assert not members.has_consent(session, CALLER, ConsentPurpose.REMINDERS_CALL, SECRET)


def test_stop_from_settings_needs_no_code_either(twilio):
    script = [("1", None), ("*", None), ("4", None), ("4", None)]
    script.append(("2", "Do you want to stop all calls"))
    run_call(twilio, [*script, ("1", STOPPED)])


def test_a_caller_without_caller_id_asking_to_stop_hears_how_to_stop_from_that_phone(twilio):
    script = [("1", None), ("say: stop calling me", "We cannot see the number you are calling")]
    run_call(twilio, [*script, ("2", "Goodbye")], caller="anonymous")


def test_reminders_and_meetings_offer_a_phone_call_before_a_text(twilio):
    heard = run_call(twilio, [("1", None), ("*", None), ("4", None), ("2", None), ("hangup", None)])
    heard = heard.said
    assert "For a phone call, press 1. For a text message, press 2." in heard
    heard = run_call(twilio, [("1", None), ("*", None), ("2", None), ("hangup", None)]).said
    assert "To get a phone call, press 1. To get them by text, press 2." in heard


def test_setting_a_pin_needs_a_one_time_code_sent_to_the_number_on_file(twilio, session, simulator):
    factories.member(session, phone=CALLER, language="en")
    session.commit()
    script = [("1", None), ("*", None), ("4", None), ("3", "check this is your phone")]
    script.append(("2", "enter the 6-digit code"))  # by text

    def texted_code():
        send_batch([fresh(session).scalars(select(OutboxItem)).one().id])
        (text,) = [m.body for m in simulator.messages_to(CALLER)]
        return re.search(r"\d{6}", text).group()

    run_call(twilio, [*script, ("000000", "did not work"), ("2", None), ("hangup", None)])
    fresh(session).execute(OutboxItem.__table__.delete())
    session.commit()
    run_call(twilio, [*script, (texted_code, "enter a new 4-digit PIN"), ("1357", "PIN is set")])
    assert fresh(session).scalars(select(Member)).one().pin_hash


def test_an_error_inside_a_step_still_answers_with_apology_callback_offer_and_goodbye(
    twilio, monkeypatch, caplog
):
    from call_flows import actions

    def broken(*args):
        raise RuntimeError("database on fire")

    monkeypatch.setitem(actions.ACTIONS, "check_zip", broken)
    call = run_call(twilio, [("1", None), ("94110", "Sorry, something went wrong")])
    assert "press 0" in call.last_document_said()
    assert "RuntimeError" in caplog.text
    assert "database on fire" not in caplog.text and "94110" not in caplog.text
    assert "4155550100" not in caplog.text


def test_a_spanish_callback_request_is_confirmed_in_plain_spanish(twilio):
    run_call(twilio, [("2", None), ("0", "Recibimos su solicitud.")])


def test_an_error_in_a_spanish_call_apologises_in_spanish(twilio, monkeypatch):
    from call_flows import actions

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setitem(actions.ACTIONS, "check_zip", broken)
    call = run_call(twilio, [("2", None), ("94110", "Lo sentimos")])
    assert "Sorry" not in call.last_document_said()


def test_the_call_state_never_holds_the_callers_number(twilio, redis_client):
    run_call(twilio, [("1", None), ("8", None)])
    for key in redis_client.scan_iter("phoneline:call:*"):
        assert b"4155550100" not in redis_client.get(key)


@time_machine.travel(NOW, tick=False)
def test_a_reminder_call_offers_one_two_and_seven_to_stop(twilio, session):
    member = factories.member(session, phone=CALLER, language="en", reminder_channel="call")
    meeting = factories.meeting(session, starts_in=timedelta(hours=20))
    rsvp = rsvps.create(session, member, meeting.id, "voice").rsvp
    session.commit()
    run_call(
        twilio,
        [("7", "Thank you")],
        path=f"/twilio/voice/outbound/reminder?r={rsvp.id}",
        greeting="To stop these calls, press 7",
    )
    member = fresh(session).get(type(member), member.id)
    assert member.reminder_channel.value == "none"


def test_a_number_twilio_has_blocked_hears_that_texts_are_off_first(twilio, session):
    factories.member(session, phone=CALLER, language="en", sms_status="blocked")
    session.commit()
    greeting = "Texts from this line are off. To turn them on, text START."
    run_call(twilio, [], greeting=greeting, stir=VERIFIED)


def test_pound_on_a_menu_doubles_every_wait_for_the_rest_of_the_call(twilio):
    call = run_call(twilio, [("1", None), ("*", None), ("#", "I will wait longer"), ("1", None)])
    waits = [g.get("timeout") for d in call.documents for g in _gathers(d)]
    assert waits[:3] == ["8", "8", "8"] and set(waits[3:]) == {"16"}


def test_a_spanish_caller_is_listened_to_in_spanish_with_spanish_hints(twilio):
    call = run_call(twilio, [("2", None)])
    (gather,) = _gathers(call.documents[-1])
    assert gather.get("language") == "es-US" and "cero" in gather.get("hints")


def _gathers(document):
    from tests.twiml_reading import gathers

    return gathers(document)


def test_zero_deep_in_a_menu_asks_for_a_callback_from_the_callers_own_number(twilio, session):
    run_call(
        twilio,
        [
            ("1", None),
            ("*", None),
            ("4", None),
            ("4", "To delete your data, press 3"),
            ("0", "Your request is in. A person will call you back"),
            ("2", "may we leave a voicemail"),
            ("2", "Saved."),
            ("2", "Goodbye"),
        ],
    )
    request = fresh(session).scalars(select(CallbackRequest)).one()
    assert (request.member.phone, request.voicemail_ok, request.recording_sid) == (
        CALLER,
        False,
        None,
    )


def test_a_verified_member_deletes_their_data_and_the_consent_ledger_stays(twilio, session):
    from app.models import ConsentEvent

    _member_with_two_rsvps(session)
    run_call(
        twilio,
        [("4", None), ("4", None), ("3", "delete your data"), ("1", "Your data is deleted. Thank")],
        stir=VERIFIED,
    )
    assert fresh(session).scalars(select(Member)).all() == []
    assert session.scalars(select(Rsvp)).all() == []
    assert {e.granted for e in session.scalars(select(ConsentEvent))} == {False}


def test_choosing_call_reminders_in_settings_asks_about_voicemail(twilio, session):
    factories.member(session, phone=CALLER, language="en")
    session.commit()
    run_call(
        twilio,
        [
            ("1", None),
            ("*", None),
            ("4", None),
            ("2", None),
            ("1", "may we leave a voicemail"),
            ("1", "by phone call"),
        ],
    )
    member = fresh(session).scalars(select(Member)).one()
    assert (member.reminder_channel.value, member.voicemail_ok) == ("call", True)


@time_machine.travel(NOW, tick=False)
def test_a_reminder_call_is_in_the_members_language_and_two_cancels_the_rsvp(twilio, session):
    member = factories.member(session, phone=CALLER, language="es", reminder_channel="call")
    meeting = factories.meeting(session, starts_in=timedelta(hours=20))
    rsvp = rsvps.create(session, member, meeting.id, "voice").rsvp
    session.commit()
    run_call(
        twilio,
        [("2", "Gracias")],
        path=f"/twilio/voice/outbound/reminder?r={rsvp.id}",
        greeting="Si no puede ir, oprima 2",
    )
    assert fresh(session).get(Rsvp, rsvp.id).status is RsvpStatus.CANCELLED


def test_a_request_twilio_retries_changes_nothing_the_second_time(twilio, session):
    from tests.twiml_reading import gathers

    factories.member(session, phone=CALLER, language="en")
    session.commit()
    url = "/twilio/voice/step?t={}"
    first = twilio.call()
    for key in ("1", "*", "3", "2"):  # English, main menu, callback, no message: voicemail?
        turn = gathers(first.data)[0].get("action").rsplit("=", 1)[1]
        first = twilio.call(url.format(turn), Digits=key)
    turn = gathers(first.data)[0].get("action").rsplit("=", 1)[1]
    twilio.call(url.format(turn), Digits="2")
    retried = twilio.call(url.format(turn), Digits="2")
    assert "Is there anything else?" in retried.get_data(as_text=True)
    assert len(fresh(session).scalars(select(CallbackRequest)).all()) == 1
