"""Answering-machine detection's verdict on a reminder or notice call (SPEC §9), acted on by a
job so the webhook view never calls Twilio: a member who allowed voicemail gets the neutral
voicemail, anyone else (and any fax) a hang-up; a callee who already answered the menu is a
person and keeps the call. The job takes the outbox id, the CallSid and the verdict (no number).
``app/services/answering_machines.py`` has the reasons."""

from __future__ import annotations

import logging

from app.extensions import phoneline
from app.gateway import Gateway, GatewayError
from app.models import Member, OutboxItem
from app.services import answering_machines

log = logging.getLogger(__name__)

VOICEMAIL_PATH = "/twilio/voice/outbound/voicemail?o={id}"


def on_machine(outbox_id: int, call_sid: str, verdict: str = "machine_end_beep") -> None:
    ext = phoneline()
    if answering_machines.heard_a_person(ext.redis, call_sid):
        log.info("outbox=%s verdict=%s but a person answered: call kept", outbox_id, verdict)
        return
    with ext.db.session() as session:
        item = session.get(OutboxItem, outbox_id)
        if item is None or item.twilio_sid not in (None, call_sid):
            return  # not this row's call: a stale or forged callback changes nothing
        member = session.get(Member, item.member_id) if item.member_id is not None else None
        leave_message = verdict != answering_machines.FAX and bool(member and member.voicemail_ok)
    voicemail = ext.config.public_base_url + VOICEMAIL_PATH.format(id=outbox_id)
    _move_or_end(ext.gateway, outbox_id, call_sid, voicemail if leave_message else None)


def _move_or_end(
    gateway: Gateway | None, outbox_id: int, call_sid: str, voicemail: str | None
) -> None:
    assert gateway is not None
    try:
        if voicemail is not None:
            gateway.redirect_call(call_sid, voicemail)
        else:
            gateway.hang_up(call_sid)
    except GatewayError as error:
        if not error.permanent:
            raise  # RQ retries a transient failure
        # The call already ended (21220: the machine, or the message, hung up first, or the
        # verdict came late): nothing is left to move or stop, and the row keeps its outcome.
        log.info("outbox=%s machine call gone code=%s", outbox_id, error.code)
        return
    log.info("outbox=%s machine voicemail=%s", outbox_id, voicemail is not None)
