"""Callback requests and their codes (SPEC §10): open → claimed → called → done, or expired;
a release gives a claimed request back (``released_at``) and it is open again for others, so the
member is still called. Every transition is timed on the row and made with a conditional
update, so two facilitators claiming at once cannot both win.

No facilitator can make a request go away without calling (security review M4): a facilitator
sees and takes only the requests of their groups, their languages and those they were alerted
about; ``DONE`` needs a call placed through the line, and for an urgent request a call the member
answered; an urgent request held for ``CALLBACK_ESCALATE_URGENT`` without the member being
reached goes to coordinators."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Config
from app.db import utcnow
from app.models import (
    OPEN_CALLBACK_STATES,
    CallbackRequest,
    CallbackStatus,
    Facilitator,
    GroupFacilitator,
    Member,
    OutboxItem,
)
from app.prompts import Catalog
from app.services import callback_alerts, recordings

CODE_LIFETIME = timedelta(days=7)
# The source of a voice request whose number the caller keyed in (caller ID withheld): a number
# nobody has shown to be theirs, which the line calls only so often (security review L12).
KEYED = "keyed"
HELD = (CallbackStatus.CLAIMED, CallbackStatus.CALLED)
# Staff hear that the member of an urgent request keeps writing at most once per window, with
# the count, however many texts came in it (security review M5).
CRISIS_ALERT_WINDOW = timedelta(minutes=10)
_CODE_ATTEMPTS = 20


class CodeSpaceExhausted(RuntimeError):
    pass


@dataclass(frozen=True)
class NewRequest:
    member: Member
    language: str
    source: str  # voice | keyed (voice, to a number keyed in) | sms | crisis | console
    urgent: bool = False
    note: str | None = None
    voicemail_ok: bool = False
    group_id: int | None = None
    recording_sid: str | None = None
    crisis_texts: int = 0  # 1 when a crisis text opens it


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def open_request(
    session: Session, request: NewRequest, escalate_after: timedelta, now: datetime | None = None
) -> CallbackRequest:
    """Create a request with a 6-digit code unique among open requests. The partial unique
    index is the arbiter: a colliding code fails its savepoint and another is drawn."""
    now = now or utcnow()
    for _ in range(_CODE_ATTEMPTS):
        row = CallbackRequest(
            code=new_code(),
            member_id=request.member.id,
            group_id=request.group_id,
            language=request.language,
            urgent=request.urgent,
            source=request.source,
            note=request.note,
            voicemail_ok=request.voicemail_ok,
            recording_sid=request.recording_sid,
            recording_fetch_at=now if request.recording_sid else None,
            crisis_texts=request.crisis_texts,
            status=CallbackStatus.OPEN,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            next_escalation_at=now + escalate_after,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        return row
    raise CodeSpaceExhausted("no free callback code after several draws")


def escalate_after(config: Config, urgent: bool) -> timedelta:
    return (config.callback_escalate_urgent if urgent else config.callback_escalate).elapsed


def file_request(
    session: Session, request: NewRequest, config: Config, catalog: Catalog, now: datetime
) -> CallbackRequest:
    """Open a request and tell the people who should know, in the same transaction."""
    row = open_request(session, request, escalate_after(config, request.urgent), now)
    session.flush()
    callback_alerts.first_alert(session, catalog, row, now, "open")
    return row


def open_by_code(session: Session, code: str) -> CallbackRequest | None:
    return session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.code == code, CallbackRequest.status.in_(OPEN_CALLBACK_STATES)
        )
    )


def recent_urgent(
    session: Session, member_id: int, since: datetime, *, lock: bool = False
) -> CallbackRequest | None:
    """An urgent request opened for this member since ``since`` that later crisis matches join;
    ``lock`` it to count a match on it while the sweep may be alerting about it."""
    query = (
        select(CallbackRequest)
        .where(
            CallbackRequest.member_id == member_id,
            CallbackRequest.urgent.is_(True),
            CallbackRequest.created_at >= since,
            CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
        )
        .order_by(CallbackRequest.id.desc())
        .limit(1)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def join_crisis_text(
    session: Session, request: CallbackRequest, catalog: Catalog, now: datetime
) -> None:
    """One more crisis text from the member of this open urgent request: counted, and staff are
    told, with the count, once the window since they were last told is over: now, or by the
    sweep when it ends (one alert for however many texts came meanwhile)."""
    request.crisis_texts += 1
    if request.crisis_alert_at is not None:
        return  # an alert is already waiting; it will carry the count of its own moment
    due = (request.crisis_told_at or request.created_at) + CRISIS_ALERT_WINDOW
    if due <= now:
        callback_alerts.written_again(session, catalog, request, now)
    else:
        request.crisis_alert_at = due


def alert_crisis_texts_due(session: Session, catalog: Catalog, now: datetime) -> int:
    """The "written again" alerts whose window is over (``ix_callback_crisis_alert``)."""
    rows = session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.crisis_alert_at <= now)
        .order_by(CallbackRequest.crisis_alert_at)
        .limit(200)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if row.status in OPEN_CALLBACK_STATES:
            callback_alerts.written_again(session, catalog, row, now)
        else:
            row.crisis_alert_at = None  # closed meanwhile: someone has called them
    return len(rows)


def expire_overdue(
    session: Session, now: datetime | None = None, retention: timedelta = timedelta(days=7)
) -> int:
    """Close requests whose code has outlived its 7 days; returns how many. Their recordings
    go ``retention`` later."""
    now = now or utcnow()
    result = session.execute(
        update(CallbackRequest)
        .where(
            CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
            CallbackRequest.expires_at <= now,
        )
        .values(
            status=CallbackStatus.EXPIRED,
            expired_at=now,
            next_escalation_at=None,
            recording_purge_at=now + retention,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _escalation_due(
    session: Session, statuses: tuple[CallbackStatus, ...], now: datetime
) -> list[CallbackRequest]:
    """Requests in these states whose escalation clock ran out, oldest first, locked so that
    two sweeps never alert twice."""
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(
                CallbackRequest.status.in_(statuses),
                CallbackRequest.next_escalation_at <= now,
            )
            .order_by(CallbackRequest.next_escalation_at)
            .limit(200)
            .with_for_update(skip_locked=True)
        )
    )


def escalate_due(session: Session, config: Config, catalog: Catalog, now: datetime) -> int:
    """Open requests nobody claimed in time go one step up (``ix_callback_escalation``); urgent
    ones held that long without the member being reached go to coordinators."""
    rows = _escalation_due(session, (CallbackStatus.OPEN,), now)
    for row in rows:
        callback_alerts.escalate(session, catalog, row, now)
        if row.next_escalation_at is not None:
            row.next_escalation_at = now + escalate_after(config, row.urgent)
    return len(rows) + _escalate_held_unreached(session, catalog, now)


def _escalate_held_unreached(session: Session, catalog: Catalog, now: datetime) -> int:
    rows = _escalation_due(session, HELD, now)
    for row in rows:
        callback_alerts.tell_unreached(session, catalog, row, now)
        row.next_escalation_at = None  # once per claim: the console shows it from then on
    return len(rows)


# --- what facilitators do (SPEC §8, §10) --------------------------------------------------------


def claim(
    session: Session,
    request: CallbackRequest,
    facilitator: Facilitator,
    now: datetime,
    config: Config,
) -> bool:
    """True when this facilitator got it; False when someone else was first. An urgent one
    goes to coordinators if its member is not reached within ``CALLBACK_ESCALATE_URGENT``: a
    claim cannot silence a crisis callback."""
    unreached = now + escalate_after(config, urgent=True) if request.urgent else None
    return _move(
        session,
        request,
        (CallbackStatus.OPEN,),
        status=CallbackStatus.CLAIMED,
        claimed_by_id=facilitator.id,
        claimed_at=now,
        next_escalation_at=unreached,
    )


def in_reach_of(facilitator: Facilitator) -> ColumnElement[bool]:
    """The requests a facilitator may list and claim by text: those of their groups, in their
    languages, alerted to them (which, as a request escalates, grows to everyone on call), and
    their own."""
    alerted = select(OutboxItem.callback_id).where(
        OutboxItem.facilitator_id == facilitator.id,
        OutboxItem.template.in_(callback_alerts.ALERT_TEMPLATES),
    )
    groups = select(GroupFacilitator.group_id).where(
        GroupFacilitator.facilitator_id == facilitator.id
    )
    return or_(
        CallbackRequest.id.in_(alerted),
        CallbackRequest.group_id.in_(groups),
        CallbackRequest.language.in_(list(facilitator.languages or [])),
        CallbackRequest.claimed_by_id == facilitator.id,
    )


def may_take(session: Session, request: CallbackRequest, facilitator: Facilitator) -> bool:
    found = session.scalar(
        select(CallbackRequest.id).where(CallbackRequest.id == request.id, in_reach_of(facilitator))
    )
    return found is not None


def closing_refused(request: CallbackRequest) -> str | None:
    """Why the holder may not close it yet: ``not_called`` until the line has placed their
    call, ``not_reached`` for an urgent request until the member has answered one."""
    if request.status is not CallbackStatus.CALLED:
        return "not_called"
    if request.urgent and request.connected_at is None:
        return "not_reached"
    return None


def start_call(session: Session, request: CallbackRequest, now: datetime) -> bool:
    """The facilitator pressed 1: the line is dialling the member."""
    return _move(
        session,
        request,
        (CallbackStatus.CLAIMED, CallbackStatus.CALLED),
        status=CallbackStatus.CALLED,
        called_at=now,
    )


def connected(request: CallbackRequest, now: datetime) -> None:
    """The member pressed 1 on the screen: reached, so nobody need be told otherwise."""
    request.connected_at = now
    request.next_escalation_at = None


def answered_last_call(request: CallbackRequest) -> bool:
    return (
        request.connected_at is not None
        and request.called_at is not None
        and request.connected_at >= request.called_at
    )


def finish(session: Session, request: CallbackRequest, config: Config, now: datetime) -> bool:
    """Closed by its holder, only when ``closing_refused`` has nothing to say."""
    if closing_refused(request) is not None:
        return False
    return _move(
        session,
        request,
        (CallbackStatus.CALLED,),
        status=CallbackStatus.DONE,
        done_at=now,
        next_escalation_at=None,
        recording_purge_at=_purge_at(request, config, now),
    )


def release(
    session: Session, request: CallbackRequest, config: Config, catalog: Catalog, now: datetime
) -> bool:
    """Back to open for the others, told again; the escalation clock starts over."""
    holder = request.claimed_by_id
    won = _move(
        session,
        request,
        (CallbackStatus.CLAIMED, CallbackStatus.CALLED),
        status=CallbackStatus.OPEN,
        claimed_by_id=None,
        released_at=now,
        escalation_level=callback_alerts.LANGUAGE,
        next_escalation_at=now + escalate_after(config, request.urgent),
    )
    if won:
        round_ = f"r{int(now.timestamp())}"
        callback_alerts.first_alert(session, catalog, request, now, round_, exclude=holder)
    return won


def holds(request: CallbackRequest, facilitator: Facilitator) -> bool:
    return request.status in (CallbackStatus.CLAIMED, CallbackStatus.CALLED) and (
        request.claimed_by_id == facilitator.id
    )


def _move(
    session: Session,
    request: CallbackRequest,
    from_states: tuple[CallbackStatus, ...],
    **values: object,
) -> bool:
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request.id, CallbackRequest.status.in_(from_states))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return bool(getattr(result, "rowcount", 0))


def _purge_at(request: CallbackRequest, config: Config, now: datetime) -> datetime | None:
    return now + config.retention_recordings.elapsed if request.recording_sid else None


def open_requests(
    session: Session, now: datetime, facilitator: Facilitator, limit: int = 100
) -> list[CallbackRequest]:
    """Unclaimed requests within this facilitator's reach, urgent first, then oldest."""
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(
                CallbackRequest.status == CallbackStatus.OPEN,
                CallbackRequest.expires_at > now,
                in_reach_of(facilitator),
            )
            .order_by(CallbackRequest.urgent.desc(), CallbackRequest.created_at)
            .limit(limit)
        )
    )


def held_by(session: Session, facilitator: Facilitator) -> list[CallbackRequest]:
    return list(
        session.scalars(
            select(CallbackRequest)
            .where(
                CallbackRequest.claimed_by_id == facilitator.id,
                CallbackRequest.status.in_((CallbackStatus.CLAIMED, CallbackStatus.CALLED)),
            )
            .order_by(CallbackRequest.claimed_at)
        )
    )


def attach_recording(
    session: Session, request: CallbackRequest, recording_sid: str, now: datetime
) -> None:
    """The member's message joins their request and is fetched soon. A message they recorded
    before it in the same call is deleted here and at Twilio: a request keeps one."""
    if request.recording_sid == recording_sid:
        return
    recordings.forget(session, request, now)
    request.recording_sid = recording_sid
    request.recording_fetch_attempts = 0
    recordings.fetch_soon(request, now)


def recording_arrived(session: Session, recording_sid: str, now: datetime) -> bool:
    """Twilio's recording-status callback: fetch it now if its request exists. A request opened
    after the callback schedules its own fetch when it is filed."""
    request = recordings.by_sid(session, recording_sid)
    if request is None:
        return False
    recordings.fetch_soon(request, now)
    return True
