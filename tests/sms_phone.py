"""A member's phone for SMS tests: texts the webhook signed as Twilio does and reads back the
messages the member would receive. (What it texts is scanned for in every log line and in Redis
by tests/privacy_scan.py, like every request a test posts.)"""

from __future__ import annotations

import uuid
from typing import Any

from tests.twiml_reading import parse

MEMBER = "+14155550100"


def messages(document: bytes | str) -> list[str]:
    return [node.text or "" for node in parse(document).iter("Message")]


class Phone:
    def __init__(self, twilio: Any, number: str = MEMBER) -> None:
        self.twilio = twilio
        self.number = number

    def text(self, body: str, **extra: str) -> list[str]:
        return messages(self.send(body, **extra).data)

    def send(self, body: str, sid: str | None = None, **extra: str) -> Any:
        form = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "From": self.number,
            "To": "+15005550006",
            "Body": body,
            **extra,
        }
        return self.twilio.post("/twilio/sms", form)

    def reply(self, body: str, **extra: str) -> str:
        """The whole of what came back, as one string."""
        return "\n".join(self.text(body, **extra))


def say(language: str, key: str, **params: object) -> str:
    """What the line texts for a prompt key, rendered as the handler renders it."""
    from app.prompts import load_catalog

    catalog = load_catalog()
    common = {
        "line_name": "Community Support Line",
        "crisis_footer": catalog.render(language, "sms.crisis_footer"),
        "crisis_line": catalog.render(language, "sms.crisis_line"),
    }
    return catalog.render(language, key, **{**common, **params})


def urgent_request(session: Any) -> Any:
    """The one urgent callback request, read fresh from the database."""
    from sqlalchemy import select

    from app.models import CallbackRequest
    from tests.conftest import fresh

    return fresh(session).scalars(select(CallbackRequest).where(CallbackRequest.urgent)).one()


def texted(session: Any, number: str) -> list[str]:
    """What the line will text ``number``, rendered as the dispatcher renders it."""
    from sqlalchemy import select

    from app.models import OutboxItem, OutboxKind
    from app.prompts import load_catalog
    from tests.conftest import fresh

    catalog = load_catalog()
    rows = fresh(session).scalars(
        select(OutboxItem).where(OutboxItem.recipient == number).order_by(OutboxItem.id)
    )
    return [
        catalog.render(r.language, r.template, line_name="Community Support Line", **r.params)
        for r in rows
        if r.kind is OutboxKind.SMS
    ]


MISSION = (37.7485, -122.4184)  # ZIP 94110


def nearby_groups(session: Any, count: int = 4, **fields: object) -> list[Any]:
    """``count`` in-person groups around ZIP 94110, each with a meeting in 3 days, committed."""
    from datetime import timedelta

    from tests import factories

    groups = []
    for n in range(count):
        group = factories.group(
            session,
            name=f"Circle {n + 1}",
            latitude=MISSION[0] + 0.01 * n,
            longitude=MISSION[1],
            languages=["en", "es"],
            **fields,
        )
        factories.meeting(session, group, starts_in=timedelta(days=3, hours=n))
        groups.append(group)
    session.commit()
    return groups
