"""A member's phone for SMS tests: texts the webhook signed as Twilio does and reads back the
messages the member would receive."""

from __future__ import annotations

import uuid

from tests.twiml_reading import parse

MEMBER = "+14155550100"


def messages(document: bytes | str) -> list[str]:
    return [node.text or "" for node in parse(document).iter("Message")]


class Phone:
    def __init__(self, twilio, number: str = MEMBER) -> None:  # type: ignore[no-untyped-def]
        self.twilio = twilio
        self.number = number

    def text(self, body: str, **extra: str) -> list[str]:
        return messages(self.send(body, **extra).data)

    def send(self, body: str, sid: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
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
