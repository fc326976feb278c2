from app.segments import count, is_gsm7, non_gsm7


def test_160_plain_characters_are_one_segment_and_161_are_two():
    assert count("a" * 160).count == 1
    assert count("a" * 161).count == 2
    assert count("a" * 306).count == 2
    assert count("a" * 307).count == 3


def test_an_extension_character_costs_two():
    assert count("{" * 80).units == 160
    assert count("{" * 80 + "a").count == 2


def test_one_accent_outside_gsm7_makes_the_whole_text_ucs2():
    assert count("a" * 69 + "á").encoding == "UCS-2"
    assert count("a" * 69 + "á").count == 1
    assert count("a" * 70 + "á").count == 2
    assert count("a" * 134).encoding == "GSM-7"


def test_spanish_letters_in_gsm7_stay_gsm7():
    assert is_gsm7("español ¿Qué? ¡Sí! niño") is False  # í is not GSM-7
    assert is_gsm7("español ¿Qué? ¡Sé! niño")


def test_a_non_breaking_space_or_smart_quote_is_reported():
    assert non_gsm7("it\u2019s\xa0here") == ["\u2019", "\xa0"]


def test_an_emoji_counts_two_utf16_units():
    assert count("\U0001f600").units == 2


def test_an_empty_text_still_costs_one():
    assert count("").count == 1
