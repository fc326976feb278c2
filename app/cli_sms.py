"""``phoneline simulate text [--url URL] [--from NUMBER] [MESSAGE]``: a terminal texter (SPEC §4).

With ``--url`` it posts to that line's SMS webhook exactly as Twilio does (form fields,
``X-Twilio-Signature`` made with the auth token) and prints the messages in the TwiML answer.
Without it, when a ``phoneline serve`` of this instance runs the Twilio API simulator, the text
goes through the simulator's virtual phone, so the carrier's keyword handling applies as it would
on a real phone ("STOP" gets the carrier's reply and blocks the number); else it texts the app
in-process. Without MESSAGE it reads one text per line from standard input until end of input.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from xml.etree import ElementTree

import click
from flask import current_app
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from app.extensions import phoneline

DEFAULT_FROM = "+14155550100"  # a fictional 555-01xx number
Post = Callable[[dict[str, str]], bytes]


@click.command("text")
@click.option(
    "--url", help="A running line: its origin or its SMS webhook, e.g. http://127.0.0.1:5000."
)
@click.option("--from", "sender", default=DEFAULT_FROM, show_default=True)
@click.argument("message", required=False)
@with_appcontext
def simulate_text(url: str | None, sender: str, message: str | None) -> None:
    """A terminal texter: what you type is texted to the line; its replies are printed."""
    send = _chosen_route(url, sender)
    bodies: Iterable[str] = [message] if message is not None else _lines()
    for body in bodies:
        try:
            replies = send(body)
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


def _chosen_route(url: str | None, sender: str) -> Callable[[str], list[str]]:
    if url:
        # Either the line's origin or its SMS webhook URL, as for ``simulate call --url``.
        post = _http_post(url.rstrip("/").removesuffix("/twilio/sms"))
    else:
        simulator = _running_simulator()
        if simulator is not None:
            return lambda body: _via_simulator(simulator, sender, body)
        post = _in_process_post()
    return lambda body: _text(post, sender, body)


def _running_simulator() -> str | None:
    """The simulator a ``serve`` of this instance started, if it still answers."""
    from app.simulator.dev import URL_FILE

    path = phoneline().config.instance_path / URL_FILE
    if not path.exists():
        return None
    url = path.read_text().strip()
    try:
        _simulator_request(url, "/inbox", sender=DEFAULT_FROM)
    except (urllib.error.URLError, OSError):
        return None
    return url


def _via_simulator(simulator: str, sender: str, body: str) -> list[str]:
    answer = _simulator_request(simulator, "/texts", sender, {"Body": body})
    return [str(reply) for reply in answer["replies"]]


def _simulator_request(
    simulator: str, what: str, sender: str, form: dict[str, str] | None = None
) -> dict[str, Any]:
    config = phoneline().config
    credentials = base64.b64encode(f"{config.account_sid}:{config.auth_token}".encode()).decode()
    request = urllib.request.Request(  # noqa: S310 - the local simulator's own URL
        f"{simulator}/_simulator/phones/{urllib.parse.quote(sender, safe='+')}{what}",
        data=urllib.parse.urlencode(form).encode() if form is not None else None,
        headers={"Authorization": f"Basic {credentials}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def _lines() -> Iterator[str]:
    """One text per line, each sent as soon as it is typed (not at the end of input)."""
    for line in sys.stdin:
        yield line.rstrip("\n")


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
