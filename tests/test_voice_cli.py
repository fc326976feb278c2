"""``phoneline simulate call`` and ``phoneline flows map``."""

import re
from xml.etree import ElementTree

from app.cli import cli
from call_flows.definitions import flows
from call_flows.nodes import Entry, Hangup, Menu, Record
from tests.call_runner import every_voice_document_is_checked  # noqa: F401


def test_simulate_call_prints_what_is_said_and_an_estimated_duration(app):
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["simulate", "call"], input="1\n*\n3\n2\n2\n2\n")
    assert result.exit_code == 0, result.output
    assert "[say] This line is not for emergencies." in result.output
    assert "[say] Thank you for calling Community Support Line. Goodbye." in result.output
    assert re.search(r"call ended; estimated duration [12]m \d\ds", result.output)


def test_simulate_call_with_withheld_caller_id_and_spoken_words(app):
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["simulate", "call", "--anonymous"], input="english\n*\nsettings\n")
    assert "To change the language, press 1." in result.output
    assert "[say] Para español, oprima 2." in result.output


def test_simulate_call_silence_runs_the_verb_after_the_gather(app):
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["simulate", "call"], input="\n\n\n\n\n\n")
    assert result.output.count("[say] Take your time.") == 4
    assert "[say] If you would like a person to call you back, press 0." in result.output
    assert "[say] A person will call you back at this number" in result.output
    assert "[say] You can call us back any time." in result.output


def test_flows_map_draws_every_waiting_node_and_a_card_per_language(app, tmp_path):
    result = app.test_cli_runner().invoke(cli, ["flows", "map", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    picture = ElementTree.parse(tmp_path / "call-flow.svg").getroot()
    drawn = {t.text for t in picture.iter("{http://www.w3.org/2000/svg}text")}
    table = flows(["en", "es"])
    waiting = {n for n, node in table.items() if isinstance(node, Menu | Entry | Record | Hangup)}
    assert waiting <= drawn
    spanish = (tmp_path / "menu-card-es.html").read_text()
    assert "Para buscar un grupo, oprima 1." in spanish and "font-size: 22pt" in spanish
    english = (tmp_path / "menu-card-en.html").read_text()
    assert "To find a group, press 1." in english
    assert "enter your ZIP code to hear the nearest group" in english
    assert "marque su código postal para escuchar el grupo más cercano" in spanish
    assert "home" in drawn and "stuck_filed" in drawn
