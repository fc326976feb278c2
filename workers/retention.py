"""The retention sweep task (SPEC §12): one batch of the retention job per sweep, idempotent
and read through indexes. Twilio's copies go by workers/twilio_deletions.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.extensions import phoneline
from app.services import audit, retention


def apply_retention(session: Session, now: datetime) -> int:
    done = retention.run_batch(session, retention.Policy.of(phoneline().config), now)
    if any(done.values()):
        audit.record(session, "retention", "retention.run", None, _nonzero(done), now)
    return sum(done.values())


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {name: n for name, n in counts.items() if n}
