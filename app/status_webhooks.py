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
from app.services import answering_machines, callbacks, delivery
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


@blueprint.post("/amd")
def amd_status() -> Response:
    """Asynchronous answering-machine detection on a reminder or notice call (SPEC §9): a
    machine's call is moved to the neutral voicemail or hung up, a fax's hung up, by a job on
    the replies queue (the view never calls Twilio). ``answering_machines`` says why."""
    require_params("CallSid", "AnsweredBy")
    outbox_id, call_sid = _outbox_id(), request.form["CallSid"]
    verdict = request.form["AnsweredBy"]
    if answering_machines.not_a_person(verdict) and not _person_answered(call_sid):
        if verdict == answering_machines.FAX:
            with db().session() as session:
                answering_machines.fax_answered(session, outbox_id, call_sid)
        _act_on_machine(outbox_id, call_sid, verdict)
    log.info("amd outbox=%s verdict=%s", outbox_id, verdict)
    return Response(status=204)


def _person_answered(call_sid: str) -> bool:
    try:
        return answering_machines.heard_a_person(phoneline().redis, call_sid)
    except redis.RedisError:
        return False  # unknown: the job, if it can be queued at all, looks again


def _act_on_machine(outbox_id: int, call_sid: str, verdict: str) -> None:
    try:
        phoneline().queues["replies"].enqueue(
            "workers.reminder_calls.on_machine",
            outbox_id,
            call_sid,
            verdict,
            job_id=f"amd-{outbox_id}",
            result_ttl=0,
            retry=Retry(max=2, interval=1),
        )
    except redis.RedisError as error:
        # Nothing can act on the verdict now: the neutral reminder (alias only) plays on
        # to the machine and ends with the line's number. Still answer Twilio.
        log.warning("amd outbox=%s verdict lost (%s)", outbox_id, type(error).__name__)
