"""Who is told about a callback request, and when (SPEC §10).

When a request opens, the on-call facilitators who speak the member's language are texted; if
none does, every on-call facilitator is, marked "interpreter needed"; if nobody is on call, an
urgent request goes to coordinators at once. Unclaimed after ``CALLBACK_ESCALATE_URGENT`` /
``CALLBACK_ESCALATE``, it escalates: to every on-call facilitator not told yet, then to
coordinators. ``escalation_level`` is how far it has gone: 0 facilitators in the language,
1 every on-call facilitator, 2 coordinators.

Every text holds only the code, the language, the group's alias, the urgency and whether the
member takes texts: never the member's number, name or note (SPEC §10, §12).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import (
    CallbackRequest,
    CallbackStatus,
    Facilitator,
    Group,
    OutboxItem,
    OutboxKind,
    OutboxPurpose,
    StaffNoticeKind,
)
from app.prompts import Catalog
from app.services import optouts, outbox, staff
from app.services.outbox import Outgoing

ALERT_TEMPLATES = ("sms.facilitator.alert", "sms.facilitator.alert_urgent")
HELD = (CallbackStatus.CLAIMED, CallbackStatus.CALLED)
LANGUAGE, EVERYONE, COORDINATORS = 0, 1, 2


def on_call(session: Session) -> list[Facilitator]:
    return list(
        session.scalars(
            select(Facilitator)
            .where(Facilitator.active.is_(True), Facilitator.on_call.is_(True))
            .order_by(Facilitator.id)
        )
    )


def language_of(facilitator: Facilitator, catalog: Catalog) -> str:
    return staff.first_spoken(facilitator.languages, catalog.languages)


def first_alert(
    session: Session,
    catalog: Catalog,
    request: CallbackRequest,
    now: datetime,
    round_: str,
    exclude: int | None = None,
) -> None:
    """Text the facilitators in the member's language (or all, interpreter needed); with nobody
    on call, an urgent request goes straight to coordinators. ``exclude``: a facilitator who
    just gave the request back."""
    people = [f for f in on_call(session) if f.id != exclude]
    speakers = [f for f in people if request.language in (f.languages or ())]
    if speakers:
        alert(session, catalog, request, speakers, now, round_, interpreter=False)
        request.escalation_level = LANGUAGE
    elif people:
        alert(session, catalog, request, people, now, round_, interpreter=True)
        request.escalation_level = EVERYONE
    elif request.urgent:
        tell_coordinators(session, catalog, request, now)


def escalate(session: Session, catalog: Catalog, request: CallbackRequest, now: datetime) -> None:
    """One step up for a request nobody claimed in time."""
    if request.escalation_level < EVERYONE:
        told = alerted(session, request.id)
        others = [f for f in on_call(session) if f.id not in told]
        if others:
            interpreter = not any(request.language in (f.languages or ()) for f in others)
            alert(session, catalog, request, others, now, "escalated", interpreter=interpreter)
            request.escalation_level = EVERYONE
            return
    tell_coordinators(session, catalog, request, now)


def tell_coordinators(
    session: Session, catalog: Catalog, request: CallbackRequest, now: datetime
) -> None:
    request.escalation_level = COORDINATORS
    request.next_escalation_at = None
    staff.note(
        session,
        StaffNoticeKind.CALLBACK_UNANSWERED,
        f"callback:{request.id}:unanswered:{_round_stamp(request)}",
        text="staff.callback_unanswered",
        params={
            "code": request.code,
            "member_language": request.language,
            "alias": _alias(session, request) or "-",
        },
        urgent=request.urgent,
        languages=catalog.languages,
        now=now,
        callback_id=request.id,
    )


def tell_unreached(
    session: Session, catalog: Catalog, request: CallbackRequest, now: datetime
) -> None:
    """An urgent request has been held for ``CALLBACK_ESCALATE_URGENT`` and its member has not
    answered a call: coordinators are told at once, so a claim alone never silences it."""
    staff.note(
        session,
        StaffNoticeKind.CALLBACK_UNREACHED,
        f"callback:{request.id}:unreached:{_round_stamp(request)}",
        text="staff.callback_unreached",
        params={"code": request.code, "member_language": request.language},
        urgent=True,
        languages=catalog.languages,
        now=now,
        callback_id=request.id,
    )


def written_again(
    session: Session, catalog: Catalog, request: CallbackRequest, now: datetime
) -> None:
    """The member of an urgent request has sent more crisis texts: the facilitator who holds it,
    or else everyone texted about it, hears how many so far (never what they said); coordinators
    too when it has reached them or no facilitator was ever told."""
    request.crisis_told_at, request.crisis_alert_at = now, None
    params = {"code": request.code, "count": request.crisis_texts}
    event = f"again:{request.crisis_texts}"
    holder = session.get(Facilitator, request.claimed_by_id) if request.claimed_by_id else None
    if request.status in HELD and holder is not None:
        people, template = [holder], "sms.facilitator.again_yours"
    else:
        told = alerted(session, request.id)
        people = [f for f in on_call(session) if f.id in told] if told else []
        template = "sms.facilitator.again"
    for person in people:
        language = language_of(person, catalog)
        _send(session, request, person, template, language, params, event, now)
    if not people or request.escalation_level == COORDINATORS:
        staff.note(
            session,
            StaffNoticeKind.CRISIS_AGAIN,
            f"callback:{request.id}:{event}",
            text="staff.crisis_again",
            params={**params, "member_language": request.language},
            urgent=True,
            languages=catalog.languages,
            now=now,
            callback_id=request.id,
        )


def alert(
    session: Session,
    catalog: Catalog,
    request: CallbackRequest,
    people: Iterable[Facilitator],
    now: datetime,
    round_: str,
    *,
    interpreter: bool,
) -> None:
    template = ALERT_TEMPLATES[1] if request.urgent else ALERT_TEMPLATES[0]
    alias = _alias(session, request)
    for person in people:
        language = language_of(person, catalog)
        params = {
            "code": request.code,
            "member_language": catalog.render(
                language, f"sms.facilitator.language.{request.language}"
            )
            if catalog.has(request.language)
            else request.language,
            "details": _details(catalog, language, request, alias, interpreter),
        }
        _send(session, request, person, template, language, params, f"alert:{round_}", now)


def tell_taken(session: Session, catalog: Catalog, request: CallbackRequest, now: datetime) -> None:
    """Everyone else who was texted about it learns it is taken (code only)."""
    told = alerted(session, request.id) - {request.claimed_by_id}
    people = session.scalars(select(Facilitator).where(Facilitator.id.in_(told))).all()
    stamp = _round_stamp(request)
    for person in people:
        language = language_of(person, catalog)
        params = {"code": request.code}
        _send(
            session,
            request,
            person,
            "sms.facilitator.taken",
            language,
            params,
            f"taken:{stamp}",
            now,
        )


def alerted(session: Session, callback_id: int) -> set[int]:
    """The facilitators texted an alert about this request."""
    found = session.scalars(
        select(OutboxItem.facilitator_id).where(
            OutboxItem.callback_id == callback_id,
            OutboxItem.facilitator_id.is_not(None),
            OutboxItem.template.in_(ALERT_TEMPLATES),
        )
    ).all()
    return {fid for fid in found if fid is not None}


def _send(
    session: Session,
    request: CallbackRequest,
    person: Facilitator,
    template: str,
    language: str,
    params: dict[str, Any],
    event: str,
    now: datetime,
) -> None:
    # Urgent alerts are not held by quiet hours (SPEC §9); the others wait for the
    # facilitator's own morning, like any text to staff.
    purpose = OutboxPurpose.ALERT if request.urgent else OutboxPurpose.STAFF
    outbox.enqueue(
        session,
        Outgoing(
            kind=OutboxKind.SMS,
            purpose=purpose,
            recipient=person.phone,
            template=template,
            language=language,
            params=params,
            due_at=now,
            facilitator_id=person.id,
            callback_id=request.id,
            dedupe_key=f"cb:{request.id}:{event}:f{person.id}",
        ),
    )


def _details(
    catalog: Catalog, language: str, request: CallbackRequest, alias: str | None, interpreter: bool
) -> str:
    parts = []
    if alias:
        parts.append(catalog.render(language, "sms.facilitator.part.alias", alias=alias))
    if interpreter:
        parts.append(catalog.render(language, "sms.facilitator.part.interpreter"))
    if optouts.texts_blocked(request.member):
        parts.append(catalog.render(language, "sms.facilitator.part.call_only"))
    return "".join(f" {part}" for part in parts)


def _alias(session: Session, request: CallbackRequest) -> str | None:
    if request.group_id is None:
        return None
    group = session.get(Group, request.group_id)
    return group.alias if group is not None else None


def _round_stamp(request: CallbackRequest) -> str:
    """Tells one claim (or one round after a release) from the next in dedupe keys."""
    moment = request.claimed_at if request.status is not CallbackStatus.OPEN else None
    moment = moment or request.released_at or request.created_at
    return str(int(moment.timestamp()))
