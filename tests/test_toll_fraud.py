"""Security review H1: the line never texts or calls a number it may not dial (premium-rate,
shared-cost, short codes, numbers outside DEFAULT_REGION and its territories), whichever way the
number came in, and the worker checks again at send time whatever queued the row."""

import pytest
from sqlalchemy import func, select

from app.cli import cli
from app.models import (
    ConsentEvent,
    ConsentPurpose,
    InboundMessage,
    Member,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    OutboxStatus,
)
from app.services import directory, outbox
from app.services.outbox import Outgoing
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.conftest import fresh
from tests.console_support import account, post, sign_in
from tests.outbox_support import grant
from tests.test_directory_import import RULES
from workers.dispatch import send_batch

US_PREMIUM = "+19005551234"
JAMAICA = "+18765551234"
UK_PREMIUM = "+449012345678"
REFUSED = {"US premium": US_PREMIUM, "Jamaica": JAMAICA, "UK premium": UK_PREMIUM}
EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def count(session, model) -> int:
    return fresh(session).scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("sender", REFUSED.values(), ids=REFUSED.keys())
def test_it_answers_texts_from_a_number_it_may_not_dial_with_nothing_and_keeps_nothing(
    twilio, session, sender
):
    for body in ("60614", "RSVP", "REMIND CALL", "JOIN", "i want to kill myself"):
        assert twilio.text(body, sender=sender).get_data(as_text=True) == EMPTY
    assert count(session, Member) == count(session, InboundMessage) == 0
    assert count(session, OutboxItem) == count(session, ConsentEvent) == 0


def test_it_still_answers_a_text_from_a_us_number(twilio):
    assert "<Message>" in twilio.text("hello", sender="+14155550100").get_data(as_text=True)


def queued_for(session, number, kind, purpose, consent=None) -> OutboxItem:
    """A row some older code (or a bug) queued for a number the line may not dial."""
    member = factories.member(session, phone=number, language="en")
    if consent is not None:
        grant(session, number, consent)
    item = outbox.enqueue(
        session,
        Outgoing(kind, purpose, number, "crisis.text", "en", member_id=member.id),
    )
    session.commit()
    return item


@pytest.mark.parametrize(
    ("number", "kind", "purpose", "consent"),
    [
        (UK_PREMIUM, OutboxKind.SMS, OutboxPurpose.BROADCAST, ConsentPurpose.BROADCASTS),
        (JAMAICA, OutboxKind.SMS, OutboxPurpose.CRISIS, None),
        (US_PREMIUM, OutboxKind.CALL, OutboxPurpose.NOTICE, ConsentPurpose.NOTICES),
    ],
)
def test_it_sends_nothing_the_worker_finds_queued_for_a_number_it_may_not_dial(
    session, simulator, number, kind, purpose, consent
):
    item = queued_for(session, number, kind, purpose, consent)
    send_batch([item.id])
    assert fresh(session).get(OutboxItem, item.id).status is OutboxStatus.SKIPPED
    assert simulator.messages_to(number) == [] and simulator.calls_to(number) == []


@pytest.mark.parametrize("who", ["facilitators", "coordinators"])
def test_it_refuses_a_directory_file_with_a_staff_number_it_may_not_dial(who):
    people = f"""\
{who}:
  - id: ana
    name: Ana R.
    phone: "+1 900 555 1234"
    languages: [en]
"""
    (problem,) = [str(p) for p in directory.parse(people, RULES).problems]
    assert problem.startswith(f"{who}[0].phone (line 4): not a number the line may call")
    assert "555 1234" not in problem and "5551234" not in problem


def test_it_refuses_consent_from_the_console_for_a_number_it_may_not_dial(client, session):
    account(session, "lee@example.org", "coordinator")
    sign_in(client, "lee@example.org")
    form = {"purpose": "broadcasts", "source": "paper", "decision": "grant"}
    post(client, "/console/consent", number=UK_PREMIUM, **form)
    page = client.get("/console/members").get_data(as_text=True)
    assert "not a phone number the line can use" in page
    assert count(session, ConsentEvent) == 0


def test_it_refuses_consent_on_the_command_line_for_a_number_it_may_not_dial(app, session):
    args = ["consent", US_PREMIUM, "--purpose", "notices", "--grant", "--source", "paper"]
    result = app.test_cli_runner().invoke(cli, args)
    assert result.exit_code == 2 and "not a number the line may call or text" in result.output
    assert count(session, ConsentEvent) == 0


def test_a_caller_whose_number_it_may_not_dial_hears_why_in_both_languages_and_goes_on(twilio):
    heard = run_call(
        twilio,
        [("1", "enter your ZIP code"), ("0", "enter the 10-digit phone number"), ("hangup", None)],
        caller="+447400123999",
        greeting="We cannot call or text the number you are calling from",
    )
    assert "No podemos llamar ni enviar textos al número desde el que llama" in heard.said
    assert heard.said.index("not for emergencies") < heard.said.index("We cannot call")
