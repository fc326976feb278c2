"""Dispatch of outbox rows (SPEC §9): claim, render, throttle, send, record.

A job carries only row ids. Each row is claimed with one conditional UPDATE (committed before
the API call, so a worker that dies mid-request leaves a ``sending`` row whose lease expires
into ``unknown``), its body rendered and stored for reconciliation, a slot booked on the shared
limiter, and the send made through the gateway. Up to ``SEND_CONCURRENCY`` rows of a job are in
flight at once, each in its own thread with its own database session.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import segments
from app.db import utcnow
from app.extensions import Phoneline, phoneline
from app.gateway import GatewayError
from app.models import OutboxItem, OutboxKind, OutboxPurpose
from app.phones import dialable
from app.services import delivery, notices, optouts, outbox, quiet_hours, reminders, verification
from workers.limiter import SendLimiter

log = logging.getLogger(__name__)

# Replies may book the shared timeline this far ahead; bulk only this much, so a reply arriving
# during a broadcast waits behind at most a second of bulk, not the whole booked backlog.
REPLY_HORIZON = 30.0
BULK_HORIZON = 1.0
BULK_PURPOSES = frozenset({OutboxPurpose.BROADCAST, OutboxPurpose.REMINDER, OutboxPurpose.NOTICE})
# Slots are spaced at the sender; requests reach Twilio with jitter (thread scheduling, the
# network), which can bunch slots into one second at Twilio's end. The jitter is absolute time,
# so the headroom must cover it at any cap: at 90% a reminder run at 100/s (each send doing its
# send-time checks in sibling threads) was measured at 102 in its worst second at the simulator.
# Booking 80% leaves 250 ms of jitter before Twilio could count more than the cap.
HEADROOM = 0.8
# A paused broadcast's rows wait, and look again this often, until a coordinator resumes it.
PAUSED_RECHECK = timedelta(minutes=15)
# Give the row back rather than hold its claim while the limiter stays full this long.
MAX_LIMITER_WAIT = 60.0
# How late a send may still use its slot; later, it books a new one (see _wait_for_slot).
LATE_FOR_SLOT = 0.05


@dataclass(frozen=True)
class Claimed:
    """What a thread needs outside the database session to make the request."""

    id: int
    kind: OutboxKind
    purpose: OutboxPurpose
    recipient: str
    body: str
    segments: int


def send_batch(ids: list[int]) -> None:
    """The RQ job: send these rows, ``SEND_CONCURRENCY`` at a time."""
    ext = phoneline()
    _warm(ext)
    with ThreadPoolExecutor(max_workers=ext.config.send_concurrency) as pool:
        for _ in pool.map(lambda item_id: send_one(ext, item_id), ids):
            pass


def _warm(ext: Phoneline) -> None:
    """twilio-python imports its API modules on first use, under the import lock: the first
    send of a fresh worker would stall its siblings and then let them go in a bunch, bunching
    requests at Twilio beyond what the limiter spaced out. Load them before the first slot."""
    assert ext.gateway is not None
    _ = ext.gateway.client.messages, ext.gateway.client.calls


def send_one(ext: Phoneline, item_id: int) -> None:
    claimed = _claim(ext, item_id)
    if claimed is None:
        return
    if not _wait_for_slot(ext, claimed):
        with ext.db.session() as session:
            outbox.postpone(session, claimed.id, utcnow())
        return
    try:
        sid = _request(ext, claimed)
    except GatewayError as error:
        with ext.db.session() as session:
            record_error(session, claimed.id, error)
        log.info("outbox=%s error code=%s status=%s", claimed.id, error.code, error.status)
        return
    with ext.db.session() as session:
        outbox.record_sent(session, claimed.id, sid, claimed.segments, utcnow())


def _claim(ext: Phoneline, item_id: int) -> Claimed | None:
    now = utcnow()
    with ext.db.session() as session:
        item = outbox.claim(session, item_id, now)
        if item is None:
            return None
        if not dialable(item.recipient, ext.config.default_region):
            # Whatever queued it (an old member row, a directory entry, a bug): the line never
            # texts or calls a premium, short-code or out-of-region number (SPEC §6, review H1).
            outbox.record_skipped(session, item.id, now)
            log.warning("outbox=%s skipped: recipient not dialable", item.id)
            return None
        if item.purpose is OutboxPurpose.REMINDER and not _reminder_ready(ext, session, item, now):
            return None
        if not may_send(ext, session, item):
            outbox.record_skipped(session, item.id, now)
            return None
        if delivery.is_paused(session, item.broadcast_id):
            outbox.postpone(session, item.id, now + PAUSED_RECHECK)
            return None
        later = not_before(ext, session, item, now)
        if later > now:
            if reminders.dropped_by_quiet_hours(session, item, later):
                outbox.record_skipped(session, item.id, now)
            else:
                outbox.postpone(session, item.id, later)
            return None
        if item.purpose is OutboxPurpose.NOTICE:
            notices.fill(session, item, ext.prompts)
        code = None
        if item.kind is OutboxKind.SMS and item.template in verification.CODE_TEMPLATES:
            code = verification.live_code(ext.redis, item.recipient, ext.config.secret_key)
            if code is None:  # it expired (or Redis lost it) before it could go: asked again
                outbox.record_skipped(session, item.id, now)
                return None
        body = render(ext, item, code) if item.kind is OutboxKind.SMS else call_path(item)
        if item.purpose is OutboxPurpose.NOTICE and body is not None:
            body = notices.with_consent_wording(session, item, ext.prompts, body)
        if body is None:  # a call purpose with no voice flow: visible as failed, never dropped
            outbox.record_failed(session, item.id, None, now)
            log.warning("outbox=%s no call flow for purpose=%s", item.id, item.purpose.value)
            return None
        # A code is sent, never stored: the row keeps the text with the code hidden (review L7).
        item.body = body if code is None else verification.hide_code(body)
        item.segments = segments.count(body).count if item.kind is OutboxKind.SMS else 1
        return Claimed(item.id, item.kind, item.purpose, item.recipient, body, item.segments)


def _reminder_ready(ext: Phoneline, session: Session, item: OutboxItem, now: datetime) -> bool:
    """The reminder checks made at send time (``reminders.prepare``): skipped or spaced out
    rows are settled here; a row that may go is fitted to the member's channel."""
    per_meeting = optouts.texts_per_meeting(ext.config)
    wording = reminders.Wording(ext.prompts, ext.config.secret_key, per_meeting)
    decision = reminders.prepare(session, item, wording, now)
    if decision.later is not None:
        outbox.postpone(session, item.id, decision.later)
    elif decision.skip:
        outbox.record_skipped(session, item.id, now)
    return decision.send


