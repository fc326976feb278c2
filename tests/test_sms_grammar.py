"""The §8 command words, English and Spanish, as the parser reads them (table-driven)."""

import pytest

from sms.grammar import Command, parse, spanish, understand
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
    ("I want to stop getting these", Keyword("opt_out", False, "en")),
    ("please stop receiving texts", Keyword("opt_out", False, "en")),
    ("I don't want these anymore", Keyword("opt_out", False, "en")),
    ("ya no quiero recibir nada", Keyword("opt_out", False, "es")),
    ("no me envíen más", Keyword("opt_out", False, "es")),
]


@pytest.mark.parametrize(("body", "keyword"), LINE)
def test_opt_outs_twilio_does_not_catch_are_the_lines_to_confirm(body, keyword):
    assert classify(body, None) == keyword


@pytest.mark.parametrize("body", ["stop by the library", "FIND 94110", "I can't stop crying"])
def test_ordinary_texts_are_not_keywords(body):
    assert classify(body, None) is None


# Ordinary words, read only when a text is no command (review S2-10).
ORDINARY = [
    ("where's a group near 02139", Command("search", "02139")),
    ("hola, busco un grupo cerca de 94110", Command("search", "94110", "es")),
    ("my zip is 94110", Command("search", "94110")),
    ("my meetings", Command("my", None, "en")),
    ("My meetings please", Command("my", None, "en")),
    ("mis reuniones", Command("my", None, "es")),
    ("menu please", Command("menu")),
    ("Menú por favor", Command("menu", None, "es")),
    ("groups near me", Command("ask_zip")),
    ("when is my meeting?", Command("my")),
    ("cuando es mi reunión", Command("my", None, "es")),
    ("Hola, busco un grupo", Command("ask_zip", None, "es")),
    ("cancel my rsvp", Command("drop")),
    ("quiero cancelar mi reunión", Command("drop", None, "es")),
    ("ok", Command("ack", "ok")),
    ("OK!", Command("ack", "ok")),
    ("yes.", Command("ack", "ok")),
    ("Sí", Command("ack", "ok", "es")),
    ("thanks", Command("ack", "thanks")),
    ("Thank you!", Command("ack", "thanks")),
    ("ok thanks", Command("ack", "thanks")),
    ("gracias", Command("ack", "thanks", "es")),
    ("muchas gracias", Command("ack", "thanks", "es")),
]


@pytest.mark.parametrize(("text", "command"), ORDINARY)
def test_it_understands_ordinary_words(text, command):
    assert understand(text) == command


@pytest.mark.parametrize(
    "text", ["what is this", "my zip is 94110 or 94112", "I am not sure", "hello?", "", "12"]
)
def test_it_leaves_what_it_cannot_read_to_didnt_understand(text):
    assert understand(text) is None


@pytest.mark.parametrize(
    ("text", "is_spanish"),
    [("hola", True), ("Gracias", True), ("quiero un grupo", True), ("por favor", True),
     ("Busco ayuda", True), ("Menú", True), ("¿hay grupos?", True), ("hello", False),
     ("thanks", False), ("is this the line?", False), ("MENU", False)],
)  # fmt: skip
def test_it_hears_spanish_in_common_words(text, is_spanish):
    assert spanish(text) is is_spanish
