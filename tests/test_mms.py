"""Picture messages (MMS): the simulator sends them to the line as Twilio does (``NumMedia``,
``MediaContentType0``, ``MediaUrl0`` in the signed webhook, an ``MM…`` SID), and the line answers
one as SPEC §8 says: "I can only read text"."""

import re

from twilio.request_validator import RequestValidator

from app.config import PLACEHOLDER_AUTH_TOKEN
from tests.simulator_fixtures import LINE_NUMBER
from tests.sms_phone import say

MEMBER = "+14155550100"
SMS_PATH = "/twilio/sms"
MEDIA_URL = re.compile(
    r"https://api\.twilio\.com/2010-04-01/Accounts/AC[0-9a-f]{32}/Messages/(MM[0-9a-f]{32})"
    r"/Media/ME[0-9a-f]{32}"
)


def test_a_picture_message_reaches_the_line_as_twilio_sends_it(bare_simulator, fake_app):
    bare_simulator.text_line(MEMBER, "", media=["image/jpeg", "image/png"])
    (request,) = fake_app.to(SMS_PATH)
    params = request.params
    assert (params["NumMedia"], params["Body"], params["NumSegments"]) == ("2", "", "1")
    assert (params["MediaContentType0"], params["MediaContentType1"]) == ("image/jpeg", "image/png")
    for url in (params["MediaUrl0"], params["MediaUrl1"]):
        assert MEDIA_URL.fullmatch(url).group(1) == params["MessageSid"]
    validator = RequestValidator(PLACEHOLDER_AUTH_TOKEN)
    assert validator.validate(request.url, params, request.signature)


def test_a_text_without_media_says_so(bare_simulator, fake_app):
    bare_simulator.text_line(MEMBER, "hello")
    (request,) = fake_app.to(SMS_PATH)
    assert request.params["NumMedia"] == "0" and request.params["MessageSid"].startswith("SM")
    assert not any(name.startswith("Media") for name in request.params)


def test_a_message_created_with_media_is_an_mms(bare_simulator, bare_gateway):
    created = bare_gateway.client.messages.create(
        to=MEMBER, from_=LINE_NUMBER, body="a" * 200, media_url=["https://example.org/map.png"]
    )
    assert created.sid.startswith("MM")
    assert (created.num_media, created.num_segments) == ("1", "1")
    assert bare_gateway.client.messages(created.sid).fetch().num_media == "1"


def test_a_picture_message_gets_i_can_only_read_text(simulator):
    assert simulator.text_line(MEMBER, "", media=["image/jpeg"]) == [say("en", "sms.picture")]


def test_a_picture_with_words_is_answered_for_its_words(simulator):
    simulator.text_line(MEMBER, "hello")  # past the first-contact welcome
    plain = simulator.text_line(MEMBER, "MENU")
    assert simulator.text_line(MEMBER, "MENU", media=["image/jpeg"]) == plain
    assert say("en", "sms.picture") not in plain
