"""Speech and keys map to the same routes, in English and Spanish."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.prompts import load_catalog
from call_flows import hearing, speaking
from call_flows.definitions import flows

CATALOG = load_catalog()
TABLE = flows(CATALOG.languages)


def heard(node, language, **form):
    return hearing.hear(TABLE[node], form, CATALOG, language)


@pytest.mark.parametrize(
    ("language", "words", "key"),
    [
        ("en", "find a group", "1"),
        ("en", "one", "1"),
        ("en", "number two please", "2"),
        ("en", "call me back", "3"),
        ("es", "quiero buscar un grupo", "1"),
        ("es", "dos", "2"),
        ("es", "ajustes", "4"),
        ("en", "operator", "0"),
        ("es", "quiero hablar con alguien", "0"),
        ("en", "this is an emergency", "8"),
        ("es", "es una emergencia", "8"),
        ("en", "crisis", "8"),
        ("en", "help me find a group", "1"),
        ("es", "ayúdame a buscar un grupo", "1"),
        ("en", "can you help me with my meetings", "2"),
        ("en", "help me", "8"),
        ("es", "ayúdame", "8"),
        ("en", "help me I don't know what to do", "8"),
        ("en", "repeat that", "9"),
        ("es", "regresar", "*"),
    ],
)
def test_spoken_choices_reach_the_same_route_as_keys(language, words, key):
    assert heard("main", language, SpeechResult=words) == hearing.Heard("key", key)


@pytest.mark.parametrize(
    ("language", "words", "digits"),
    [
        ("en", "nine four one one oh", "94110"),
        ("en", "my zip is 94110", "94110"),
        ("en", "0 2 1 3 9", "02139"),
        ("es", "nueve cuatro uno uno cero", "94110"),
        ("es", "cero dos uno tres nueve", "02139"),
    ],
)
def test_spoken_digits_fill_an_entry(language, words, digits):
    assert heard("find_zip", language, SpeechResult=words) == hearing.Heard("data", digits)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_crisis_phrase_said_on_any_step_is_a_crisis(language):
    for node in ("main", "find_zip", "result", "settings"):
        assert heard(node, language, SpeechResult="I want to end my life").kind == "crisis"


@pytest.mark.parametrize(
    ("language", "words"), [("en", "stop calling me"), ("es", "no más llamadas")]
)
def test_stop_calling_me_works_on_any_menu(language, words):
    assert heard("result", language, SpeechResult=words).kind == "stop"


@pytest.mark.parametrize(("language", "words"), [("en", "grief"), ("es", "ansiedad")])
def test_any_topic_can_be_said_on_the_topic_menu(language, words):
    assert heard("topic", language, SpeechResult=words).kind == "topic"


@pytest.mark.parametrize(("language", "words"), [("en", "help me"), ("es", "ayúdame")])
def test_help_me_alone_at_an_entry_is_key_eight(language, words):
    assert heard("find_zip", language, SpeechResult=words) == hearing.Heard("key", "8")


def test_keys_on_an_entry_are_all_data_even_eight_and_zero():
    assert heard("find_zip", "en", Digits="08080") == hearing.Heard("data", "08080")


def test_nothing_at_all_is_silence():
    assert heard("main", "en").kind == "silence"


def test_hints_are_in_the_callers_language():
    assert "buscar" in hearing.hints(TABLE["main"], CATALOG, "es")
    assert "find" in hearing.hints(TABLE["main"], CATALOG, "en")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Tuesday, November 24, at 6:30 PM"),
        ("es", "el martes 24 de noviembre, a las 6:30 de la tarde"),
    ],
)
def test_dates_and_times_are_spoken_naturally(language, expected):
    moment = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
    assert speaking.when(moment, ZoneInfo("America/Los_Angeles"), CATALOG, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Tuesday, November 24, at 1 PM"),
        ("es", "el martes 24 de noviembre, a la 1 de la tarde"),
    ],
)
def test_one_oclock_is_said_as_a_person_says_it(language, expected):
    moment = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    assert speaking.when(moment, ZoneInfo("America/Los_Angeles"), CATALOG, language) == expected


def test_on_the_hour_the_minutes_are_left_out():
    moment = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    assert speaking.clock(moment.astimezone(ZoneInfo("America/New_York")), CATALOG, "en") == "6 PM"


def test_zips_and_numbers_are_read_digit_by_digit():
    assert speaking.digits("02139") == "0, 2, 1, 3, 9"
    assert speaking.phone("+14155550123") == "4, 1, 5. 5, 5, 5. 0, 1, 2, 3"


@pytest.mark.parametrize(
    ("local_hour", "minute", "language", "expected"),
    [
        (12, 0, "en", "Tuesday, November 24, at noon"),
        (12, 0, "es", "el martes 24 de noviembre, a las 12 del mediodía"),
        (12, 30, "es", "el martes 24 de noviembre, a las 12:30 del mediodía"),
        (19, 0, "es", "el martes 24 de noviembre, a las 7 de la noche"),
        (20, 30, "es", "el martes 24 de noviembre, a las 8:30 de la noche"),
        (18, 0, "es", "el martes 24 de noviembre, a las 6 de la tarde"),
        (13, 0, "es", "el martes 24 de noviembre, a la 1 de la tarde"),
        (10, 0, "es", "el martes 24 de noviembre, a las 10 de la mañana"),
        (20, 0, "en", "Tuesday, November 24, at 8 PM"),
    ],
)
def test_noon_and_evening_are_said_as_a_person_says_them(local_hour, minute, language, expected):
    zone = ZoneInfo("America/Los_Angeles")
    moment = datetime(2026, 11, 24, local_hour, minute, tzinfo=zone)
    assert speaking.when(moment, zone, CATALOG, language) == expected


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        (
            "300 Bartlett St, San Francisco, CA 94110",
            "300 Bartlett Street, San Francisco, California 9, 4, 1, 1, 0",
        ),
        ("1 N Main St Ste 200, Oakland, CA", "1 North Main Street Suite 200, Oakland, California"),
        ("St Luke's Church, 12 Main Ave", "Saint Luke's Church, 12 Main Avenue"),
        ("E Street Center, 4 W 5th St.", "E Street Center, 4 West 5th Street"),
        ("Side door", "Side door"),
    ],
)
def test_address_abbreviations_are_said_in_full(written, spoken):
    assert speaking.address(written) == spoken


# Review items 11 and 14, whole calls through the simulator's phone.


def test_it_switches_to_spanish_when_a_caller_says_espanol_on_an_english_menu(twilio):
    from tests.call_runner import run_call

    run_call(
        twilio,
        [
            ("1", "enter your ZIP code"),
            ("*", "To find a group, press 1"),
            ("say: español por favor", "Para buscar un grupo, marque su código postal"),
        ],
    )


def test_it_switches_to_english_when_a_caller_says_ingles_on_a_spanish_step(twilio):
    from tests.call_runner import run_call

    run_call(twilio, [("2", None), ("say: inglés", "To find a group, enter your ZIP code")])


def test_it_understands_a_spanish_answer_on_the_language_menu(twilio):
    from tests.call_runner import run_call

    run_call(twilio, [("say: quiero buscar un grupo", "Para buscar un grupo, marque su código")])


def test_it_says_sorry_in_every_language_on_the_language_menu(twilio):
    from tests.call_runner import run_call

    call = run_call(twilio, [("say: mumble mumble", "Perdón, esa no es una de las opciones.")])
    assert "Sorry, that is not one of the choices." in call.said


@pytest.mark.parametrize("said", ["one", "number one", "option 1", "press one"])
def test_it_takes_a_spoken_number_alone_or_after_number_or_option_as_the_key(twilio, said):
    from tests.call_runner import run_call

    run_call(twilio, [("1", None), ("*", None), (f"say: {said}", "your 5-digit ZIP code")])


def test_it_does_not_take_the_second_one_as_key_one(twilio):
    from tests.call_runner import run_call

    call = run_call(twilio, [("1", None), ("*", None), ("say: the second one", None)])
    assert "Sorry, that is not one of the choices." in call.said
    assert "Please enter or say your 5-digit ZIP code" not in call.said
