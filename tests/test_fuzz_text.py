"""Property-based tests (hypothesis, derandomised for CI) over what members type: the SMS
command grammar (sms/grammar.py) and the crisis normaliser (app/crisis.py). Any text at all is
read without an error, and the ways people really write a command or a crisis phrase (case,
accents, extra spaces and punctuation, letters repeated or spelled out) do not change what the
line hears."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from app import crisis
from sms import grammar
from sms.grammar import GRAMMAR, REMIND_CHOICES, Command

FUZZ = settings(max_examples=300, derandomize=True, deadline=None)

ANY_TEXT = st.text(max_size=400)  # every Unicode category, surrogates aside
NOISE = st.text(alphabet=" \t\n.,;:!?¡¿()-'\"*~", max_size=3)
ACCENTS = ("\u0301", "\u0300", "\u0308", "\u0303")  # combining acute, grave, diaeresis, tilde


def spaced(tokens: list[str], noise: st.DataObject) -> str:
    """Tokens joined the way people text: any mix of spaces and punctuation around each. An
    apostrophe alone joins words ("don't"), so a gap of only apostrophes gets a space too."""
    gaps = [noise.draw(NOISE) for _ in range(len(tokens) + 1)]
    text = gaps[0]
    for token, gap in zip(tokens, gaps[1:], strict=True):
        text += token + (gap if gap.strip("'") else gap + " ")
    return text


def cased(word: str, flips: list[bool]) -> str:
    return "".join(c.lower() if flip else c.upper() for c, flip in zip(word, flips, strict=False))


# --- the command grammar -------------------------------------------------------------------------


@FUZZ
@given(ANY_TEXT)
def test_any_text_is_read_as_a_command_or_as_none_without_an_error(text):
    command = grammar.parse(text)
    assert command is None or isinstance(command, Command)
    assert all(re.fullmatch(r"[A-Z0-9]+", word) for word in grammar.words(text))


COMMAND_WORDS = [(rule, word) for rule in GRAMMAR if rule.argument == "none" for word in rule.words]


@FUZZ
@given(st.sampled_from(COMMAND_WORDS), st.data())
def test_a_command_word_in_any_case_with_any_punctuation_is_that_command(entry, data):
    rule, word = entry
    flips = data.draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    text = spaced([cased(word, flips)], data)
    assert grammar.parse(text) == Command(rule.command, rule.value, rule.language)


@FUZZ
@given(
    st.sampled_from(["FIND", "groups", "Buscar", "GRUPOS"]),
    st.from_regex(r"[0-9]{5}", fullmatch=True),
    st.data(),
)
def test_a_search_with_any_spacing_keeps_its_zip(word, zip_code, data):
    command = grammar.parse(spaced([word, zip_code], data))
    assert command is not None and (command.name, command.argument) == ("search", zip_code)


@FUZZ
@given(st.sampled_from(["RSVP", "voy", "DROP", "Quitar"]), st.integers(1, 99), st.data())
def test_a_numbered_command_keeps_its_number(word, number, data):
    command = grammar.parse(spaced([word, str(number)], data))
    assert command is not None and command.argument == number


@FUZZ
@given(st.sampled_from(["REMIND", "aviso"]), st.sampled_from(sorted(REMIND_CHOICES)), st.data())
def test_a_reminder_choice_keeps_its_channel(word, choice, data):
    command = grammar.parse(spaced([word, choice.lower()], data))
    assert command is not None and command.argument == REMIND_CHOICES[choice]


@FUZZ
@given(st.sampled_from(COMMAND_WORDS), st.text(alphabet="abcxyz", min_size=1, max_size=8))
def test_a_command_word_followed_by_other_words_is_not_that_command(entry, extra):
    _, word = entry
    assert grammar.parse(f"{word} {extra}") is None


# --- the crisis normaliser -------------------------------------------------------------------


def written_phrases() -> list[tuple[str, str]]:
    """Crisis statements the matcher must catch (tests/test_crisis.py), each as one entry."""
    from tests.test_crisis import POSITIVE

    return [("", phrase) for phrase in POSITIVE]


PHRASES = written_phrases()


@FUZZ
@given(ANY_TEXT)
def test_any_text_normalises_to_plain_lower_case_words_without_an_error(text):
    words = crisis.normalise(text, crisis.load().slang)
    assert all(re.fullmatch(r"[a-z0-9]+", word) for word in words)
    crisis.match(text)


@FUZZ
@given(ANY_TEXT)
def test_normalising_twice_changes_nothing(text):
    once = crisis.normalise(text)
    assert crisis.normalise(" ".join(once)) == once


def spellable(words: list[str], n: int) -> bool:
    """One word spelled out letter by letter is read as that word, unless a one-letter word
    ("y", "i", "o") stands next to it: its letter would be read as part of it. Two words spelled
    out side by side read as one. Known limits of reading "k m s" as "kms"."""
    beside = words[max(n - 1, 0) : n + 2]
    return words[n].isalpha() and all(len(word) > 1 for word in beside)


def disguised(phrase: str, data: st.DataObject) -> str:
    """The phrase as someone in distress might type it: case, accents, letters held down,
    spelled out, punctuation between words."""
    words, ways = [], []
    written = phrase.split()
    for n, word in enumerate(written):
        way = data.draw(st.sampled_from(["plain", "upper", "accented", "held", "spelled"]))
        if way == "spelled" and (not spellable(written, n) or "spelled" in ways):
            way = "plain"
        ways.append(way)
        if way == "upper":
            word = word.upper()
        elif way == "accented":
            word = "".join(c + data.draw(st.sampled_from(ACCENTS)) for c in word)
        elif way == "held":
            i = data.draw(st.integers(0, len(word) - 1))
            word = word[:i] + word[i] * data.draw(st.integers(2, 5)) + word[i:]
        elif way == "spelled":
            word = data.draw(st.sampled_from([".", " ", "-"])).join(word)
        words.append(word)
    return spaced(words, data)


@FUZZ
@given(st.sampled_from(PHRASES), st.data())
def test_a_crisis_phrase_however_it_is_typed_is_still_caught(entry, data):
    _, phrase = entry
    text = disguised(phrase, data)
    assert crisis.match(text) is not None, text


@FUZZ
@given(
    st.sampled_from(PHRASES),
    st.lists(st.sampled_from(["hi", "so", "today", "hoy", "y", "ok"]), max_size=4),
    st.data(),
)
def test_a_crisis_phrase_inside_a_longer_text_is_still_caught(entry, before, data):
    _, phrase = entry
    after = data.draw(st.lists(st.sampled_from(["please", "now", "ya", "lol"]), max_size=4))
    assert crisis.match(" ".join([*before, phrase, *after])) is not None
