"""The answering-machine verdict on a reminder call (SPEC §9), acted on by a job so the webhook
view never calls Twilio: a member who allowed voicemail gets the neutral voicemail, anyone else
a hang-up. The job takes the outbox id and the CallSid (ids, no number)."""

from __future__ import annotations

import logging

from app.extensions import phoneline
from app.gateway import GatewayError
from app.models import Member, OutboxItem

log = logging.getLogger(__name__)

VOICEMAIL_PATH = "/twilio/voice/outbound/voicemail?o={id}"


def on_machine(outbox_id: int, call_sid: str) -> None:
    ext = phoneline()
    with ext.db.session() as session:
        item = session.get(OutboxItem, outbox_id)
        if item is None or item.twilio_sid not in (None, call_sid):
            return  # not this row's call: a stale or forged callback changes nothing
        member = session.get(Member, item.member_id) if item.member_id is not None else None
        leave_message = member is not None and member.voicemail_ok
    assert ext.gateway is not None
    try:
        if leave_message:
            url = ext.config.public_base_url + VOICEMAIL_PATH.format(id=outbox_id)
            ext.gateway.redirect_call(call_sid, url)
        else:
            ext.gateway.hang_up(call_sid)
    except GatewayError as error:
        if not error.permanent:
            raise  # RQ retries a transient failure
        # The call already ended (the machine hung up first): nothing left to stop.
        log.info("outbox=%s machine call gone code=%s", outbox_id, error.code)
    log.info("outbox=%s machine voicemail=%s", outbox_id, leave_message)
