"""The voice webhook: thin views that always answer valid TwiML (SPEC §7).

``POST /twilio/voice`` answers a call; every later request of the call comes to
``POST /twilio/voice/step``, the URL of every ``<Gather>``, ``<Record>`` and ``<Redirect>``.
Calls the line places start at ``POST /twilio/voice/outbound/reminder?r=<rsvp id>``, a notice
at ``/outbound/notice?o=<outbox id>``, a code or meetings call a caller asked for at
``/outbound/reply?o=<outbox id>`` and, for the masked callback call (SPEC §10),
``POST /twilio/voice/outbound/callback?c=<request id>`` with its steps below it
(``call_flows.callback_call``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from twilio.twiml.voice_response import VoiceResponse

from app.db import utcnow
from app.extensions import config, db, phoneline, prompts
from app.phones import caller_number, dialable
from app.webhooks import missing_params, require_twilio_signature, row_id, signed_param
from call_flows import callback_call, calls
from call_flows.context import CallContext
from call_flows.definitions import (
    OUTBOUND_NOTICE,
    OUTBOUND_REMINDER,
    OUTBOUND_REPLY,
    OUTBOUND_VOICEMAIL,
)

log = logging.getLogger(__name__)

blueprint = Blueprint("voice", __name__, url_prefix="/twilio/voice")
require_twilio_signature(blueprint)

REQUIRED = ("CallSid", "From", "To")


@blueprint.record_once
def _validate_flows_at_start_up(setup: BlueprintSetupState) -> None:
    """A broken flow definition stops the app from starting, not a caller mid-call."""
    calls.table_for(setup.app.extensions["phoneline"].prompts)


def twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


@contextmanager
def call_context() -> Iterator[CallContext]:
    settings = config()
    outbound = request.form.get("Direction", "").startswith("outbound")
    party = request.form.get("To" if outbound else "From")
    caller = _usable_number(party, settings.default_region)
    with db().session() as session:
        yield CallContext(
            session=session,
            catalog=prompts(),
            config=settings,
            redis=phoneline().redis,
            now=utcnow(),
            call_sid=request.form.get("CallSid", ""),
            caller=caller,
            stir=signed_param("StirVerstat"),
            caller_refused=caller is None and _presented(party, settings.default_region),
        )


def _usable_number(party: str | None, region: str) -> str | None:
    """Caller ID the line may call back and text: a number outside DEFAULT_REGION and the
    territories it serves (or an N11 or premium one) is treated as withheld, so the caller keys
    in a number to be called on."""
    number = caller_number(party, region)
    return number if number is not None and dialable(number, region) else None


def _presented(party: str | None, region: str) -> bool:
    """Caller ID carried a real number (one the line refuses), not a withheld one."""
    return caller_number(party, region) is not None


def always_answers(view: Callable[[CallContext], VoiceResponse]) -> Callable[[], Response]:
    """Missing parameters or any error inside a step still answer valid TwiML: an apology,
    the callback offer and goodbye, never silence (SPEC §7.9). Nothing personal is logged."""

    @wraps(view)
    def wrapper() -> Response:
        if missing_params(*REQUIRED):
            log.warning("voice webhook missing params path=%s", request.path)
            return _apology()
        try:
            with call_context() as ctx:
                return twiml(view(ctx))
        except Exception as error:  # noqa: BLE001 - the caller must hear something, always
            log.error(
                "voice step failed path=%s error=%s at=%s",
                request.path,
                type(error).__name__,
                _where(error),
            )
            return _apology()

    return wrapper


def _where(error: BaseException) -> str:
    """Where it failed, as file:line frames: enough to debug, and unlike the exception's
    message (a database error quotes its parameters) it holds no number or speech."""
    frames = traceback.extract_tb(error.__traceback__)[-4:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))


def _apology() -> Response:
    with db().sessions() as session:
        ctx = CallContext(
            session=session,
            catalog=prompts(),
            config=config(),
            redis=phoneline().redis,
            now=utcnow(),
            call_sid=request.form.get("CallSid", ""),
            caller=None,
            stir=None,
        )
        return twiml(calls.apology(ctx, config().public_base_url))


@blueprint.post("")
@always_answers
def incoming_call(ctx: CallContext) -> VoiceResponse:
    return calls.answer(ctx, config().public_base_url)


@blueprint.post("/step")
@always_answers
def next_step(ctx: CallContext) -> VoiceResponse:
    turn = request.args.get("t", type=int)
    return calls.step(ctx, request.form, config().public_base_url, turn)


@blueprint.post("/outbound/reminder")
@always_answers
def reminder_call(ctx: CallContext) -> VoiceResponse:
    rsvp_id = row_id("r") or 0
    return calls.answer(ctx, config().public_base_url, OUTBOUND_REMINDER, rsvp_id=rsvp_id)


def _callback_id() -> int:
    return row_id("c") or 0


@blueprint.post("/outbound/callback")
@always_answers
def callback_announce(ctx: CallContext) -> VoiceResponse:
    return callback_call.announce(ctx, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/connect")
@always_answers
def callback_connect(ctx: CallContext) -> VoiceResponse:
    return callback_call.connect(ctx, request.form, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/missed")
@always_answers
def callback_missed(ctx: CallContext) -> VoiceResponse:
    return callback_call.missed(ctx, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/dial")
@always_answers
def callback_dial(ctx: CallContext) -> VoiceResponse:
    return callback_call.dial(ctx, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/after")
@always_answers
def callback_after(ctx: CallContext) -> VoiceResponse:
    return callback_call.after(ctx, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/screen")
@always_answers
def callback_screen(ctx: CallContext) -> VoiceResponse:
    return callback_call.screen(ctx, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/callback/screen/answer")
@always_answers
def callback_screen_answer(ctx: CallContext) -> VoiceResponse:
    return callback_call.screen_answer(ctx, request.form, _callback_id(), config().public_base_url)


@blueprint.post("/outbound/voicemail")
@always_answers
def reminder_voicemail(ctx: CallContext) -> VoiceResponse:
    """Where a reminder call goes when an answering machine picked up and the member allowed a
    voicemail: the neutral message and the line's number, nothing about the group."""
    outbox_id = row_id("o") or 0
    return calls.answer(ctx, config().public_base_url, OUTBOUND_VOICEMAIL, outbox_id=outbox_id)


@blueprint.post("/outbound/notice")
@always_answers
def notice_call(ctx: CallContext) -> VoiceResponse:
    outbox_id = row_id("o") or 0
    return calls.answer(ctx, config().public_base_url, OUTBOUND_NOTICE, outbox_id=outbox_id)


@blueprint.post("/outbound/reply")
@always_answers
def reply_call(ctx: CallContext) -> VoiceResponse:
    """A one-time code or "my meetings" the member asked for by phone call (review M7)."""
    outbox_id = row_id("o") or 0
    return calls.answer(ctx, config().public_base_url, OUTBOUND_REPLY, outbox_id=outbox_id)
