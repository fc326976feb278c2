"""``phoneline simulate text [--url URL] [--from NUMBER] [MESSAGE]``: a terminal texter (SPEC §4).

It posts to the SMS webhook exactly as Twilio does (form fields, ``X-Twilio-Signature`` made with
the auth token) and prints the messages in the TwiML answer. Without ``--url`` it texts the app
in-process; with it, a running ``phoneline serve``. Without MESSAGE it reads one text per line
from standard input until end of input.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from xml.etree import ElementTree

import click
from flask import current_app
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from app.extensions import phoneline

DEFAULT_FROM = "+14155550100"  # a fictional 555-01xx number
Post = Callable[[dict[str, str]], bytes]


@click.command("text")
@click.option("--url", help="Base URL of a running line, e.g. http://127.0.0.1:5000.")
@click.option("--from", "sender", default=DEFAULT_FROM, show_default=True)
@click.argument("message", required=False)
@with_appcontext
def simulate_text(url: str | None, sender: str, message: str | None) -> None:
    """A terminal texter: what you type is texted to the line; its replies are printed."""
    post = _http_post(url.rstrip("/")) if url else _in_process_post()
    bodies = [message] if message is not None else _lines()
    for body in bodies:
        try:
            replies = _text(post, sender, body)
        except (urllib.error.URLError, OSError) as error:
            click.echo(f"the line did not answer: {type(error).__name__}", err=True)
            sys.exit(1)
        click.echo(f"> {body}")
        for reply in replies or ["(no reply)"]:
            click.echo("< " + reply.replace("\n", "\n  "))


def register(cli: click.Group) -> None:
    """Add ``text`` to the ``simulate`` group, creating the group if no one has yet."""
    group = cli.commands.get("simulate")
    if not isinstance(group, click.Group):
        group = click.Group("simulate", help="Terminal phones for the line.")
        cli.add_command(group)
    group.add_command(simulate_text)


def _lines() -> list[str]:
    return [line.rstrip("\n") for line in sys.stdin]


def _text(post: Post, sender: str, body: str) -> list[str]:
    config = phoneline().config
    params = {
        "MessageSid": "SM" + uuid.uuid4().hex,
        "AccountSid": config.account_sid,
        "From": sender,
        "To": config.phone_number,
        "Body": body,
        "NumMedia": "0",
    }
    root = ElementTree.fromstring(post(params))  # noqa: S314 - the line's own TwiML
    return ["".join(node.itertext()).strip() for node in root.iter("Message")]


def _signature(url: str, params: dict[str, str]) -> str:
    return RequestValidator(phoneline().config.auth_token).compute_signature(url, params)


def _http_post(base: str) -> Post:
    def post(params: dict[str, str]) -> bytes:
        url = base + "/twilio/sms"
        request = urllib.request.Request(  # noqa: S310 - a URL the operator gave
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": _signature(url, params)},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return bytes(response.read())

    return post


def _in_process_post() -> Post:
    client = current_app.test_client()
    base = phoneline().config.public_base_url

    def post(params: dict[str, str]) -> bytes:
        signature = _signature(base + "/twilio/sms", params)
        response = client.post(
            "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        if response.status_code != 200:
            raise OSError(f"status {response.status_code}")
        return bytes(response.data)

    return post
