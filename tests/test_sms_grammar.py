"""The §8 command words, English and Spanish, as the parser reads them (table-driven)."""

import pytest

from sms.grammar import Command, parse
from sms.keywords import Keyword, classify

COMMANDS = [
    ("94110", Command("search", "94110")),
    ("FIND 94110", Command("search", "94110", "en")),
    ("groups 94110", Command("search", "94110", "en")),
    ("BUSCAR 94110", Command("search", "94110", "es")),
    ("grupos  94110.", Command("search", "94110", "es")),
    ("MORE", Command("more", None, "en")),
    ("más", Command("more", None, "es")),
    ("MAS", Command("more", None, "es")),
    ("2", Command("number", 2)),
    (" 12 ", Command("number", 12)),
    ("RSVP", Command("rsvp", None, "en")),
    ("rsvp 2", Command("rsvp", 2, "en")),
    ("VOY", Command("rsvp", None, "es")),
    ("voy 2!", Command("rsvp", 2, "es")),
    ("MY", Command("my", None, "en")),
    ("Mis", Command("my", None, "es")),
    ("DROP 1", Command("drop", 1, "en")),
    ("quitar 1", Command("drop", 1, "es")),
    ("DROP", Command("drop", None, "en")),
    ("CALL", Command("call", None, "en")),
    ("Llamar", Command("call", None, "es")),
    ("REMIND TEXT", Command("remind", "sms", "en")),
    ("remind call", Command("remind", "call", "en")),
    ("REMIND OFF", Command("remind", "none", "en")),
    ("AVISO TEXTO", Command("remind", "sms", "es")),
    ("aviso llamada", Command("remind", "call", "es")),
    ("AVISO NO", Command("remind", "none", "es")),
    ("JOIN", Command("join", None, "en")),
    ("unirse", Command("join", None, "es")),
    ("ES", Command("language", "es", "es")),
    ("ESPANOL", Command("language", "es", "es")),
    ("Español", Command("language", "es", "es")),
    ("EN", Command("language", "en", "en")),
    ("english", Command("language", "en", "en")),
    ("MENU", Command("menu")),
    ("Menú", Command("menu")),
    ("PRIVACY", Command("privacy", None, "en")),
    ("privacidad", Command("privacy", None, "es")),
    ("DELETE", Command("delete", None, "en")),
    ("BORRAR", Command("delete", None, "es")),
]


@pytest.mark.parametrize(("text", "command"), COMMANDS)
def test_each_command_word_parses_in_either_language(text, command):
    assert parse(text) == command


@pytest.mark.parametrize(
    "text", ["hello", "RSVP please", "FIND", "FIND 9411", "REMIND SOON", "MY MEETINGS", "", "..."]
)
def test_anything_else_is_not_a_command(text):
    assert parse(text) is None


def test_whole_words_only():
    assert parse("MYSELF") is None
    assert parse("menus") is None


CARRIER = [
    ("STOP", None, Keyword("opt_out", True)),
    ("stopall", None, Keyword("opt_out", True)),
    (" Unsubscribe ", None, Keyword("opt_out", True)),
    ("CANCEL", None, Keyword("opt_out", True)),
    ("end", None, Keyword("opt_out", True)),
    ("QUIT", None, Keyword("opt_out", True)),
    ("REVOKE", None, Keyword("opt_out", True)),
    ("OPTOUT", None, Keyword("opt_out", True)),
    ("START", None, Keyword("opt_in", True)),
    ("yes", None, Keyword("opt_in", True)),
    ("UNSTOP", None, Keyword("opt_in", True)),
    ("HELP", None, Keyword("help", True)),
    ("info", None, Keyword("help", True)),
    ("stop.", "STOP", Keyword("opt_out", True)),
    ("Stop!", "STOP", Keyword("opt_out", True)),
]


@pytest.mark.parametrize(("body", "opt_out_type", "keyword"), CARRIER)
def test_keywords_twilio_handles_are_recognised_as_the_carriers(body, opt_out_type, keyword):
    assert classify(body, opt_out_type) == keyword


LINE = [
    ("PARAR", Keyword("opt_out", False, "es")),
    ("alto", Keyword("opt_out", False, "es")),
    ("BAJA", Keyword("opt_out", False, "es")),
    ("CANCELAR", Keyword("opt_out", False, "es")),
    ("NO MAS", Keyword("opt_out", False, "es")),
    ("no más", Keyword("opt_out", False, "es")),
    ("EMPEZAR", Keyword("opt_in", False, "es")),
    ("AYUDA", Keyword("help", False, "es")),
    ("stop.", Keyword("opt_out", False)),
    ("Stop!", Keyword("opt_out", False)),
    ("stop please", Keyword("opt_out", False)),
    ("stop texting me", Keyword("opt_out", False, "en")),
    ("No more texts", Keyword("opt_out", False, "en")),
    ("Please, no más mensajes", Keyword("opt_out", False, "es")),
]


@pytest.mark.parametrize(("body", "keyword"), LINE)
def test_opt_outs_twilio_does_not_catch_are_the_lines_to_confirm(body, keyword):
    assert classify(body, None) == keyword


@pytest.mark.parametrize("body", ["stop by the library", "FIND 94110", "I can't stop crying"])
def test_ordinary_texts_are_not_keywords(body):
    assert classify(body, None) is None
