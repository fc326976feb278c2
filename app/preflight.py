"""``phoneline check``: what a deployment must paste into Twilio, and what is not ready yet."""

from __future__ import annotations

from dataclasses import dataclass, field

from twilio.twiml.voice_response import VoiceResponse

from app.config import TWILIO_API
from app.extensions import Phoneline
from app.services import optouts


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def preflight(ext: Phoneline) -> Report:
    config = ext.config
    report = Report()
    base = config.public_base_url
    report.lines += [
        f"environment: {config.env}",
        f"line: {config.line_name} {config.phone_number}",
        "",
        "Paste into the Twilio number's configuration:",
        f"  Voice, a call comes in (POST):    {base}/twilio/voice",
        "  Voice, primary handler fails:     a TwiML Bin with the fallback document below",
        f"  Messaging, a message comes in:    {base}/twilio/sms",
        "",
        "Fallback TwiML (for when this server is down):",
        fallback_twiml(ext),
        "",
        *advanced_opt_out(ext),
        "",
        f"quiet hours: {config.quiet_hours} in each recipient's local time",
        f"reminders: {', '.join(str(o) for o in config.reminder_offsets)} before each meeting",
    ]
    if config.uses_placeholder_credentials:
        report.problems.append("TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are placeholders")
    if not base.startswith("https://"):
        report.problems.append(f"PUBLIC_BASE_URL {base} is not https")
    if config.twilio_api_base_url != TWILIO_API:
        report.problems.append(f"TWILIO_API_BASE_URL points at {config.twilio_api_base_url}")
    return report


def fallback_twiml(ext: Phoneline) -> str:
    """A static document that needs no server: the notice, 911/988, please call back later."""
    catalog = ext.prompts
    response = VoiceResponse()
    for code in catalog.languages:
        meta = catalog.meta[code]
        for key in ("voice.notice", "voice.down"):
            response.say(catalog.render(code, key), voice=meta.voice, language=meta.say_language)
    response.hangup()
    return str(response)


def advanced_opt_out(ext: Phoneline) -> list[str]:
    """The Messaging Service's Advanced Opt-Out replies (SPEC §8), one set per language: Twilio
    sends them for its own keywords, so the line answers those with an empty response."""
    catalog = ext.prompts
    config = ext.config
    params = {
        "line_name": config.line_name,
        "per_meeting": optouts.texts_per_meeting(config),
    }
    lines = ["Advanced Opt-Out replies (Messaging Service > Opt-Out Management), per language:"]
    for code in catalog.languages:
        footer = catalog.render(code, "sms.crisis_footer")
        lines.append(f"  {catalog.meta[code].name} ({code}):")
        for label, key in (("Help", "optout.help"), ("Opt-out", "optout.stop"),
                           ("Opt-in", "optout.start")):  # fmt: skip
            lines.append(
                f"    {label}: {catalog.render(code, key, crisis_footer=footer, **params)}"
            )
    return lines
