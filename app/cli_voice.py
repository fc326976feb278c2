"""Voice commands: ``phoneline simulate call`` (a terminal phone) and ``phoneline flows map``
(SPEC §4). Added to the ``phoneline`` group by ``add_to``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from app.extensions import phoneline
from app.voice_timing import TimedScript, speech_seconds

STIR = {"A": "TN-Validation-Passed-A", "B": "TN-Validation-Passed-B", "C": "TN-Validation-Passed-C"}
DEFAULT_CALLER = "+14155550100"  # a fictional 555-01xx number


def _transport(url: str | None, app: Flask, base: str, documents: list[str]) -> Any:
    from app.simulator import HttpTransport, WsgiTransport

    inner = HttpTransport() if url else WsgiTransport(app, base)

    class Keeping:
        """Keeps each TwiML document, so a silence can be timed by its <Gather>."""

        def send(self, method: str, target: str, params: Any, headers: dict[str, str]) -> Any:
            answer = inner.send(method, target, params, headers)
            if "/twilio/voice" in target and answer.status == 200:
                documents.append(answer.body.decode("utf-8", "replace"))
            return answer

    return Keeping()


@click.group("simulate")
def simulate() -> None:
    """A terminal phone and texter."""


@simulate.command("call")
@click.option(
    "--url", help="A running line's voice webhook, e.g. http://127.0.0.1:5000/twilio/voice"
)
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True, help="Caller ID.")
@click.option("--anonymous", is_flag=True, help="Withhold caller ID.")
@click.option(
    "--stir", type=click.Choice(["A", "B", "C", "none"]), default="none", show_default=True
)
@with_appcontext
def simulate_call(url: str | None, caller: str, anonymous: bool, stir: str) -> None:
    """Call the line through the Twilio simulator: prints what is said, reads keys (digits,
    * and #) or words, an empty line for silence, 'hangup' to hang up."""
    from flask import current_app

    from app.simulator import Simulator, TerminalScript

    settings = phoneline().config
    documents: list[str] = []
    simulator = Simulator(
        settings.account_sid,
        settings.auth_token,
        line_numbers=[settings.phone_number],
        voice_url=url or f"{settings.public_base_url}/twilio/voice",
        transport=_transport(url, current_app, settings.public_base_url, documents),
    )
    terminal = TerminalScript(lambda: sys.stdin.readline() or None, click.echo)
    script = TimedScript(terminal, documents)
    call = simulator.call_line(
        "anonymous" if anonymous else caller, stir=STIR.get(stir), script=script
    )
    simulator.wait_idle()
    terminal.show(call)
    speech = sum(speech_seconds(h.text) for h in call.heard if h.kind == "say")
    minutes, seconds = divmod(round(speech + script.waited), 60)
    click.echo(f"-- call ended; estimated duration {minutes}m {seconds:02d}s")


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