def may_send(ext: Phoneline, session: Session, item: OutboxItem) -> bool:
    """Consent for the purpose and a number that takes texts (issue 6's check), decided at send
    time so a STOP between planning and sending holds; and no text to a paused member."""
    if not outbox.may_send(session, item, ext.config.secret_key):
        return False
    return not (item.kind is OutboxKind.SMS and delivery.sms_paused(session, item))


def not_before(ext: Phoneline, session: Session, item: OutboxItem, now: datetime) -> datetime:
    """Quiet hours in the recipient's zone (SPEC §9); replies, crisis texts, urgent alerts and a
    callback asked for just now are not automated and go at once."""
    if item.purpose in outbox.NOT_AUTOMATED:
        return now
    zone = outbox.zone_of(session, item, ext.config.line_timezone)
    later = quiet_hours.next_allowed(now, zone, ext.config.quiet_hours)
    if later > now and item.purpose is OutboxPurpose.NOTICE:
        return notices.late_notice_time(session, item, zone, ext.config.quiet_hours, now, later)
    return later


def render(ext: Phoneline, item: OutboxItem, code: str | None = None) -> str:
    params = {"line_name": ext.config.line_name, **item.params}
    if code is not None:
        params["code"] = code
    return ext.prompts.render(item.language, item.template, **params)


