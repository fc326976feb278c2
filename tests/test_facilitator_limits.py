"""No facilitator's phone can make a callback request go away without a call (security review
M4): LIST and CLAIM reach only the requests of the facilitator's groups and languages and those
they were alerted about; DONE needs a call placed through the line, and for an urgent request a
call the member answered; an urgent request held without the member being reached goes to
coordinators."""

from datetime import timedelta

from sqlalchemy import select

from app.db import utcnow
from app.extensions import config, db
from app.models import AuditEntry, CallbackRequest, CallbackStatus, GroupFacilitator
from app.services import callbacks
from tests import factories
from tests.conftest import fresh
from tests.sms_phone import Phone
from tests.test_facilitator_commands import CATALOG, texted
from workers.sweep import sweep_once

ANA = "+14155550123"  # English and Spanish, on call
JUNE = "+14155550126"  # English, off call, facilitator of one group
LEE = "+14155550140"  # coordinator
MEMBERS = ("+14155550101", "+14155550102", "+14155550103")
UNREACHED = (
    "Community Support Line staff: URGENT request {code} (en) was taken by a facilitator, but "
    "the member has not been reached yet. See the console."
)


def _people(session):
    ana = factories.facilitator(session, ANA, languages=["en", "es"])
    june = factories.facilitator(session, JUNE, languages=["en"], on_call=False)
    factories.coordinator(session, LEE)
    session.commit()
    return ana, june


def _request(session, phone, language="en", urgent=False, group=None):
    member = factories.member(session, phone, language=language)
    source = "crisis" if urgent else "sms"
    new = callbacks.NewRequest(member, language, source, urgent=urgent, group_id=group and group.id)
    row = callbacks.file_request(session, new, config(), CATALOG, utcnow())
    session.commit()
    return row


def _status(session, code):
    return fresh(session).scalars(select(CallbackRequest).where(CallbackRequest.code == code)).one()


def _called(session, code, member_answered):
    request = _status(session, code)
    callbacks.start_call(session, request, utcnow())
    if member_answered:
        callbacks.connected(request, utcnow())
    session.commit()


def test_it_lists_and_lets_claim_only_requests_of_the_facilitators_groups_languages_and_alerts(
    twilio, session
):
    _, june = _people(session)
    hers = factories.group(session, name="June's group", languages=["es"])
    session.add(GroupFacilitator(group_id=hers.id, facilitator_id=june.id))
    other = factories.group(session, name="Another group", languages=["es"])
    session.commit()
    in_english = _request(session, MEMBERS[0], "en").code
    of_her_group = _request(session, MEMBERS[1], "es", group=hers).code
    elsewhere = _request(session, MEMBERS[2], "es", urgent=True, group=other).code
    phone = Phone(twilio, JUNE)
    (listed,) = phone.text("LIST")
    assert in_english in listed and of_her_group in listed and elsewhere not in listed
    assert phone.text(f"CLAIM {elsewhere}") == [
        f"There is no open request {elsewhere}. Text LIST to see open requests."
    ]
    assert _status(session, elsewhere).status is CallbackStatus.OPEN


def test_a_request_alerted_to_everyone_on_call_is_within_each_ones_reach(twilio, session):
    ben = "+14155550124"
    factories.facilitator(session, ben, languages=["en"])
    session.commit()
    code = _request(session, MEMBERS[0], "es", urgent=True).code  # interpreter needed
    phone = Phone(twilio, ben)
    assert code in phone.text("LIST")[0]
    assert phone.text(f"CLAIM {code}")[0].startswith(f"Request {code} is yours.")


def test_it_refuses_done_before_the_line_has_called_the_member(twilio, session):
    _people(session)
    code = _request(session, MEMBERS[0]).code
    phone = Phone(twilio, ANA)
    phone.text(f"CLAIM {code}")
    assert phone.text(f"DONE {code}") == [
        f"Request {code} is still open: the member has not been called yet. Text CALL {code} "
        f"to call them, or RELEASE {code}."
    ]
    assert _status(session, code).status is CallbackStatus.CLAIMED


def test_an_ordinary_request_may_be_closed_after_a_call_the_member_did_not_answer(twilio, session):
    _people(session)
    code = _request(session, MEMBERS[0]).code
    phone = Phone(twilio, ANA)
    phone.text(f"CLAIM {code}")
    _called(session, code, member_answered=False)
    assert phone.text(f"DONE {code}") == [f"Thank you. Request {code} is closed."]
    (entry,) = fresh(session).scalars(select(AuditEntry)).all()
    assert (entry.action, entry.details) == ("callback.done", {"urgent": False, "reached": False})


def test_an_urgent_request_stays_open_until_the_member_answers_a_call(twilio, session):
    ana, _ = _people(session)
    request = _request(session, MEMBERS[0], urgent=True)
    code = request.code
    phone = Phone(twilio, ANA)
    phone.text(f"CLAIM {code}")
    _called(session, code, member_answered=False)
    (refused,) = phone.text(f"DONE {code}")
    assert refused.startswith(f"Request {code} is URGENT and stays open until the member answers")
    assert _status(session, code).status is CallbackStatus.CALLED
    _called(session, code, member_answered=True)
    assert phone.text(f"DONE {code}") == [f"Thank you. Request {code} is closed."]
    (entry,) = fresh(session).scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.target) == (f"facilitator:{ana.id}", f"callback:{request.id}")
    assert entry.details == {"urgent": True, "reached": True}


def test_an_urgent_request_held_without_reaching_the_member_goes_to_coordinators_once(
    twilio, session
):
    _people(session)
    code = _request(session, MEMBERS[0], urgent=True).code
    Phone(twilio, ANA).text(f"CLAIM {code}")
    claimed = _status(session, code).claimed_at
    sweep_once(db(), claimed + timedelta(minutes=29))
    assert texted(session, LEE) == []
    sweep_once(db(), claimed + timedelta(minutes=31))
    sweep_once(db(), claimed + timedelta(minutes=90))
    assert texted(session, LEE) == [UNREACHED.format(code=code)]


def test_an_urgent_request_whose_member_was_reached_is_not_escalated(twilio, session):
    _people(session)
    code = _request(session, MEMBERS[0], urgent=True).code
    Phone(twilio, ANA).text(f"CLAIM {code}")
    _called(session, code, member_answered=True)
    sweep_once(db(), _status(session, code).claimed_at + timedelta(minutes=31))
    assert texted(session, LEE) == []
