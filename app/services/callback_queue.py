"""The callback queue as the console shows it (SPEC §10, §13): who sees which requests, and
claiming or reassigning one. A facilitator sees the requests of their own groups and those
they hold; coordinators see all."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.models import (
    OPEN_CALLBACK_STATES,
    CallbackRequest,
    CallbackStatus,
    Facilitator,
    GroupFacilitator,
)

RECENTLY_CLOSED = timedelta(days=7)
_ASSIGNABLE = (CallbackStatus.OPEN, CallbackStatus.CLAIMED, CallbackStatus.RELEASED)


class QueueError(ValueError):
    """A claim or reassignment that cannot be done; the message is for the coordinator."""


def visible(
    session: Session, now: datetime, facilitator_id: int | None = None
) -> list[CallbackRequest]:
    """Open requests and those closed in the last 7 days, urgent and oldest first; for a
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


def _of_facilitator(facilitator_id: int):  # type: ignore[no-untyped-def]
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


def assign(
    session: Session, request_id: int, facilitator_id: int, now: datetime
) -> CallbackRequest:
    """Give a request to a facilitator (a claim, or a coordinator's reassignment): it is
    theirs from now, and escalation stops."""
    request = session.get(CallbackRequest, request_id, with_for_update=True)
    person = session.get(Facilitator, facilitator_id)
    if request is None or person is None or not person.active:
        raise QueueError("no such request or facilitator")
    if request.status not in _ASSIGNABLE:
        raise QueueError(f"request {request.code} is {request.status.value}")
    request.status = CallbackStatus.CLAIMED
    request.claimed_by_id = facilitator_id
    request.claimed_at = now
    request.next_escalation_at = None
    return request


def facilitators(session: Session) -> list[Facilitator]:
    return list(
        session.scalars(
            select(Facilitator).where(Facilitator.active.is_(True)).order_by(Facilitator.name)
        )
    )
