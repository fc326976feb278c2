import pytest

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
    assert verbs(document)[-1] == "Redirect", "silence must lead somewhere, not to a hang-up"


def test_the_spanish_prompt_is_spoken_by_a_spanish_voice(twilio):
    says = list(parse(twilio.call().data).iter("Say"))
    assert says[1].get("language") == "es-US"
    assert says[0].get("language") == "en-US"


def test_silence_at_the_language_menu_reprompts_briefly(twilio):
    document = twilio.call("/twilio/voice/language?attempt=1").data
    assert spoken(document)[:2] == ["Take your time.", "Tómese su tiempo."]
    assert gathers(document)


def test_after_two_reprompts_the_caller_still_hears_how_to_reach_a_person_and_goodbye(twilio):
    document = twilio.call("/twilio/voice/language?attempt=3").data
    said = " ".join(spoken(document))
    assert "press 0" in said and "Goodbye" in said
    assert verbs(document)[-1] == "Hangup"


@pytest.mark.parametrize(
    ("choice", "expected"), [("2", "Gracias"), ("español", "Gracias"), ("1", "Thank you")]
)
def test_the_chosen_language_is_the_one_spoken_next(twilio, choice, expected):
    field = "Digits" if choice.isdigit() else "SpeechResult"
    document = twilio.call("/twilio/voice/language", **{field: choice}).data
    assert expected in " ".join(spoken(document))
