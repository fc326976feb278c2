"""The recording fake keeps the real gateway's interface, and the gateway keeps quiet."""

import inspect
import logging

from app.gateway import Gateway, GatewayError
from tests.fakes import RecordingGateway


def public_methods(cls):
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_the_fake_has_every_method_of_the_gateway_with_the_same_signature():
    fake = public_methods(RecordingGateway)
    for name, signature in public_methods(Gateway).items():
        assert name in fake, f"RecordingGateway lacks {name}"
        assert list(fake[name].parameters) == list(signature.parameters), name


def test_the_fake_records_what_was_sent_and_fails_when_told():
    fake = RecordingGateway()
    fake.send_sms("+14155550100", "Reminder")
    fake.fail_next(GatewayError(21610, 400, permanent=True))
    try:
        fake.send_sms("+14155550100", "Again")
    except GatewayError as error:
        assert error.code == 21610
    assert fake.texts_to("+14155550100") == ["Reminder"]


def test_the_gateway_logs_no_phone_number_or_body(gateway, simulator, caplog):
    caplog.set_level(logging.DEBUG)
    gateway.send_sms("+14155550100", "private words")
    gateway.list_messages("+14155550100")
    assert "5550100" not in caplog.text and "private words" not in caplog.text
