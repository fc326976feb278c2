"""Voice commands: ``phoneline simulate call`` (a terminal phone) and ``phoneline flows map``
(SPEC §4). Added to the ``phoneline`` group by ``add_to``."""

from __future__ import annotations

import sys
import urllib.parse
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import click
from flask import Flask
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from app.extensions import phoneline

STIR = {"A": "TN-Validation-Passed-A", "B": "TN-Validation-Passed-B", "C": "TN-Validation-Passed-C"}
DEFAULT_CALLER = "+14155550100"  # a fictional 555-01xx number


class SignedTransport:
    """Posts to the line as Twilio does: form-encoded and signed with the auth token, either to
    a running server (``--url``) or into the app in this process."""

    def __init__(self, token: str, base_url: str, app: Flask | None) -> None:
        self.validator = RequestValidator(token)
        self.base_url = base_url
        self.client = app.test_client() if app is not None else None

    def post(self, url: str, params: dict[str, str]) -> str:
        signature = self.validator.compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature}
        if self.client is not None:
            response = self.client.post(
                url.removeprefix(self.base_url), data=params, headers=headers
            )
            return response.get_data(as_text=True)
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return str(answer.read().decode("utf-8"))


def _ask(call: object, verb: ElementTree.Element) -> object:
    from call_flows.phone import Press

    kind = "record" if verb.tag == "Record" else f"{verb.get('numDigits', '1')} key(s)"
    click.echo(click.style(f"  [{kind}: keys, words, Enter for silence, 'hangup']", dim=True))
    line = sys.stdin.readline()
    if not line:
        return Press(hang_up=True)
    text = line.strip()
    if text and not text.startswith("say:") and any(ch.isalpha() for ch in text):
        text = "say: " + text if text.lower() not in ("hangup", "hang up") else text
    return Press.parse(text)


@click.group("simulate")
def simulate() -> None:
    """A terminal phone and texter."""


@simulate.command("call")
@click.option(
    "--url", help="The voice webhook of a running line, e.g. http://127.0.0.1:5000/twilio/voice."
)
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True, help="Caller ID.")
@click.option("--anonymous", is_flag=True, help="Withhold caller ID.")
@click.option(
    "--stir", type=click.Choice(["A", "B", "C", "none"]), default="none", show_default=True
)
@with_appcontext
def simulate_call(url: str | None, caller: str, anonymous: bool, stir: str) -> None:
    """Call the line: prints what is said, reads keys or words, runs TwiML as Twilio would."""
    from call_flows.phone import Phone

    settings = phoneline().config
    base = settings.public_base_url
    app = None if url else _current_app()
    transport = SignedTransport(settings.auth_token, base, app)
    params = {"From": "anonymous" if anonymous else caller, "To": settings.phone_number}
    if stir in STIR:
        params["StirVerstat"] = STIR[stir]
    phone = Phone(transport, params, listener=lambda heard: click.echo(f"LINE: {heard.text}"))
    call = phone.call(url or f"{base}/twilio/voice", _ask)  # type: ignore[arg-type]
    ended = "the line hung up" if call.ended_by == "line" else "you hung up"
    minutes, seconds = divmod(round(call.seconds), 60)
    click.echo(f"-- {ended}; estimated duration {minutes}m {seconds:02d}s")


def _current_app() -> Flask:
    from flask import current_app

    return current_app._get_current_object()  # type: ignore[attr-defined]


@click.group("flows")
def flows_group() -> None:
    """The call flow definitions."""


@flows_group.command("map")
@click.option(
    "--out", "out", default="flows-map", show_default=True, type=click.Path(file_okay=False)
)
@with_appcontext
def flows_map(out: str) -> None:
    """Draw the call-flow picture (SVG) and a large-print menu card (HTML) per language."""
    from call_flows.definitions import flows
    from call_flows.flowmap import menu_card, svg
    from call_flows.validate import validate

    catalog = phoneline().prompts
    table = flows(catalog.languages)
    problems = validate(table)
    for problem in problems:
        click.echo(f"flow error: {problem}", err=True)
    if problems:
        sys.exit(1)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "call-flow.svg").write_text(svg(table, catalog), encoding="utf-8")
    line_name = phoneline().config.line_name
    for language in catalog.languages:
        card = menu_card(table, catalog, language, line_name)
        (folder / f"menu-card-{language}.html").write_text(card, encoding="utf-8")
    languages = ", ".join(catalog.languages)
    click.echo(f"wrote {folder}/call-flow.svg and a menu card per language ({languages})")


def add_to(cli: click.Group) -> None:
    """Join an existing ``simulate`` group (the SMS stream adds ``simulate text``) or add ours."""
    existing = cli.commands.get("simulate")
    if isinstance(existing, click.Group):
        existing.add_command(simulate_call)
    else:
        cli.add_command(simulate)
    cli.add_command(flows_group)
