"""The SMS webhook: a thin view over the SMS handler (SPEC §8)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from app.extensions import config, db, prompts
from app.services import inbound
from app.webhooks import require_params, require_twilio_signature

log = logging.getLogger(__name__)

blueprint = Blueprint("sms", __name__, url_prefix="/twilio/sms")
require_twilio_signature(blueprint)


def _twiml(body: str | None) -> str:
    response = MessagingResponse()
    if body:
        response.message(body)
    return str(response)


@blueprint.post("")
def incoming_message() -> Response:
    require_params("MessageSid", "From", "To")
    settings = config()
    message_sid = request.form["MessageSid"]
    with db().session() as session:
        earlier = inbound.recorded_reply(session, message_sid)
        if earlier is not None:
            return Response(earlier, mimetype="text/xml")
        catalog = prompts()
        welcome = catalog.render(
            "en",
            "sms.welcome",
            line_name=settings.line_name,
            crisis_footer=catalog.render("en", "sms.crisis_footer"),
        )
        reply = _twiml(welcome)
        inbound.record(session, message_sid, request.form["From"], reply, settings.secret_key)
    return Response(reply, mimetype="text/xml")