def _wait_for_slot(ext: Phoneline, claimed: Claimed) -> bool:
    limiter = limiter_for(ext, claimed.kind)
    horizon = BULK_HORIZON if claimed.purpose in BULK_PURPOSES else REPLY_HORIZON
    deadline = time.monotonic() + MAX_LIMITER_WAIT
    while time.monotonic() < deadline:
        reservation = limiter.reserve(claimed.segments, horizon=horizon)
        if reservation.granted:
            slot = time.monotonic() + reservation.wait
            time.sleep(reservation.wait)
            if time.monotonic() - slot <= LATE_FOR_SLOT:
                return True
            # Woken late (a busy machine): sending now would land beside the next slots' sends
            # and go over the cap at Twilio. The missed slot stays empty; book another.
            continue
        time.sleep(min(max(reservation.retry_after, 0.02), 1.0))
    return False


def limiter_for(ext: Phoneline, kind: OutboxKind) -> SendLimiter:
    if kind is OutboxKind.SMS:
        return SendLimiter(ext.redis, "sms", ext.config.sms_max_per_second * HEADROOM)
    return SendLimiter(ext.redis, "calls", ext.config.calls_max_per_second * HEADROOM)


def _request(ext: Phoneline, claimed: Claimed) -> str:
    assert ext.gateway is not None
    base = ext.config.public_base_url
    if claimed.kind is OutboxKind.SMS:
        callback = f"{base}/twilio/status/message?o={claimed.id}"
        return ext.gateway.send_sms(claimed.recipient, claimed.body, callback).sid
    # Reminder and notice calls run answering-machine detection in the background: the message
    # starts at once, and a machine's verdict moves the call to the neutral voicemail (if the
    # member allowed one) or hangs it up (SPEC §9).
    amd = f"{base}/twilio/status/amd?o={claimed.id}"
    return ext.gateway.start_call(
        claimed.recipient,
        base + claimed.body,
        status_callback=f"{base}/twilio/status/call?o={claimed.id}",
        async_amd_callback=amd if claimed.purpose in ANSWERING_MACHINE_CHECKED else None,
    ).sid


# A code or meetings call (a reply) too: an answering machine gets the neutral voicemail or a
# hang-up, never a code or group names.
ANSWERING_MACHINE_CHECKED = frozenset(
    {OutboxPurpose.REMINDER, OutboxPurpose.NOTICE, OutboxPurpose.REPLY}
)

# The voice flow an outbound call of each purpose opens with (call_flows/ serves them). For a
# call row the "body" is this path with its query: stored like a text's body, it is what
# reconciliation and the delivery report see.
CALL_PATHS = {
    OutboxPurpose.REMINDER: "/twilio/voice/outbound/reminder?r={rsvp}&o={id}",
    OutboxPurpose.CALLBACK: "/twilio/voice/outbound/callback?c={callback}&o={id}",
    OutboxPurpose.NOTICE: "/twilio/voice/outbound/notice?o={id}",
    OutboxPurpose.REPLY: "/twilio/voice/outbound/reply?o={id}",
}


def call_path(item: OutboxItem) -> str | None:
    pattern = CALL_PATHS.get(item.purpose)
    if pattern is None:
        return None
    return pattern.format(rsvp=item.rsvp_id or 0, callback=item.callback_id or 0, id=item.id)


def record_error(session: Session, item_id: int, error: GatewayError) -> None:
    """SPEC §9 errors: permanent ones end the row (and may mark the number), a request Twilio
    may have acted on becomes unknown, the rest retry with backoff."""
    now = utcnow()
    if error.permanent:
        outbox.record_failed(session, item_id, error.code, now)
        delivery.mark_recipient(session, item_id, error.code)
        delivery.after_final(session, item_id, now)
    elif error.maybe_sent:
        outbox.record_unknown(session, item_id, now)
    else:
        outbox.record_retry(session, item_id, now, error.code)
