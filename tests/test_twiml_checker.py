import pytest
from twilio.twiml.voice_response import VoiceResponse

from app.twiml_checker import check_twiml, voice_language

GOOD_GATHER = (
    '<Gather input="dtmf speech" timeout="8" action="/next" numDigits="1" speechTimeout="auto" '
    'speechModel="numbers_and_commands" profanityFilter="false" hints="group, meeting">'
    '<Say voice="Polly.Joanna-Neural" language="en-US">To find a group, press 1.</Say></Gather>'
)


def doc(*verbs: str) -> str:
    return "<Response>" + "".join(verbs) + "</Response>"


def test_a_menu_with_a_verb_after_its_gather_passes():
    assert check_twiml(doc(GOOD_GATHER, '<Redirect method="POST">/again</Redirect>')) == []


def test_it_rejects_the_input_twilio_python_writes_when_given_a_python_list():
    response = VoiceResponse()
    response.gather(
        input=["dtmf", "speech"],
        timeout=8,
        speech_timeout="auto",
        speech_model="phone_call",
        profanity_filter="false",
        hints="yes, no",
    )
    response.hangup()
    (problem,) = check_twiml(str(response))
    assert "input must be" in problem


@pytest.mark.parametrize("timeout", ["5", "7", "", "eight"])
def test_it_rejects_a_gather_that_gives_up_in_under_eight_seconds(timeout):
    gather = GOOD_GATHER.replace('timeout="8"', f'timeout="{timeout}"')
    assert any("timeout" in p for p in check_twiml(doc(gather, "<Hangup/>")))


def test_it_rejects_a_gather_without_a_timeout():
    gather = GOOD_GATHER.replace(' timeout="8"', "")
    assert any("timeout" in p for p in check_twiml(doc(gather, "<Hangup/>")))


def test_it_rejects_a_gather_that_takes_only_keys():
    gather = GOOD_GATHER.replace('input="dtmf speech"', 'input="dtmf"')
    assert any("keys and speech" in p for p in check_twiml(doc(gather, "<Hangup/>")))


def test_it_rejects_a_spanish_polly_voice_told_to_speak_english():
    say = '<Say voice="Polly.Lupe-Neural" language="en-US">Hola</Say>'
    (problem,) = check_twiml(doc(say))
    assert "speaks es-US" in problem


def test_it_rejects_a_document_that_ends_with_a_gather():
    (problem,) = check_twiml(doc(GOOD_GATHER))
    assert "ends with <Gather>" in problem


def test_it_rejects_a_verb_twilio_does_not_have():
    assert any("<Speak>" in p for p in check_twiml(doc("<Speak>hi</Speak>")))


def test_it_rejects_an_attribute_twilio_does_not_know():
    assert any("loudness" in p for p in check_twiml(doc('<Say loudness="11">hi</Say>')))


def test_it_rejects_a_gather_inside_a_gather():
    nested = GOOD_GATHER.replace("</Gather>", GOOD_GATHER + "</Gather>")
    assert any("not allowed inside <Gather>" in p for p in check_twiml(doc(nested, "<Hangup/>")))


def test_it_rejects_a_boolean_written_in_python_style():
    gather = GOOD_GATHER.replace('profanityFilter="false"', 'profanityFilter="False"')
    assert any("true or false" in p for p in check_twiml(doc(gather, "<Hangup/>")))


@pytest.mark.parametrize(
    ("attribute", "problem"),
    [
        ('speechTimeout="auto"', "speechTimeout"),
        ('speechModel="numbers_and_commands"', "speechModel"),
        ('profanityFilter="false"', "profanityFilter"),
        ('hints="group, meeting"', "hints"),
    ],
)
def test_it_rejects_a_gather_without_the_line_s_speech_settings(attribute, problem):
    gather = GOOD_GATHER.replace(attribute, "")
    assert any(problem in p for p in check_twiml(doc(gather, "<Hangup/>")))


def test_it_rejects_a_document_that_is_not_twiml():
    assert check_twiml("<Response><Say>unclosed</Response>")[0].startswith("not well-formed")
    assert "not <Response>" in check_twiml("<html></html>")[0]


def test_it_accepts_a_dial_to_a_number_with_a_screening_url():
    dial = '<Dial callerId="+15005550006"><Number url="/screen">+14155550100</Number></Dial>'
    assert check_twiml(doc(dial)) == []


@pytest.mark.parametrize(
    ("voice", "language"),
    [
        ("Polly.Joanna-Neural", "en-US"),
        ("Polly.Lupe", "es-US"),
        ("Polly.Mia-Neural", "es-MX"),
        ("Google.es-US-Neural2-A", "es-US"),
        ("Polly.Nobody", None),
        ("alice", None),
    ],
)
def test_it_knows_which_language_each_voice_speaks(voice, language):
    assert voice_language(voice) == language


def test_the_line_s_own_greeting_passes(twilio):
    assert check_twiml(twilio.call().data) == []
