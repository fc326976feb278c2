from sqlalchemy import func, select

from app.models import InboundMessage
from tests.twiml_reading import parse


def reply_text(response) -> str:
    return "".join(node.text or "" for node in parse(response.data).iter("Body")) or "".join(
        node.text or "" for node in parse(response.data).iter("Message")
    )


def test_a_first_text_gets_the_welcome_with_help_stop_and_the_crisis_footer(twilio):
    text = reply_text(twilio.text("hello"))
    assert text.startswith("Community Support Line helps you find peer support groups.")
    assert "HELP for help, STOP to end." in text
    assert "911" in text and "988" in text
    assert text.endswith("Para español, responda ES")


def test_a_retried_webhook_gets_the_same_reply_and_records_one_message(twilio, session):
    first = twilio.text("hello", sid="SM" + "b" * 32)
    again = twilio.text("hello", sid="SM" + "b" * 32)
    assert again.data == first.data
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_the_inbound_record_keeps_no_number_and_no_body(twilio, session):
    twilio.text("my secret words", sender="+14155550177")
    row = session.scalar(select(InboundMessage))
    stored = f"{row.sender_hash} {row.reply}"
    assert "5550177" not in stored and "secret" not in stored
