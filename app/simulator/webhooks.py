"""Requests from the simulator to the app, signed with the auth token exactly as Twilio signs
them (``RequestValidator``), and the disorders status callbacks can be put through."""

from __future__ import annotations

import enum
import heapq
import itertools
import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator

from app.simulator.records import Store

Params = list[tuple[str, str]]
log = logging.getLogger(__name__)


class Disorder(enum.Enum):
    """How status callbacks reach the app. Twilio promises none of the orderings we would
    like, so the line must survive every one of these."""

    IN_ORDER = "in_order"
    EARLY = "early"  # before the create request is answered (the app has no SID yet)
    DUPLICATED = "duplicated"  # every callback twice
    OUT_OF_ORDER = "out_of_order"  # the final status first
    NEVER = "never"  # lost


TWIML_TYPES = frozenset({"text/xml", "application/xml"})


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str

    @property
    def media_type(self) -> str:
        return self.content_type.split(";")[0].strip().lower()

    @property
    def is_twiml(self) -> bool:
        """Twilio runs only an XML answer as TwiML; another type is its error 12300."""
        return self.media_type in TWIML_TYPES


class Transport(Protocol):
    def send(self, method: str, url: str, params: Params, headers: dict[str, str]) -> Answer: ...


class HttpTransport:
    """Real HTTP, for ``make run`` and for an app served on a port."""

    def __init__(self, timeout: float = 15.0) -> None:
        self.session = requests.Session()
        self.timeout = timeout

    def send(self, method: str, url: str, params: Params, headers: dict[str, str]) -> Answer:
        try:
            response = self.session.request(
                method, url, data=params if method == "POST" else None, headers=headers,
                timeout=self.timeout, allow_redirects=False,
            )  # fmt: skip
        except requests.RequestException:
            return Answer(0, b"", "")
        return Answer(
            response.status_code, response.content, response.headers.get("Content-Type", "")
        )


class WsgiTransport:
    """Requests to ``origin`` go straight into a WSGI app (a Flask app in tests, no port);
    anything else goes over HTTP."""

    def __init__(self, app: Callable[..., object], origin: str) -> None:
        self.app = app
        self.origin = origin
        self.fallback = HttpTransport()

    def send(self, method: str, url: str, params: Params, headers: dict[str, str]) -> Answer:
        if not url.startswith(self.origin + "/"):
            return self.fallback.send(method, url, params, headers)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        data = urlencode(params) if method == "POST" else None
        content_type = "application/x-www-form-urlencoded"
        from werkzeug.test import Client

        # A client per request: lanes run in parallel and a Client keeps a cookie jar.
        response = Client(self.app).open(  # type: ignore[arg-type]
            path, method=method, data=data, headers=headers, content_type=content_type
        )
        return Answer(response.status_code, response.get_data(), response.content_type or "")


class Signer:
    def __init__(self, auth_token: str) -> None:
        self.validator = RequestValidator(auth_token)

    def signed(self, method: str, url: str, params: Params) -> tuple[str, Params, dict[str, str]]:
        """Twilio signs a POST over the URL and its form; a GET carries the parameters in the
        query string and is signed over the whole URL."""
        if method == "GET":
            joiner = "&" if urlsplit(url).query else "?"
            url = url + joiner + urlencode(params) if params else url
            params = []
        signature = self.validator.compute_signature(url, _as_dict(params))
        return url, params, {"X-Twilio-Signature": signature}


def _as_dict(params: Params) -> dict[str, str | list[str]]:
    merged: dict[str, str | list[str]] = {}
    for key, value in params:
        if key in merged:
            earlier = merged[key]
            merged[key] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
        else:
            merged[key] = value
    return merged


class Webhooks:
    """Sends signed requests to the app and records each with the app's answer."""

    def __init__(self, signer: Signer, transport: Transport, store: Store) -> None:
        self.signer = signer
        self.transport = transport
        self.store = store

    def send(self, url: str, params: Params, method: str = "POST") -> Answer:
        signed_url, body, headers = self.signer.signed(method, url, params)
        answer = self.transport.send(method, signed_url, body, headers)
        self.store.log_webhook(url, params, answer.status)
        return answer


