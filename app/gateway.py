"""The one seam to Twilio's REST API (SPEC §2, §9; STYLE 4). Nothing else imports ``twilio.rest``.

Every failure leaves here as one ``GatewayError(code, status, permanent)``. It never carries
Twilio's message text, because that text repeats the phone number ("The 'To' number +1415... is
not a valid phone number"), and RQ stores exception messages in Redis.

The client reaches the base URL in ``TWILIO_API_BASE_URL`` the way twilio-python's docs
recommend for proxies and mock servers: a custom HTTP client
(advanced-examples/custom-http-client.md in twilio-python) that rewrites Twilio's API origin,
since the library builds every URL from ``https://api.twilio.com``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from app.config import TWILIO_API, Config

REQUEST_TIMEOUT = 15.0
# The most texts to one number read when looking for one that may have been sent.
LIST_LIMIT = 1000
API_VERSION = "2010-04-01"

# Twilio rejected the request for now, not for good: rate limits, and credentials (a deployment
# mid-rotation must not turn every queued text into a permanent failure).
TRANSIENT_CODES = frozenset({20429, 20003, 20005})
TRANSIENT_STATUSES = frozenset({401, 429})


class GatewayError(Exception):
    """A Twilio request that did not succeed. ``code`` is Twilio's error code (None when no
    answer came back), ``status`` the HTTP status. ``permanent`` says retrying cannot help.
    ``maybe_sent`` is True when Twilio may have acted on the request even though the answer was
    an error or never came (a 5xx, a read timeout, a reset): the outbox must look before it
    sends again (SPEC §9, exactly once)."""

    def __init__(
        self, code: int | None, status: int | None, permanent: bool, *, maybe_sent: bool = False
    ) -> None:
        super().__init__(code, status, permanent)
        self.code = code
        self.status = status
        self.permanent = permanent
        self.maybe_sent = maybe_sent

    def __str__(self) -> str:
        return f"twilio error code={self.code} status={self.status} permanent={self.permanent}"


@dataclass(frozen=True)
class MessageRecord:
    sid: str
    to: str
    from_: str | None
    body: str
    status: str
    direction: str
    num_segments: int
    date_created: datetime | None
    date_sent: datetime | None
    error_code: int | None


@dataclass(frozen=True)
class CallRecord:
    sid: str
    to: str
    from_: str | None
    status: str
    direction: str
    answered_by: str | None
    duration: int | None
    date_created: datetime | None
    start_time: datetime | None  # None until Twilio dials the call
    end_time: datetime | None
    parent_call_sid: str | None


@dataclass(frozen=True)
class RecordingInfo:
    sid: str
    call_sid: str
    duration: int
    status: str
    date_created: datetime | None


class Gateway:
    """Sends, starts, looks up and deletes through Twilio's REST API."""

    def __init__(self, config: Config, timeout: float = REQUEST_TIMEOUT) -> None:
        self.phone_number = config.phone_number
        self.messaging_service_sid = config.messaging_service_sid
        self.account_sid = config.account_sid
        _quiet_urllib3()
        self.http = RebasingHttpClient(config.twilio_api_base_url, timeout, config.send_concurrency)
        username, password = _credentials(config)
        self.client = Client(
            username, password, account_sid=config.account_sid, http_client=self.http
        )

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> MessageRecord:
        """Create one outbound SMS; from the Messaging Service when one is configured."""
        sender: dict[str, Any] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.phone_number}
        )
        return _call(
            lambda: _message(
                self.client.messages.create(
                    to=to, body=body, status_callback=status_callback, **sender
                )
            )
        )

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
        """Start an outbound call whose first TwiML is fetched from ``url``. With
        ``async_amd_callback`` the call runs answering-machine detection in the background and
        the TwiML starts at once (SPEC §9 voice reminders)."""
        options = {
            **_status_options(status_callback, status_events),
            **_amd_options(async_amd_callback),
        }
        sender = caller_id or self.phone_number
        return _call(
            lambda: _call_record(
                self.client.calls.create(
                    to=to, from_=sender, url=url, method="POST", timeout=timeout, **options
                )
            )
        )

    def fetch_message(self, sid: str) -> MessageRecord:
        return _call(lambda: _message(self.client.messages(sid).fetch()))

    def list_messages(
        self, to: str, created_after: datetime | None = None, limit: int = LIST_LIMIT
    ) -> list[MessageRecord]:
        """Messages to ``to`` created at or after ``created_after``, as Twilio lists them.

        Never filtered by ``DateSent``: a text Twilio still holds ``queued`` (beyond the
        sender's throughput, for up to hours) has no ``date_sent`` yet, and a ``DateSent``
        filter hides it from the one look that must find it (SPEC §9, exactly once). Twilio has
        no creation-date filter and does not promise where unsent texts sort, so the whole
        list to the number is read (up to ``limit``; Twilio keeps a number's texts only as long
        as ``RETENTION_MESSAGES``) and the creation time is checked here."""
        return _call(
            lambda: [
                record
                for record in map(
                    _message,
                    self.client.messages.list(to=to, limit=limit, page_size=min(limit, 1000)),
                )
                if _at_or_after(record.date_created, created_after)
            ]
        )

    def delete_message(self, sid: str) -> None:
        _call(lambda: self.client.messages(sid).delete())

    def fetch_call(self, sid: str) -> CallRecord:
        return _call(lambda: _call_record(self.client.calls(sid).fetch()))

    def list_calls(
        self, to: str, created_after: datetime | None = None, limit: int = 50
    ) -> list[CallRecord]:
        """Calls to ``to`` created at or after ``created_after``, newest first. Not filtered by
        ``StartTime`` at Twilio: a call still queued there (behind the account's calls per
        second) has not started and has no start time, and a lookup that missed it would
        dial the member a second time (SPEC §9, exactly once)."""
        return _call(
            lambda: [
                record
                for record in map(_call_record, self.client.calls.list(to=to, limit=limit))
                if _at_or_after(record.date_created, created_after)
            ]
        )

    def hang_up(self, call_sid: str) -> None:
        _call(lambda: self.client.calls(call_sid).update(status="completed"))

    def redirect_call(self, call_sid: str, url: str) -> None:
        """Give a live call new TwiML from ``url`` (e.g. the voicemail after a machine answers)."""
        _call(lambda: self.client.calls(call_sid).update(url=url, method="POST"))

    def fetch_recording(self, sid: str) -> RecordingInfo:
        return _call(lambda: _recording(self.client.recordings(sid).fetch()))

    def fetch_recording_audio(self, sid: str) -> bytes:
        """The recording as WAV bytes, fetched with the same credentials as the API."""
        url = f"{TWILIO_API}/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{sid}.wav"
        response = _call(lambda: self.http.get_bytes(url, self.client.auth))
        if response.status_code != 200:
            raise _from_response(response.status_code, response.text)
        return bytes(response.content)

    def delete_recording(self, sid: str) -> None:
        _call(lambda: self.client.recordings(sid).delete())


