"""What answering-machine detection's verdict means for a call the line placed (SPEC §9).

Reminder and notice calls run Twilio's asynchronous detection: the message starts at once and
the verdict (``AnsweredBy``) comes seconds later, after a machine's greeting ends, sometimes after
the callee already answered a menu or after the call ended. The line's answer to each value:

- ``human`` and ``unknown`` (detection could not tell, often a person who said nothing yet):
  nothing; a person hears the message that is already playing.
- ``machine_start``, ``machine_end_beep``, ``machine_end_silence``, ``machine_end_other``: the
  neutral voicemail if the member allowed one, else a hang-up.
- ``fax``: a hang-up, and the call counts as not reached (failed: calling a fax line again would
  not reach a person either).

A callee who pressed a key or said a word the line understood is a person, whatever detection
concludes afterwards: detection guesses from sound, and a long "hello?" sounds like a greeting.
That is noted under the CallSid (hashed, as the call's state is) for as long as a call lasts.
"""

from __future__ import annotations

import hashlib

from redis import Redis
from sqlalchemy.orm import Session

from app.models import OutboxStatus
from app.services import delivery

MACHINE = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other"}
)
FAX = "fax"
PERSON_TTL_SECONDS = 4 * 60 * 60  # as long as a call's state is kept


def not_a_person(verdict: str) -> bool:
    return verdict in MACHINE or verdict == FAX


def _person_key(call_sid: str) -> str:
    digest = hashlib.sha256(call_sid.encode()).hexdigest()[:32]
    return f"phoneline:call:{digest}:person"


def note_a_person(redis: Redis, call_sid: str) -> None:
    redis.set(_person_key(call_sid), "1", ex=PERSON_TTL_SECONDS)


def heard_a_person(redis: Redis, call_sid: str) -> bool:
    return bool(redis.exists(_person_key(call_sid)))


def fax_answered(session: Session, outbox_id: int, call_sid: str) -> bool:
    """The row of a call a fax machine answered ends as not reached (never resent)."""
    report = delivery.StatusReport(outbox_id, call_sid, OutboxStatus.FAILED)
    return delivery.apply(session, report)
