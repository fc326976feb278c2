"""A number keyed in by a caller who withheld caller ID (SPEC §7.6): refused unless it is a
valid number of DEFAULT_REGION (or a territory it serves) that the line may call, and not the
line's own or a facilitator's (a member must never reach a facilitator's phone through the
line)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Config
from app.models import Facilitator
from app.phones import InvalidNumber, dialable, parse_number


def callback_target(session: Session, config: Config, keyed: str) -> str | None:
    try:
        number = parse_number(keyed, config.default_region)
    except InvalidNumber:
        return None
    if not dialable(number, config.default_region) or number == config.phone_number:
        return None
    taken = session.scalar(select(Facilitator.id).where(Facilitator.phone == number).limit(1))
    return None if taken is not None else number
