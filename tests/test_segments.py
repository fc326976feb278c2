from itertools import groupby

import pytest

from app.segments import count, is_gsm7, non_gsm7
from app.simulator.segments import segment_count

# What Twilio bills, as Twilio's own calculator counts it (TwilioDevEd/message-segment-calculator):
# 160 septets or 70 UTF-16 units in one segment, then 153 / 67 per part, and never an escape pair
# (an extension character) or a surrogate pair (an emoji) cut between two parts.
TWILIO_COUNTS = [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("a" * 459, 3),
    ("a" * 460, 4),
    ("{" * 80, 1),
    ("{" * 80 + "a", 2),
    ("a" * 158 + "€", 1),
    ("a" * 159 + "€", 2),
    ("a" * 152 + "€" + "a" * 152, 3),  # the € would straddle parts one and two
    ("a" * 151 + "€" + "a" * 153, 2),
    ("é" * 160, 1),  # é is in GSM-7
    ("á" * 70, 1),  # á is not: UCS-2
    ("á" * 71, 2),
    ("á" * 134, 2),
    ("á" * 135, 3),
    ("a" * 159 + "\xa0", 3),  # one no-break space makes 160 characters cost 3 segments
    ("€" * 70 + "á", 2),  # in UCS-2 an extension character is one unit like any other
    ("😀" * 35, 1),
    ("😀" * 36, 2),
    ("😀" * 67, 3),  # 33 emoji to a part: 66 units, the 67th unit cannot hold half of one
    ("ł" * 66 + "😀" + "ł" * 66, 3),
    ("ł" * 65 + "😀" + "ł" * 67, 2),
    # the calculator's own test vectors (tests/index.test.js, tests/segments.test.js)
    ("{" + "2345678901" * 15 + "23456789", 1),
    ("{" + "2345678901" * 15 + "234567890", 2),
    ("😜" + "2345678901" * 6 + "23456789", 1),
    ("😜" + "2345678901" * 6 + "234567890", 2),
    ("1234567890" * 30 + "1234567", 3),
    ("😜" + "2345678901" * 13 + "234", 3),
]


def shape(body: str) -> str:
    """A readable test id: ``a*152 €*1 a*152``."""
    return " ".join(f"{char!r}*{len(list(run))}" for char, run in groupby(body)) or "empty"


CASES = [pytest.param(body, segments, id=shape(body)) for body, segments in TWILIO_COUNTS]


@pytest.mark.parametrize(("body", "segments"), CASES)
def test_the_line_counts_the_segments_twilio_bills(body, segments):
    assert count(body).count == segments


@pytest.mark.parametrize(("body", "segments"), CASES)
def test_the_simulator_bills_the_segments_twilio_bills(body, segments):
    assert segment_count(body) == segments


def test_an_extension_character_costs_two():
    assert count("{" * 80).units == 160
    assert count("{" * 80 + "a").count == 2


def test_one_accent_outside_gsm7_makes_the_whole_text_ucs2():
    assert count("a" * 69 + "á").encoding == "UCS-2"
    assert count("a" * 134).encoding == "GSM-7"


def test_spanish_letters_in_gsm7_stay_gsm7():
    assert is_gsm7("español ¿Qué? ¡Sí! niño") is False  # í is not GSM-7
    assert is_gsm7("español ¿Qué? ¡Sé! niño")


def test_a_non_breaking_space_or_smart_quote_is_reported():
    assert non_gsm7("it\u2019s\xa0here") == ["\u2019", "\xa0"]


def test_an_emoji_counts_two_utf16_units():
    assert count("\U0001f600").units == 2
