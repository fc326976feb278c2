import pytest

from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.twiml_reading import gathers, parse, spoken, verbs

WORDS_PER_SECOND = 150 / 60


def test_a_new_caller_hears_the_notice_in_english_then_spanish_before_anything_else(twilio):
    said = spoken(twilio.call().data)
    assert "not an emergency line" in said[0] and "911" in said[0] and "988" in said[0]
    assert "No es línea de emergencias" in said[1] and "911" in said[1] and "988" in said[1]
    assert "by text" in said[0] and "por texto" in said[1]


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_notice_takes_under_ten_seconds_to_say(app, language):
    from app.extensions import prompts

    words = prompts().render(language, "voice.notice").split()
    assert len(words) / WORDS_PER_SECOND < 10


def test_then_the_caller_is_asked_to_choose_a_language(twilio):
    document = twilio.call().data
    assert spoken(document)[2:] == ["For English, press 1.", "Para español, oprima 2."]


def test_the_language_menu_takes_keys_or_speech_and_never_ends_the_call_on_silence(twilio):
    document = twilio.call().data
    (gather,) = gathers(document)
    assert gather.get("input") == "dtmf speech"
    assert int(gather.get("timeout")) >= 8
    assert gather.get("speechTimeout") == "auto"
    assert gather.get("speechModel")
    assert gather.get("profanityFilter") == "false"
    assert "english" in gather.get("hints") and "español" in gather.get("hints")
    assert verbs(document)[-1] == "Redirect", "silence must lead somewhere, not to a hang-up"


def test_the_spanish_prompt_is_spoken_by_a_spanish_voice(twilio):
    says = list(parse(twilio.call().data).iter("Say"))
    assert says[1].get("language") == "es-US" and says[1].get("voice") == "Polly.Lupe-Neural"
    assert says[0].get("language") == "en-US"


def test_silence_at_the_language_menu_reprompts_briefly(twilio):
    twilio.call()
    document = twilio.call("/twilio/voice/step").data
    assert spoken(document)[0] == "Take your time."
    assert gathers(document)


def test_a_caller_silent_at_every_prompt_still_hears_the_callback_offer_and_goodbye(twilio):
    call = run_call(twilio, [(None, None)] * 6)
    assert "press 0" in call.last_document_said()
    assert call.said.count("Take your time.") == 4


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("2", "Menú principal"), ("say: español", "Menú principal"), ("1", "Main menu")],
)
def test_the_chosen_language_is_the_one_spoken_next(twilio, choice, expected):
    run_call(twilio, [(choice, expected)])


def test_a_verified_member_hears_the_notice_only_in_their_language_and_no_language_menu(
    twilio, session
):
    factories.member(session, phone="+14155550100", language="es")
    session.commit()
    said = spoken(twilio.call(StirVerstat="TN-Validation-Passed-A").data)
    assert said[0].startswith("No es línea de emergencias")
    assert not any("not an emergency" in s for s in said)
    assert said[1].startswith("Menú principal")


@pytest.mark.parametrize("stir", [None, "TN-Validation-Passed-B", "TN-Validation-Failed"])
def test_an_unverified_member_hears_the_notice_and_language_menu_a_stranger_hears(
    twilio, session, stir
):
    factories.member(session, phone="+14155550100", language="es")
    session.commit()
    extra = {"StirVerstat": stir} if stir else {}
    member = twilio.call(CallSid="CA" + "7" * 32, **extra).data
    stranger = twilio.call(CallSid="CA" + "8" * 32, From="+14155550199", **extra).data
    assert member == stranger
    assert spoken(member)[2:] == ["For English, press 1.", "Para español, oprima 2."]


def test_a_missing_call_sid_still_gets_an_apology_and_goodbye(twilio):
    response = twilio.post("/twilio/voice", {"From": "+14155550100", "To": "+15005550006"})
    said = " ".join(spoken(response.data))
    assert "Sorry" in said and "Goodbye" in said
    assert "Lo sentimos" in said and said.endswith("Adiós.")
    assert verbs(response.data)[-1] == "Hangup"