class StatusCallbacks:
    """Status callbacks put through the chosen ``Disorder``. Callbacks for one SID come from
    one lane, so holding them back per SID needs no lock beyond the dict's own."""

    def __init__(self, webhooks: Webhooks) -> None:
        self.webhooks = webhooks
        self.disorder = Disorder.IN_ORDER
        self.held: dict[str, list[tuple[str, Params]]] = {}

    def send(self, sid: str, url: str, params: Params) -> None:
        """Send now, twice, never, or hold until ``flush`` sends them backwards."""
        if self.disorder is Disorder.NEVER:
            return
        if self.disorder is Disorder.OUT_OF_ORDER:
            self.held.setdefault(sid, []).append((url, params))
            return
        self.webhooks.send(url, params)
        if self.disorder is Disorder.DUPLICATED:
            self.webhooks.send(url, params)

    def flush(self, sid: str) -> None:
        """The resource reached its final status: send what was held, last first."""
        for url, params in reversed(self.held.pop(sid, [])):
            self.webhooks.send(url, params)


class Lanes:
    """Background work in a few threads. Work for one resource (one SID) always goes to the
    same lane, so its callbacks keep the order we chose; work may wait for its moment (a text
    spends seconds queued, then sending, before the carrier takes it), which a timer keeps;
    ``wait_idle`` lets tests settle."""

    def __init__(self, count: int = 4) -> None:
        self.queues: list[queue.Queue[Callable[[], object] | None]] = [
            queue.Queue() for _ in range(count)
        ]
        self.timer = Timer(self.submit)
        self.threads = [
            threading.Thread(target=self._work, args=(q,), daemon=True, name=f"sim-lane-{i}")
            for i, q in enumerate(self.queues)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, key: str, work: Callable[[], object], delay: float = 0.0) -> None:
        if delay > 0:
            self.timer.at(time.monotonic() + delay, key, work)
            return
        self.queues[zlib.crc32(key.encode()) % len(self.queues)].put(work)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until no lane has work and no work waits for its moment (work may add work to
        another lane, or schedule more, so look again)."""
        deadline = time.monotonic() + timeout
        while self.timer.pending() or any(lane.unfinished_tasks for lane in self.queues):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def stop(self) -> None:
        self.timer.stop()
        for lane in self.queues:
            lane.put(None)

    @staticmethod
    def _work(lane: queue.Queue[Callable[[], object] | None]) -> None:
        while True:
            work = lane.get()
            try:
                if work is None:
                    return
                work()
            except Exception:  # one broken callback must not stop the lane
                log.exception("simulator background work failed")
            finally:
                lane.task_done()


class Timer:
    """One thread that hands each piece of work to its lane when its moment comes. Moments
    are ``time.monotonic()``: a test that freezes the wall clock does not stop the carrier."""

    def __init__(self, hand_over: Callable[[str, Callable[[], object]], None]) -> None:
        self.hand_over = hand_over
        self.due: list[tuple[float, int, str, Callable[[], object]]] = []
        self.order = itertools.count()
        self.changed = threading.Condition()
        self.in_hand = 0  # taken off the heap, not yet in its lane
        self.stopped = False
        threading.Thread(target=self._run, daemon=True, name="sim-timer").start()

    def at(self, moment: float, key: str, work: Callable[[], object]) -> None:
        with self.changed:
            heapq.heappush(self.due, (moment, next(self.order), key, work))
            self.changed.notify()

    def pending(self) -> int:
        with self.changed:
            return len(self.due) + self.in_hand

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify()

    def _run(self) -> None:
        while True:
            with self.changed:
                while not self.stopped and (not self.due or self.due[0][0] > time.monotonic()):
                    wait = self.due[0][0] - time.monotonic() if self.due else None
                    self.changed.wait(wait)
                if self.stopped:
                    return
                _, _, key, work = heapq.heappop(self.due)
                self.in_hand += 1
            try:
                self.hand_over(key, work)
            finally:
                with self.changed:
                    self.in_hand -= 1
