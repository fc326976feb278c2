"""The callback queue as the console shows it (SPEC §10, §13): who sees which requests, and a
facilitator claiming one or a coordinator giving one to a facilitator. Claims go through
``callbacks.claim`` exactly as ``CLAIM <code>`` by text does, and the others are told it is
taken; a coordinator may also move a claimed request to another facilitator, who is texted
its code (never the member's number, name or note)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from app.config import Config
from app.models import (
    OPEN_CALLBACK_STATES,
    CallbackRequest,
    CallbackStatus,
    Facilitator,
    GroupFacilitator,
    OutboxKind,
    OutboxPurpose,
)
from app.prompts import Catalog
from app.services import callback_alerts, callbacks, outbox
from app.services.outbox import Outgoing

RECENTLY_CLOSED = timedelta(days=7)


def visible(
    session: Session, now: datetime, facilitator_id: int | None = None
) -> list[CallbackRequest]:
    """Open requests and those opened in the last 7 days, urgent and oldest first; for a
    facilitator only their groups' and their own."""
    statement = (
        select(CallbackRequest)
        .options(joinedload(CallbackRequest.member))
        .where(
            or_(
                CallbackRequest.status.in_(OPEN_CALLBACK_STATES),
                CallbackRequest.created_at >= now - RECENTLY_CLOSED,
            )
        )
        .order_by(CallbackRequest.urgent.desc(), CallbackRequest.created_at)
    )
    if facilitator_id is not None:
        statement = statement.where(_of_facilitator(facilitator_id))
    return list(session.scalars(statement.limit(500)))


def _of_facilitator(facilitator_id: int) -> Any:
    groups = select(GroupFacilitator.group_id).where(
        GroupFacilitator.facilitator_id == facilitator_id
    )
    return or_(
        CallbackRequest.group_id.in_(groups), CallbackRequest.claimed_by_id == facilitator_id
    )


def may_see(session: Session, request_id: int, facilitator_id: int | None) -> bool:
    statement = select(CallbackRequest.id).where(CallbackRequest.id == request_id)
    if facilitator_id is not None:
        statement = statement.where(_of_facilitator(facilitator_id))
    return session.scalar(statement) is not None


def claim(
    session: Session,
    request: CallbackRequest,
    person: Facilitator,
    catalog: Catalog,
    now: datetime,
    config: Config,
) -> bool:
    """As ``CLAIM <code>``: True when this facilitator got it; the others are told it is taken."""
    if not callbacks.claim(session, request, person, now, config):
        return False
    callback_alerts.tell_taken(session, catalog, request, now)
    return True


def give(
    session: Session,
    request: CallbackRequest,
    person: Facilitator,
    catalog: Catalog,
    now: datetime,
    config: Config,
) -> bool:
    """A coordinator gives a request to a facilitator: an open one is claimed for them, a claimed
    one (not yet called) changes hands, and an urgent one's time to reach the member starts
    again for the new holder. The new holder is texted the code."""
    if request.status is CallbackStatus.OPEN:
        won = claim(session, request, person, catalog, now, config)
    else:
        unreached = now + callbacks.escalate_after(config, urgent=True) if request.urgent else None
        result = session.execute(
            update(CallbackRequest)
            .where(
                CallbackRequest.id == request.id,
                CallbackRequest.status == CallbackStatus.CLAIMED,
            )
            .values(claimed_by_id=person.id, claimed_at=now, next_escalation_at=unreached)
            .execution_options(synchronize_session=False)
        )
        session.refresh(request)
        won = bool(getattr(result, "rowcount", 0))
    if won:
        _tell_holder(session, request, person, catalog, now)
    return won


def _tell_holder(
    session: Session, request: CallbackRequest, person: Facilitator, catalog: Catalog, now: datetime
) -> None:
    outbox.enqueue(
        session,
        Outgoing(
            kind=OutboxKind.SMS,
            purpose=OutboxPurpose.ALERT if request.urgent else OutboxPurpose.STAFF,
            recipient=person.phone,
            template="sms.facilitator.claimed",
            language=callback_alerts.language_of(person, catalog),
            params={"code": request.code},
            due_at=now,
            facilitator_id=person.id,
            callback_id=request.id,
            dedupe_key=f"cb:{request.id}:given:{int(now.timestamp())}:f{person.id}",
        ),
    )


def facilitators(session: Session) -> list[Facilitator]:
    return list(
        session.scalars(
            select(Facilitator).where(Facilitator.active.is_(True)).order_by(Facilitator.name)
        )
    )