class RebasingHttpClient(TwilioHttpClient):
    """twilio-python's HTTP client, pointed at ``base_url`` instead of Twilio's API origin, with
    a connection pool as large as the requests a worker keeps in flight, and without the
    library's request logging (it logs query strings, which hold phone numbers)."""

    def __init__(self, base_url: str, timeout: float, pool_size: int) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self.base_url = base_url
        assert self.session is not None
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 10))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def rebase(self, url: str) -> str:
        if url.startswith(TWILIO_API) and self.base_url != TWILIO_API:
            return self.base_url + url[len(TWILIO_API) :]
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rebase(url), *args, **kwargs)

    def get_bytes(self, url: str, auth: tuple[str, str]) -> requests.Response:
        """A binary download (twilio's ``Response`` keeps only decoded text)."""
        assert self.session is not None
        return self.session.get(self.rebase(url), auth=auth, timeout=self.timeout)

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Twilio's version logs query parameters (To=...); we log no numbers."""

    def log_response(self, status_code: int, response: Any) -> None:
        """Twilio's version logs response headers; nothing we need, and quieter without."""


def _info_and_above(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.INFO


def _quiet_urllib3() -> None:
    """urllib3 logs every request line at DEBUG, query string and all (``To=%2B1415...``).
    Drop those records however the deployment sets its log levels."""
    pool_log = logging.getLogger("urllib3.connectionpool")
    if _info_and_above not in pool_log.filters:
        pool_log.addFilter(_info_and_above)


def _day(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment else None


def _at_or_after(moment: datetime | None, bound: datetime | None) -> bool:
    return bound is None or (moment is not None and moment >= bound)


def _status_options(callback: str | None, events: Sequence[str]) -> dict[str, Any]:
    if not callback:
        return {}
    return {
        "status_callback": callback,
        "status_callback_event": list(events),
        "status_callback_method": "POST",
    }


def _amd_options(callback: str | None) -> dict[str, Any]:
    if not callback:
        return {}
    return {
        "machine_detection": "DetectMessageEnd",
        "async_amd": "true",
        "async_amd_status_callback": callback,
        "async_amd_status_callback_method": "POST",
    }


def _credentials(config: Config) -> tuple[str, str]:
    if config.api_key_sid and config.api_key_secret:
        return config.api_key_sid, config.api_key_secret
    return config.account_sid, config.auth_token


def _call(action: Any) -> Any:
    """Run one request, turning every way it can fail into a ``GatewayError``."""
    try:
        return action()
    except TwilioRestException as error:
        raise classify(error.code, error.status) from None
    except requests.RequestException as error:
        raise GatewayError(None, None, permanent=False, maybe_sent=_maybe_sent(error)) from None


def classify(code: int | None, status: int | None) -> GatewayError:
    """SPEC §9: 429/20429, 5xx and credential errors are transient; other 4xx are permanent."""
    transient = (
        code in TRANSIENT_CODES
        or status in TRANSIENT_STATUSES
        or (status is not None and status >= 500)
    )
    maybe_sent = status is not None and status >= 500
    return GatewayError(code, status, permanent=not transient, maybe_sent=maybe_sent)


def _from_response(status: int, text: str) -> GatewayError:
    import json

    try:
        code = json.loads(text).get("code")
    except (ValueError, AttributeError):
        code = None
    return classify(code if isinstance(code, int) else None, status)


def _maybe_sent(error: requests.RequestException) -> bool:
    """Only a refused or timed-out connection proves Twilio never saw the request."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        reason = getattr(error.args[0], "reason", None) if error.args else None
        return not _is_connect_failure(reason)
    return True


def _is_connect_failure(reason: object) -> bool:
    from urllib3.exceptions import NameResolutionError, NewConnectionError

    return isinstance(reason, NewConnectionError | NameResolutionError)


def _message(instance: Any) -> MessageRecord:
    return MessageRecord(
        sid=instance.sid,
        to=instance.to,
        from_=instance.from_,
        body=instance.body or "",
        status=str(instance.status),
        direction=str(instance.direction),
        num_segments=int(instance.num_segments or 1),
        date_created=instance.date_created,
        date_sent=instance.date_sent,
        error_code=int(instance.error_code) if instance.error_code else None,
    )


def _call_record(instance: Any) -> CallRecord:
    return CallRecord(
        sid=instance.sid,
        to=instance.to,
        from_=instance._from,
        status=str(instance.status),
        direction=str(instance.direction),
        answered_by=instance.answered_by,
        duration=int(instance.duration) if instance.duration else None,
        date_created=instance.date_created,
        start_time=instance.start_time,
        end_time=instance.end_time,
        parent_call_sid=instance.parent_call_sid,
    )


def _recording(instance: Any) -> RecordingInfo:
    return RecordingInfo(
        sid=instance.sid,
        call_sid=instance.call_sid,
        duration=int(instance.duration or 0),
        status=str(instance.status),
        date_created=instance.date_created,
    )
