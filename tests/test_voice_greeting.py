import pytest

from app.voice_timing import spoken_words
from tests import factories
from tests.call_runner import every_voice_document_is_checked, run_call  # noqa: F401
from tests.twiml_reading import gathers, parse, spoken, verbs

WORDS_PER_SECOND = 150 / 60
SPANISH_NOTICE = (
    "Esta línea no es para emergencias. Si corre peligro, llame al 9 1 1. Para hablar ahora, "
    "llame o escriba al 9 8 8."
)


def test_a_new_caller_hears_the_notice_in_english_then_spanish_before_anything_else(twilio):
    said = spoken(twilio.call().data)
    assert "not for emergencies" in said[0] and "9 1 1" in said[0] and "9 8 8" in said[0]
    assert said[2] == SPANISH_NOTICE


def test_the_english_notice_is_heard_whole_and_a_key_works_during_the_spanish_one(twilio):
    document = twilio.call().data
    assert verbs(document)[0] == "Say", "the safety notice comes before any key can cut it"
    (gather,) = gathers(document)
    inside = [say.text for say in gather.iter("Say")]
    assert inside == ["For English, press 1.", SPANISH_NOTICE, "Para español, oprima 2."]


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_notice_takes_under_ten_seconds_to_say_counting_each_digit_spoken(app, language):
    from app.extensions import prompts

    words = spoken_words(prompts().render(language, "voice.notice"))
    assert words <= 24 and words / WORDS_PER_SECOND < 10


def test_the_notice_writes_its_numbers_as_digits_to_be_said_one_by_one(app):
    from app.extensions import prompts

    for language in ("en", "es"):
        notice = prompts().render(language, "voice.notice")
        assert "9 1 1" in notice and "9 8 8" in notice and "911" not in notice


def test_then_the_caller_is_asked_to_choose_a_language(twilio):
    document = twilio.call().data
    said = spoken(document)[1:]
    assert said == ["For English, press 1.", SPANISH_NOTICE, "Para español, oprima 2."]


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
    assert says[2].get("language") == "es-US" and says[2].get("voice") == "Polly.Lupe-Neural"
    assert says[3].get("language") == "es-US"
    assert says[0].get("language") == "en-US" and says[1].get("language") == "en-US"


def test_silence_at_the_language_menu_reprompts_briefly(twilio):
    twilio.call()
    document = twilio.call("/twilio/voice/step").data
    assert spoken(document)[0] == "Take your time."
    assert gathers(document)


def test_a_caller_silent_at_every_prompt_is_offered_a_person_then_called_back_never_cut_off(
    twilio,
):
    call = run_call(twilio, [(None, None)] * 6)
    assert call.said.count("Take your time.") == 4
    assert call.said.count("If you would like a person to call you back, press 0.") == 2
    assert "Si quiere que una persona le devuelva la llamada, oprima 0." in call.said
    last = call.last_document_said()
    assert "A person will call you back at this number" in last
    assert "You can call us back any time." in last


def test_a_silent_caller_without_caller_id_hears_how_to_ask_for_a_person_and_goodbye(twilio):
    call = run_call(twilio, [(None, None)] * 6, caller="anonymous")
    last = call.last_document_said()
    assert "call again and press 0" in last and "You can call us back any time." in last


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("2", "Para buscar un grupo, marque su código postal"),
        ("say: español", "Para buscar un grupo, marque su código postal"),
        ("1", "To find a group, enter your ZIP code"),
    ],
)
def test_the_chosen_language_is_the_one_spoken_next(twilio, choice, expected):
    run_call(twilio, [(choice, expected)])


def test_a_verified_member_hears_the_notice_only_in_their_language_and_no_language_menu(
    twilio, session
):
    factories.member(session, phone="+14155550100", language="es")
    session.commit()
    said = spoken(twilio.call(StirVerstat="TN-Validation-Passed-A").data)
    assert said[0].startswith("Esta línea no es para emergencias")
    assert not any("not for emergencies" in s for s in said)
    assert said[1].startswith("Para buscar un grupo, oprima 1")


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
    assert spoken(member)[1:] == [
        "For English, press 1.",
        SPANISH_NOTICE,
        "Para español, oprima 2.",
    ]


def test_a_missing_call_sid_still_gets_an_apology_and_goodbye(twilio):
    response = twilio.post("/twilio/voice", {"From": "+14155550100", "To": "+15005550006"})
    said = " ".join(spoken(response.data))
    assert "Sorry" in said and "Goodbye" in said
    assert "Lo sentimos" in said and said.endswith("Adiós.")
    assert verbs(response.data)[-1] == "Hangup"
