"""The masked callback call (SPEC §10), step by step, as TwiML.

A facilitator texts ``CALL <code>``; the outbox calls their registered number and Twilio fetches
``announce``. They hear "Call for request <code>. Press 1 to connect" and nothing more until
they press 1 (silence: the call ends, the request stays theirs, and they get a text). After 1
they hear the member's message (any key skips it), then the line dials the member from the
line's own number. The member's leg first runs ``screen``: "<LINE_NAME> is calling you back.
Press 1 to talk now." Only a 1 bridges the two; otherwise the line itself leaves the neutral
voicemail if the member allowed one, and hangs up, and the facilitator hears "no answer".

Neither side hears or sees the other's number: both legs come from the line's number, and the
member's number is only in the ``<Dial>`` Twilio reads. These are not menus of SPEC §7 (no 9,
*, 0 or 8 here): the facilitator's phone must stay silent until 1, and the member's screen is
the one sentence §10 gives.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import VoiceResponse

from app.models import CallbackRequest, CallbackStatus, Facilitator, OutboxKind, OutboxPurpose
from app.phones import dialable
from app.services import callback_alerts, callbacks, outbox, recordings
from app.services.outbox import Outgoing
from call_flows import speaking
from call_flows.context import CallContext
from call_flows.twiml import Spoken, gather, say

PATH = "/twilio/voice/outbound/callback"
ANSWER_TIMEOUT = 10  # seconds the facilitator has to press 1 (SPEC §10)
RING_TIMEOUT = 30
HELD = (CallbackStatus.CLAIMED, CallbackStatus.CALLED)


def url(base: str, step: str, callback_id: int) -> str:
    return f"{base}{PATH}{step}?c={callback_id}"


class Leg:
    """One request of one leg: the request, whose leg it is, and how to speak on it."""

    def __init__(self, ctx: CallContext, request: CallbackRequest, language: str, base: str):
        self.ctx, self.request, self.language, self.base = ctx, request, language, base
        self.response = VoiceResponse()

    def spoken(self, key: str, **params: object) -> Spoken:
        common = {
            "line_name": self.ctx.config.line_name,
            "line_number": speaking.phone(self.ctx.config.phone_number),
            "code": " ".join(self.request.code),
        }
        text = self.ctx.catalog.render(self.language, key, **{**common, **params})
        return Spoken(text, self.ctx.catalog.meta[self.language])

    def say(self, key: str) -> None:
        say(self.response, self.spoken(f"voice.callback_call.{key}"))

    def url(self, step: str) -> str:
        return url(self.base, step, self.request.id)

    def ask_for_one(self, key: str, action: str) -> None:
        gather(
            self.response,
            action=self.url(action),
            meta=self.ctx.catalog.meta[self.language],
            prompts=[self.spoken(f"voice.callback_call.{key}")],
            hints=[self.ctx.catalog.render(self.language, "voice.callback_call.hints")],
            num_digits=1,
            timeout=ANSWER_TIMEOUT,
            finish_on_key="",
        )


# --- the facilitator's leg ---------------------------------------------------------------------


def facilitator_leg(ctx: CallContext, callback_id: int, base: str) -> Leg | None:
    """The leg, if this call is to the facilitator who holds the request now."""
    request = ctx.session.get(CallbackRequest, callback_id)
    if request is None or request.status not in HELD or request.claimed_by_id is None:
        return None
    person = ctx.session.get(Facilitator, request.claimed_by_id)
    if person is None or person.phone != ctx.caller:
        return None
    return Leg(ctx, request, callback_alerts.language_of(person, ctx.catalog), base)


def not_yours(ctx: CallContext) -> VoiceResponse:
    response = VoiceResponse()
    text = ctx.catalog.render("en", "voice.callback_call.not_yours")
    say(response, Spoken(text, ctx.catalog.meta["en"]))
    response.hangup()
    return response


def announce(ctx: CallContext, callback_id: int, base: str) -> VoiceResponse:
    leg = facilitator_leg(ctx, callback_id, base)
    if leg is None:
        return not_yours(ctx)
    leg.ask_for_one("announce", "/connect")
    leg.response.redirect(leg.url("/missed"), method="POST")
    return leg.response


def pressed_one(form: Mapping[str, str]) -> bool:
    if form.get("Digits") == "1":
        return True
    heard = (form.get("SpeechResult") or "").strip().lower().strip(".")
    return heard in ("1", "one", "uno")


def connect(
    ctx: CallContext, form: Mapping[str, str], callback_id: int, base: str
) -> VoiceResponse:
    """After 1: the member's message (any key skips it), then on to dialling."""
    leg = facilitator_leg(ctx, callback_id, base)
    if leg is None:
        return not_yours(ctx)
    if not pressed_one(form):
        return announce(ctx, callback_id, base)
    callbacks.start_call(ctx.session, leg.request, ctx.now)
    _message(leg)
    leg.response.redirect(leg.url("/dial"), method="POST")
    return leg.response


