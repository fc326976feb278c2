"""The SMS webhook (SPEC §8): signature (the blueprint's gate) → ``MessageSid`` idempotency
(the inbound record, then the tombstone that outlives it: app/services/tombstones.py) → the
handler. Thin: parse, claim, handle, store the reply, render.

Replies are the webhook's TwiML, not outbox rows: they are answers to the member's own text,
which Twilio delivers at once. Any failure still answers a safe reply and logs no content.

A sender the line may not text (outside DEFAULT_REGION and its territories, premium-rate,
shared-cost, a short code: ``phones.dialable``) gets an empty ``<Response/>``: no member row, no
reply, nothing stored. Every reply is a paid outbound text, and answering such numbers is how SMS
pumping turns a line into a revenue stream for whoever rents them (security review H1).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from app import crisis
from app.db import utcnow
from app.extensions import config, db, prompts
from app.phones import caller_number, dialable
from app.services import inbound, tombstones
from app.webhooks import require_params, require_twilio_signature
from sms.handler import handle
from sms.turn import Inbound

log = logging.getLogger(__name__)

blueprint = Blueprint("sms", __name__, url_prefix="/twilio/sms")
require_twilio_signature(blueprint)


def render(replies: list[str]) -> str:
    response = MessagingResponse()
    for reply in replies:
        response.message(reply)
    return str(response)


@blueprint.post("")
def incoming_message() -> Response:
    require_params("MessageSid", "From", "To")
    message = _parse()
    if message is None:
        log.info("sms from a sender the line does not serve sid=%s", request.form["MessageSid"])
        return _twiml(render([]))
    try:
        reply = _answer(message)
    except Exception as error:  # noqa: BLE001 - the webhook always answers (STYLE 7)
        log.error("sms handling failed sid=%s error=%s", message.message_sid, type(error).__name__)
        reply = render([_failed_reply(message)])
    return _twiml(reply)


def _failed_reply(message: Inbound) -> str:
    """What a text gets when handling it failed (the database is down): a crisis text still
    gets crisis words in the same turn (SPEC §6), from the matcher, which needs nothing but the
    text; anything else a short apology with the crisis footer."""
    found = crisis.match(message.body)
    if found is None:
        return prompts().render("en", "sms.error", crisis_footer=_footer())
    return prompts().render(found.language, "sms.crisis_down")


def _answer(message: Inbound) -> str:
    settings = config()
    sid, secret = message.message_sid, settings.secret_key
    with db().session() as session:
        earlier = inbound.recorded_reply(session, sid)
        now = utcnow()
        if earlier is None and tombstones.seen_on(session, sid, secret) is not None:
            # Handled once, and its record has gone since (erasure, retention): a replay, as
            # Twilio itself never retries that late. It must not re-create a forgotten member.
            log.info("sms replay of a forgotten message ignored sid=%s", sid)
            return render([])
        if earlier is None and inbound.claim(session, sid, message.sender, secret, now):
            tombstones.record(session, tombstones.SMS, sid, secret, now)
            reply = render(handle(session, message, settings, prompts(), now))
            inbound.store_reply(session, sid, reply)
            return reply
        log.info("sms retry answered from record sid=%s", message.message_sid)
        # A concurrent duplicate lost the insert after the winner committed: read its reply.
        return (
            earlier
            if earlier is not None
            else inbound.recorded_reply(session, message.message_sid) or render([])
        )


def _parse() -> Inbound | None:
    form = request.form
    region = config().default_region
    sender = caller_number(form["From"], region)
    if sender is None or not dialable(sender, region):
        return None
    return Inbound(
        message_sid=form["MessageSid"],
        sender=sender,
        body=form.get("Body", ""),
        opt_out_type=form.get("OptOutType") or None,
        media=_int(form.get("NumMedia")),
    )


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _footer() -> str:
    return prompts().render("en", "sms.crisis_footer")


def _twiml(document: str) -> Response:
    return Response(document, mimetype="text/xml")
