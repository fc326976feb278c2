"""A member's phone for SMS tests: texts the webhook signed as Twilio does and reads back the
messages the member would receive."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from tests.twiml_reading import parse

MEMBER = "+14155550100"


def messages(document: bytes | str) -> list[str]:
    return [node.text or "" for node in parse(document).iter("Message")]


class Phone:
    sent: ClassVar[list[str]] = []  # every body texted in this test, for the log scan

    def __init__(self, twilio: Any, number: str = MEMBER) -> None:
        self.twilio = twilio
        self.number = number

    def text(self, body: str, **extra: str) -> list[str]:
        return messages(self.send(body, **extra).data)

    def send(self, body: str, sid: str | None = None, **extra: str) -> Any:
        Phone.sent.append(body)
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
    }
    return catalog.render(language, key, **{**common, **params})


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


# The tests' fictional numbers are 555-0xxx: E.164 (+14155550100), national ((415) 555-0100),
# dashed or digits only (4155550100) all contain this.
TEST_NUMBER = re.compile(r"555[\s.)-]*0\d{3}")


def leaks(records: list[logging.LogRecord], bodies: list[str]) -> list[str]:
    """Log lines that carry a test phone number or a texted body (of five characters or more,
    so that "MY" does not match every "my")."""
    lines = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records]
    distinctive = [b for b in set(bodies) if len(b.strip()) >= 5]
    return [
        line for line in lines if TEST_NUMBER.search(line) or any(b in line for b in distinctive)
    ]


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every SMS test runs with everything logged at DEBUG, then scans what was logged."""
    Phone.sent = []
    caplog.set_level(logging.DEBUG)
    yield
    assert leaks(caplog.records, Phone.sent) == []
