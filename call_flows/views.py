"""The voice webhook: thin views that always answer valid TwiML (SPEC §7)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse

from app.extensions import config, prompts
from app.webhooks import missing_params, require_twilio_signature
from call_flows import greeting

log = logging.getLogger(__name__)

blueprint = Blueprint("voice", __name__, url_prefix="/twilio/voice")
require_twilio_signature(blueprint)

REQUIRED = ("CallSid", "From", "To")


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def always_answers(view: Callable[[], VoiceResponse]) -> Callable[[], Response]:
    """Missing parameters or any error inside a step still answer valid TwiML: an apology,
    the callback offer and goodbye, never silence (SPEC §7.9)."""

    @wraps(view)
    def wrapper() -> Response:
        if missing_params(*REQUIRED):
            log.warning("voice webhook missing params path=%s", request.path)
            return twiml(greeting.apology(prompts(), config().line_name))
        try:
            return twiml(view())
        except Exception:
            log.exception("voice step failed path=%s", request.path)
            return twiml(greeting.apology(prompts(), config().line_name))

    return wrapper


def _url(path: str) -> str:
    return f"{config().public_base_url}{path}"


@blueprint.post("")
@always_answers
def incoming_call() -> VoiceResponse:
    return greeting.answer(prompts(), _url("/twilio/voice/language"))


@blueprint.post("/language")
@always_answers
def language_choice() -> VoiceResponse:
    attempt = request.args.get("attempt", default=0, type=int)
    choice = request.form.get("Digits") or request.form.get("SpeechResult") or ""
    return greeting.after_language_choice(
        prompts(), choice, attempt, _url("/twilio/voice/language"), config().line_name
    )
