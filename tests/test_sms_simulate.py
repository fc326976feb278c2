"""``phoneline simulate text``: a terminal texter, in-process or against a running line."""

import contextlib
import io
import sys

from flask.cli import ScriptInfo

from app.cli import cli
from app.extensions import phoneline
from app.simulator.dev import URL_FILE
from tests.sms_phone import nearby_groups, say


def simulate(app, *args, input=None):
    info = ScriptInfo(create_app=lambda: app)
    return app.test_cli_runner().invoke(cli, ["simulate", "text", *args], obj=info, input=input)


def test_a_message_argument_is_texted_once_and_the_replies_printed(app):
    result = simulate(app, "MENU")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "> MENU",
        f"< {say('en', 'sms.menu')}",
        f"< {say('en', 'sms.first_footer')}",
    ]


def test_without_a_message_each_line_of_input_is_a_text(app, session):
    nearby_groups(session)
    result = simulate(app, "--from", "+14155550142", input="94110\n1\nRSVP\nMY\n")
    assert result.exit_code == 0, result.output
    printed = result.output
    assert "< 1 Circle 1, " in printed
    assert "< You have a seat at Circle 1" in printed
    assert "\n< 1 Circle 1, " in printed.split("> MY")[1]


def test_a_line_that_does_not_answer_exits_with_1(app):
    result = simulate(app, "--url", "http://127.0.0.1:9", "MENU")
    assert result.exit_code == 1
    assert "did not answer" in result.output


def test_with_a_simulator_running_texts_go_through_its_carrier(app, simulator):
    """As on a real phone: the carrier answers STOP itself, and the line adds nothing."""
    url_file = phoneline(app).config.instance_path / URL_FILE
    url_file.write_text(simulator.url + "\n")
    try:
        result = simulate(app, "--from", "+14155550143", input="STOP\nMENU\nSTART\n")
    finally:
        url_file.unlink()
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "> STOP",
        "< <carrier STOP reply>",
        "> MENU",
        "< (no reply)",
        "> START",
        "< <carrier START reply>",
    ]


def test_each_typed_line_is_answered_before_the_next_is_typed(app, monkeypatch):
    """A person at a terminal waits for the reply: nothing may wait for the end of input."""
    screen = io.StringIO()
    replied_before_each_read: list[bool] = []

    def keyboard():
        for line in ("MENU\n", "MY\n"):
            replied_before_each_read.append("< " in screen.getvalue())
            yield line
        replied_before_each_read.append("< " in screen.getvalue())

    monkeypatch.setattr(sys, "stdin", keyboard())
    with contextlib.redirect_stdout(screen):
        cli.main(
            ["simulate", "text"], obj=ScriptInfo(create_app=lambda: app), standalone_mode=False
        )
    assert replied_before_each_read == [False, True, True]
