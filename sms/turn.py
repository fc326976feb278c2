"""One inbound text being answered: who sent it, in which language, and how to word replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app import segments
from app.config import Config, Duration
from app.models import Conversation, Meeting, Member
from app.prompts import Catalog
from app.services import reminders


@dataclass(frozen=True)
class Inbound:
    """The parsed webhook. ``sender`` is E.164."""

    message_sid: str
    sender: str
    body: str
    opt_out_type: str | None = None
    media: int = 0


@dataclass
class Turn:
    session: Session
    config: Config
    catalog: Catalog
    now: datetime
    message: Inbound
    member: Member
    conversation: Conversation
    new: bool
    language: str
    erased: bool = False  # the member was deleted during this turn
    footer_given: bool = False  # the first-message footer went inside a reply (a list)
    replies: list[str] = field(default_factory=list)

    @property
    def secret(self) -> str:
        return self.config.secret_key

    def say(self, key: str, **params: object) -> str:
        common = {
            "line_name": self.config.line_name,
            "crisis_footer": self.catalog.render(self.language, "sms.crisis_footer"),
            "crisis_line": self.catalog.render(self.language, "sms.crisis_line"),
        }
        return self.catalog.render(self.language, key, **{**common, **params})

    def when(self, meeting: Meeting | None) -> str:
        """ "Tue Nov 24, 6:30 PM" in the group's own zone."""
        if meeting is None:
            return self.say("sms.no_date")
        zone = ZoneInfo(meeting.group.timezone)
        return reminders.text_when(self.catalog, self.language, meeting.starts_at, zone)

    def offsets(self) -> str:
        """The reminder plan in words: "1 day and 2 hours"."""
        parts = [self._offset(offset) for offset in self.config.reminder_offsets]
        if len(parts) == 1:
            return parts[0]
        return self.say("sms.unit.and", first=", ".join(parts[:-1]), last=parts[-1])

    def _offset(self, offset: Duration) -> str:
        said = self._unit(offset.unit, offset.amount)
        if offset.unit == "d" and not segments.is_gsm7(said):
            # Spanish "día" has an í, which would make the whole reply UCS-2 (twice the cost,
            # over budget); the same time in hours says it in GSM-7: "24 horas".
            return self._unit("h", offset.amount * 24)
        return said

    def _unit(self, unit: str, amount: int) -> str:
        if amount == 1:
            return self.say(f"sms.unit.{unit}1")
        return self.say(f"sms.unit.{unit}", n=amount)

    def choices(self, numbers: list[int]) -> str:
        """ "1, 2 or 3": the numbers a member may reply, said rather than "a number"."""
        said = [str(n) for n in numbers]
        if len(said) == 1:
            return said[0]
        return self.say("sms.unit.or", first=", ".join(said[:-1]), last=said[-1])
