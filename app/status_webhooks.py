"""Twilio's status callbacks for what the outbox sent: ``/twilio/status/message?o=<id>`` and
``/twilio/status/call?o=<id>`` (SPEC §9), and for a caller's message to a facilitator:
``/twilio/status/recording`` (SPEC §10). Signed like every ``/twilio/*`` route."""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Response, abort, request
from rq import Retry

from app.db import utcnow
from app.extensions import db, phoneline
from app.models import OutboxStatus
from app.services import callbacks, delivery
from app.webhooks import require_params, require_twilio_signature, row_id

log = logging.getLogger(__name__)

blueprint = Blueprint("status", __name__, url_prefix="/twilio/status")
require_twilio_signature(blueprint)


def _outbox_id() -> int:
    value = row_id("o")
    if value is None:
        abort(400)
    return value


def _record(sid_field: str, status_field: str, table: dict[str, OutboxStatus]) -> Response:
    require_params(sid_field, status_field)
    status = table.get(request.form[status_field])
    if status is None:
        # A status Twilio added after this was written: nothing to record, nothing wrong.
        return Response(status=204)
    report = delivery.StatusReport(
        outbox_id=_outbox_id(),
        sid=request.form[sid_field],
        status=status,
        error_code=delivery.parse_error_code(request.form.get("ErrorCode")),
    )
    with db().session() as session:
        changed = delivery.apply(session, report)
    log.info("status outbox=%s status=%s changed=%s", report.outbox_id, status.value, changed)
    return Response(status=204)


@blueprint.post("/message")
def message_status() -> Response:
    return _record("MessageSid", "MessageStatus", delivery.MESSAGE_STATUS)


@blueprint.post("/call")
def call_status() -> Response:
    return _record("CallSid", "CallStatus", delivery.CALL_STATUS)


@blueprint.post("/recording")
def recording_status() -> Response:
    """A recording finished (or failed) at Twilio. The fetch itself is the sweep's work (the
    gateway is never called from a view); this only says it is ready now."""
    require_params("RecordingSid", "RecordingStatus")
    if request.form["RecordingStatus"] != "completed":
        return Response(status=204)
    with db().session() as session:
        found = callbacks.recording_arrived(session, request.form["RecordingSid"], utcnow())
    log.info("recording status ready found=%s", found)
    return Response(status=204)


# AnsweredBy values that mean a person did not pick up (Twilio's async AMD verdicts).
MACHINE_VERDICTS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)


@blueprint.post("/amd")
def amd_status() -> Response:
    """Asynchronous answering-machine detection on a reminder call (SPEC §9): a machine's call
    is moved to the neutral voicemail or hung up by a job on the replies queue (the view never
    calls Twilio). A person's verdict needs nothing: the reminder is already playing."""
    require_params("CallSid", "AnsweredBy")
    outbox_id = _outbox_id()
    verdict = request.form["AnsweredBy"]
    if verdict in MACHINE_VERDICTS:
        try:
            phoneline().queues["replies"].enqueue(
                "workers.reminder_calls.on_machine",
                outbox_id,
                request.form["CallSid"],
                job_id=f"amd-{outbox_id}",
                result_ttl=0,
                retry=Retry(max=2, interval=1),
            )
        except redis.RedisError as error:
            # Nothing can act on the verdict now: the neutral reminder (alias only) plays on
            # to the machine and ends with the line's number. Still answer Twilio.
            log.warning("amd outbox=%s verdict lost (%s)", outbox_id, type(error).__name__)
    log.info("amd outbox=%s verdict=%s", outbox_id, verdict)
    return Response(status=204)
