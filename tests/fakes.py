"""The one fake allowed in unit tests: a gateway that records instead of calling Twilio.

It has the real gateway's interface (a test keeps them in step). Assert on ``sent`` and
``calls``; make the next request fail with ``fail_next(GatewayError(...))``. Integration tests
use the real gateway against the simulator instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from app.gateway import CallRecord, GatewayError, MessageRecord, RecordingInfo
from app.simulator.segments import segment_count

LINE_NUMBER = "+15005550006"


class RecordingGateway:
    def __init__(self) -> None:
        self.sent: list[MessageRecord] = []
        self.calls: list[CallRecord] = []
        self.call_urls: dict[str, str] = {}
        self.status_callbacks: dict[str, str | None] = {}
        self.recordings: dict[str, RecordingInfo] = {}
        self.deleted: list[str] = []
        self.failures: list[GatewayError] = []

    def fail_next(self, *errors: GatewayError) -> None:
        self.failures.extend(errors)

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    def texts_to(self, number: str) -> list[str]:
        return [m.body for m in self.sent if m.to == number]

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> MessageRecord:
        self._maybe_fail()
        now = datetime.now(UTC)
        message = MessageRecord(
            sid="SM" + uuid.uuid4().hex, to=to, from_=LINE_NUMBER, body=body, status="queued",
            direction="outbound-api", num_segments=segment_count(body), date_created=now,
            date_sent=now, error_code=None,
        )  # fmt: skip
        self.sent.append(message)
        self.status_callbacks[message.sid] = status_callback
        return message

    def start_call(
        self,
        to: str,
        url: str,
        *,
        status_callback: str | None = None,
        status_events: Sequence[str] = ("initiated", "ringing", "answered", "completed"),
        async_amd_callback: str | None = None,
        timeout: int = 30,
        caller_id: str | None = None,
    ) -> CallRecord:
        self._maybe_fail()
        call = CallRecord(
            sid="CA" + uuid.uuid4().hex, to=to, from_=caller_id or LINE_NUMBER, status="queued",
            direction="outbound-api", answered_by=None, duration=None,
            date_created=datetime.now(UTC), start_time=None, end_time=None, parent_call_sid=None,
        )  # fmt: skip
        self.calls.append(call)
        self.call_urls[call.sid] = url
        self.status_callbacks[call.sid] = status_callback
        return call

    def fetch_message(self, sid: str) -> MessageRecord:
        self._maybe_fail()
        return self._find(self.sent, sid)

    def list_messages(
        self, to: str, created_after: datetime | None = None, limit: int = 1000
    ) -> list[MessageRecord]:
        self._maybe_fail()
        found = [m for m in self.sent if m.to == to and _after(m.date_created, created_after)]
        return list(reversed(found))[:limit]

    def delete_message(self, sid: str) -> None:
        self._maybe_fail()
        self.sent.remove(self._find(self.sent, sid))
        self.deleted.append(sid)

    def fetch_call(self, sid: str) -> CallRecord:
        self._maybe_fail()
        return self._find(self.calls, sid)

    def list_calls(
        self, to: str, created_after: datetime | None = None, limit: int = 50
    ) -> list[CallRecord]:
        self._maybe_fail()
        found = [c for c in self.calls if c.to == to and _after(c.date_created, created_after)]
        return list(reversed(found))[:limit]

    def hang_up(self, call_sid: str) -> None:
        self._maybe_fail()
        index = self.calls.index(self._find(self.calls, call_sid))
        self.calls[index] = replace(self.calls[index], status="completed")

    def redirect_call(self, call_sid: str, url: str) -> None:
        self._maybe_fail()
        self.call_urls[call_sid] = url

    def fetch_recording(self, sid: str) -> RecordingInfo:
        self._maybe_fail()
        if sid not in self.recordings:
            raise GatewayError(20404, 404, permanent=True)
        return self.recordings[sid]

    def fetch_recording_audio(self, sid: str) -> bytes:
        self.fetch_recording(sid)
        return b"RIFF"

    def delete_recording(self, sid: str) -> None:
        self.fetch_recording(sid)
        del self.recordings[sid]
        self.deleted.append(sid)

    @staticmethod
    def _find(records: Sequence[Any], sid: str) -> Any:
        for record in records:
            if record.sid == sid:
                return record
        raise GatewayError(20404, 404, permanent=True)


def _after(moment: datetime | None, bound: datetime | None) -> bool:
    return bound is None or (moment is not None and moment >= bound)