def _message(leg: Leg) -> None:
    request, ctx = leg.request, leg.ctx
    if request.recording is None and not request.note:
        leg.say("no_message")
        return
    node = gather(
        leg.response,
        action=leg.url("/dial"),
        meta=ctx.catalog.meta[leg.language],
        prompts=[leg.spoken("voice.callback_call.message")],
        hints=[ctx.catalog.render(leg.language, "voice.callback_call.hints")],
        num_digits=1,
        finish_on_key="",
    )
    if request.recording is not None:
        query = recordings.playback_query(ctx.config.secret_key, request, ctx.now)
        node.play(f"{leg.base}/recordings/{request.id}.wav?{query}")
    else:
        language = request.language if ctx.catalog.has(request.language) else "en"
        say(node, Spoken(request.note or "", ctx.catalog.meta[language]))


def dial(ctx: CallContext, callback_id: int, base: str) -> VoiceResponse:
    leg = facilitator_leg(ctx, callback_id, base)
    if leg is None:
        return not_yours(ctx)
    member = leg.request.member
    if not dialable(member.phone, ctx.config.default_region):
        leg.say("cannot_dial")  # SPEC §6: never 911, 988, N11, premium or out of region
        leg.response.hangup()
        return leg.response
    leg.say("dialing")
    dialing = leg.response.dial(
        caller_id=ctx.config.phone_number,
        action=leg.url("/after"),
        method="POST",
        timeout=RING_TIMEOUT,
    )
    dialing.number(member.phone, url=leg.url("/screen"), method="POST")
    return leg.response


def after(ctx: CallContext, callback_id: int, base: str) -> VoiceResponse:
    """The member's leg ended: they talked, or the facilitator hears "no answer"."""
    leg = facilitator_leg(ctx, callback_id, base)
    if leg is None:
        return not_yours(ctx)
    leg.say("ended" if callbacks.answered_last_call(leg.request) else "no_answer")
    leg.response.hangup()
    return leg.response


def missed(ctx: CallContext, callback_id: int, base: str) -> VoiceResponse:
    """No 1 within 10 seconds: hang up; the request stays claimed; the facilitator is texted."""
    leg = facilitator_leg(ctx, callback_id, base)
    if leg is None:
        return not_yours(ctx)
    request = leg.request
    outbox.enqueue(
        ctx.session,
        Outgoing(
            kind=OutboxKind.SMS,
            purpose=OutboxPurpose.REPLY,
            recipient=ctx.caller or "",
            template="sms.facilitator.call_missed",
            language=leg.language,
            params={"code": request.code},
            due_at=ctx.now,
            facilitator_id=request.claimed_by_id,
            callback_id=request.id,
            dedupe_key=f"cb:{request.id}:missed:{ctx.call_sid}",
        ),
    )
    leg.response.hangup()
    return leg.response


# --- the member's leg --------------------------------------------------------------------------


def member_leg(ctx: CallContext, callback_id: int, base: str) -> Leg | None:
    request = ctx.session.get(CallbackRequest, callback_id)
    if request is None or request.status not in HELD or request.member.phone != ctx.caller:
        return None
    language = request.language if ctx.catalog.has(request.language) else "en"
    return Leg(ctx, request, language, base)


def screen(ctx: CallContext, callback_id: int, base: str) -> VoiceResponse:
    """Only a 1 connects. Anything else, a person who says nothing or a machine: the neutral
    voicemail if the member allowed one, then hang up (the line speaks, never the facilitator)."""
    leg = member_leg(ctx, callback_id, base)
    if leg is None:
        return _neutral_goodbye(ctx, callback_id)
    leg.ask_for_one("screen", "/screen/answer")
    if leg.request.voicemail_ok:
        leg.say("voicemail")
    leg.response.hangup()
    return leg.response


def _neutral_goodbye(ctx: CallContext, callback_id: int) -> VoiceResponse:
    """The request was closed or released while the member's phone rang: whoever answered
    hears who called and the line's number (never silence, never the group), then goodbye."""
    request = ctx.session.get(CallbackRequest, callback_id)
    language = request.language if request is not None else "en"
    language = language if ctx.catalog.has(language) else "en"
    response = VoiceResponse()
    text = ctx.catalog.render(
        language,
        "voice.callback_call.voicemail",
        line_name=ctx.config.line_name,
        line_number=speaking.phone(ctx.config.phone_number),
    )
    say(response, Spoken(text, ctx.catalog.meta[language]))
    response.hangup()
    return response


def screen_answer(
    ctx: CallContext, form: Mapping[str, str], callback_id: int, base: str
) -> VoiceResponse:
    leg = member_leg(ctx, callback_id, base)
    if leg is None:
        response = VoiceResponse()
        response.hangup()
        return response
    if not pressed_one(form):
        return screen(ctx, callback_id, base)
    callbacks.connected(leg.request, ctx.now)
    leg.say("connecting")  # the document ends without hanging up: Twilio bridges the legs
    return leg.response
