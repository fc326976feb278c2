"""SPEC §6, §7: "help me" on a menu asks for help with the menu; only a bare "help me" (or one
the line understood nothing else in) is key 8, while a crisis phrase is a crisis on every menu.
Words the line could not use are answered with how to reach the crisis numbers. Whole calls
through the simulator's phone, in English and Spanish."""

import pytest
from sqlalchemy import select

from app.models import AuditEntry, CallbackRequest
from app.prompts import load_catalog
from app.simulator import HangUp, Keys, Speech
from tests.conftest import fresh

MEMBER = "+14155550100"
ENGLISH, SPANISH = "1", "2"
CATALOG = load_catalog()
CRISIS_INFO = {code: CATALOG.render(code, "crisis.voice_info") for code in ("en", "es")}
ZIP_PROMPT = {code: CATALOG.render(code, "voice.find.zip") for code in ("en", "es")}
HOME_PROMPT = {code: CATALOG.render(code, "voice.home") for code in ("en", "es")}


class Caller:
    """Does ``inputs`` in order, then hangs up; keeps where each answer of the line begins."""

    def __init__(self, inputs):
        self.inputs = [Keys(i) if isinstance(i, str) else i for i in inputs]
        self.marks = []

    def next_input(self, call, verb):
        self.marks.append(len(call.heard))
        return self.inputs.pop(0) if self.inputs else HangUp()


def answer_to_last(simulator, *inputs):
    """Everything the line said after the caller's last input, until it waited again."""
    caller = Caller(inputs)
    call = simulator.call_line(MEMBER, script=caller)
    assert call.problems == [], f"TwiML checker: {call.problems}"
    start, end = caller.marks[-2], caller.marks[-1]
    return " ".join(h.text for h in call.heard[start:end] if h.kind == "say")


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "help me find a group"), ("es", "ayúdame a buscar un grupo")],
)
def test_it_takes_help_me_find_a_group_to_the_group_search(simulator, language, words):
    key = ENGLISH if language == "en" else SPANISH
    heard = answer_to_last(simulator, key, Speech(words))
    assert heard == HOME_PROMPT[language]


@pytest.mark.parametrize(
    ("language", "words", "where"),
    [
        ("en", "help me", ()),
        ("es", "ayúdame", ()),
        ("en", "help me please", ("1",)),  # at the ZIP entry
        ("es", "ayuda por favor", ("1",)),
    ],
)
def test_it_plays_the_crisis_numbers_for_help_me_said_on_its_own(simulator, language, words, where):
    key = ENGLISH if language == "en" else SPANISH
    heard = answer_to_last(simulator, key, *where, Speech(words))
    assert heard.startswith(CRISIS_INFO[language])


@pytest.mark.parametrize(
    "where",
    [
        (),
        (ENGLISH, "*"),
        (ENGLISH,),
        (ENGLISH, "0"),
        (ENGLISH, "*", "4"),
        (ENGLISH, "*", "4", "4"),
    ],
    ids=["language", "main", "zip", "callback", "settings", "privacy"],
)
def test_it_answers_i_want_to_kill_myself_with_crisis_information_on_every_menu(
    simulator, session, where
):
    heard = answer_to_last(simulator, *where, Speech("I want to kill myself"))
    assert CRISIS_INFO["en"] in heard
    requests = fresh(session).scalars(select(CallbackRequest)).all()
    (request,) = [r for r in requests if r.urgent]  # "0" files its own request first
    assert (request.urgent, request.source) == (True, "crisis")


def test_it_records_a_spoken_crisis_match_in_the_audit_log_without_the_words(simulator, session):
    answer_to_last(simulator, ENGLISH, Speech("I want to kill myself"))
    (entry,) = fresh(session).scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.details["answered"]) == ("voice", "crisis.match", True)
    assert {"rule", "list_version"} <= set(entry.details)
    stored = f"{entry.target} {entry.details}"
    assert "want" not in stored and "myself" not in stored  # the rule's name only


@pytest.mark.parametrize(
    ("language", "line"),
    [("en", "If you are in crisis, press 8."), ("es", "Si está en crisis, oprima 8.")],
)
def test_it_adds_the_crisis_line_when_it_could_not_use_what_was_said(simulator, language, line):
    key = ENGLISH if language == "en" else SPANISH
    heard = answer_to_last(simulator, key, "1", Speech("mumble mumble"))
    assert heard == " ".join(
        [CATALOG.render(language, "voice.invalid"), line, ZIP_PROMPT[language]]
    )


def test_it_says_the_crisis_line_in_each_language_on_the_language_menu(simulator):
    heard = answer_to_last(simulator, Speech("mumble mumble"))
    assert "If you are in crisis, call or text 9 8 8." in heard
    assert "Si está en crisis, llame al 9 8 8 y oprima 2." in heard


def test_it_does_not_lengthen_the_main_menu_which_already_says_press_8(simulator):
    heard = answer_to_last(simulator, ENGLISH, "*", Speech("mumble mumble"))
    assert heard.count("press 8") == 1
    assert "If you are in crisis" not in heard


def test_it_answers_a_wrong_key_with_sorry_and_the_menu_only(simulator):
    heard = answer_to_last(simulator, ENGLISH, "*", "4", "7")
    assert heard.startswith(CATALOG.render("en", "voice.invalid"))
    assert "crisis" not in heard
