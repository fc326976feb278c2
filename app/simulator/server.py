"""The Twilio API simulator (SPEC §15): one object to start, script, fault and inspect.

    sim = Simulator(account_sid, auth_token, line_numbers=["+15005550006"],
                    sms_url=f"{base}/twilio/sms", voice_url=f"{base}/twilio/voice")
    sim.start()                       # sim.url is what TWILIO_API_BASE_URL points at
    sim.phone("+14155550100").answers("1", Speech("yes"), SILENCE)
    sim.add_fault(Fault(status=503, when="after"))
    sim.disorder = Disorder.OUT_OF_ORDER
    sim.wait_idle(); sim.messages_to("+14155550100")

Messages move queued → sending → sent → delivered (or the phone's scripted failure) over
``sim.carrier.timing`` in background lanes, with signed status callbacks
(``sim.carrier.hold()`` keeps them queued); calls ring the virtual phone and run the app's TwiML.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from app.simulator import api
from app.simulator.calls import Calls, CallTiming, Hold
from app.simulator.carrier import Carrier
from app.simulator.faults import ERROR_CODES, Fault, Faults
from app.simulator.http import Server
from app.simulator.phones import Input, ListScript, Phone, Script
from app.simulator.records import (
    API_VERSION,
    Call,
    Message,
    Recording,
    Store,
    new_sid,
    now,
)
from app.simulator.voice import CallSession, Next
from app.simulator.webhooks import (
    Disorder,
    HttpTransport,
    Lanes,
    Signer,
    StatusCallbacks,
    Transport,
    Webhooks,
)

_CONTROL = re.compile(r"^/_simulator/phones/(?P<number>\+\d+)/(?P<what>texts|inbox)$")


class Simulator:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        line_numbers: Iterable[str],
        sms_url: str = "",
        voice_url: str = "",
        api_keys: dict[str, str] | None = None,
        transport: Transport | None = None,
        latency: float = 0.0,
        timing: CallTiming | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.line_numbers = list(line_numbers)
        self.sms_url, self.voice_url = sms_url, voice_url
        self.api_keys = dict(api_keys or {})
        self.latency = latency
        self.store = Store()
        self.faults = Faults()
        self.webhooks = Webhooks(Signer(auth_token), transport or HttpTransport(), self.store)
        self.status_callbacks = StatusCallbacks(self.webhooks)
        self.carrier = Carrier(self)
        self.lanes = Lanes()
        self.phones: dict[str, Phone] = {}
        self.calls = Calls(self, timing or CallTiming())
        self._server: Server | None = None

    @property
    def disorder(self) -> Disorder:
        """How status callbacks reach the app (``Disorder``); in order unless a test says."""
        return self.status_callbacks.disorder

    @disorder.setter
    def disorder(self, value: Disorder) -> None:
        self.status_callbacks.disorder = value

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Simulator:
        self._server = Server((host, port), self.dispatch)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="sim-http")
        thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the simulator first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def timing(self) -> CallTiming:
        """How long calls take and how fast call time runs (``CallTiming``)."""
        return self.calls.timing

    def stop(self) -> None:
        self.calls.stop()
        self.faults.release_held()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.lanes.stop()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every delivery, call and callback in flight has finished (release held calls
        first: a call stopped at a ``Hold`` is still in flight)."""
        deadline = time.monotonic() + timeout
        while not (self.calls.idle() and self.lanes.wait_idle(0)):
            # One may hand work to the other (a call's recording callback goes to a lane).
            if not self.lanes.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def later(self, key: str, work: Callable[[], object], delay: float = 0.0) -> None:
        """Run ``work`` in ``key``'s lane, after ``delay`` seconds."""
        self.lanes.submit(key, work, delay)

    # --- scripting ------------------------------------------------------------------------

    def phone(self, number: str) -> Phone:
        with self.store.lock:
            return self.phones.setdefault(number, Phone(number))

    def add_fault(self, fault: Fault) -> Fault:
        return self.faults.add(fault)

    # --- inspecting -----------------------------------------------------------------------

    def messages_to(self, number: str) -> list[Message]:
        with self.store.lock:
            return [m for m in self.store.messages.values() if m.to == number]

    def duplicate_texts(self) -> list[list[Message]]:
        """Outbound texts with the same recipient and body, grouped: what a member would see
        twice. Exactly-once tests assert this is empty."""
        groups: dict[tuple[str, str], list[Message]] = {}
        with self.store.lock:
            for message in self.store.messages.values():
                if message.direction == "outbound-api":
                    groups.setdefault((message.to, message.body), []).append(message)
        return [group for group in groups.values() if len(group) > 1]

    def calls_to(self, number: str) -> list[Call]:
        with self.store.lock:
            return [c for c in self.store.calls.values() if c.to == number]

    def callbacks_to(self, path: str) -> list[dict[str, str]]:
        """The parameters of every request the simulator made to ``path`` (any query)."""
        with self.store.lock:
            hooks = [w for w in self.store.webhooks if _path(w.url) == path]
        return [dict(w.params) for w in hooks]

    def peak_rate(
        self, resource: str = "Messages", window: float = 1.0, segments: bool = False
    ) -> float:
        """The most successful creates (or their segments) in any ``window`` seconds."""
        with self.store.lock:
            hits = [
                (r.at, r.segments if segments else 1)
                for r in self.store.requests
                if r.resource == resource and r.method == "POST" and 200 <= r.status < 300
            ]
        return _peak(hits, window)

    # --- REST -----------------------------------------------------------------------------

    def dispatch(self, request: api.Request) -> api.Reply | None:
        if self.latency:
            time.sleep(self.latency)
        if not self._authorised(request.auth):
            return api.error(401, 20003, "Authenticate")
        control = _CONTROL.match(request.path)
        if control:
            return self._control(request, control["number"], control["what"])
        match = api.ROUTE.match(request.path)
        if match is None or match["account"] != self.account_sid:
            return api.not_found(request.path)
        handler = api.handler_for(request.method, match["resource"], match["sid"], match["format"])
        if handler is None:
            return api.error(405, 20004, "Method not allowed")
        fault = self.faults.take(request.method, match["resource"])
        reply = _with_fault(fault, lambda: handler(self, request, match["sid"]))
        self.store.log_request(
            request.method, match["resource"], reply.status if reply else 0,
            reply.segments if reply else 0,
        )  # fmt: skip
        return reply

    def _authorised(self, auth: tuple[str, str] | None) -> bool:
        if auth is None:
            return False
        user, password = auth
        if user == self.account_sid:
            return password == self.auth_token
        return user in self.api_keys and self.api_keys[user] == password

    def _control(self, request: api.Request, number: str, what: str) -> api.Reply:
        """A small JSON control API for a simulator in another process (``make run``)."""
        if what == "texts" and request.method == "POST":
            replies = self.text_line(number, request.value("Body") or "")
            return api.json_reply(200, {"replies": replies})
        return api.json_reply(200, {"inbox": list(self.phone(number).inbox)})

    # --- messages (the carrier's) ---------------------------------------------------------

    def add_message(self, **fields: object) -> Message:
        return self.carrier.add_message(**fields)

    def text_line(self, number: str, body: str, media: Iterable[str] = ()) -> list[str]:
        """A virtual phone texts the line (with ``media``, content types such as
        ``["image/jpeg"]``, a picture message); returns what came back to it."""
        return self.carrier.text_line(number, body, tuple(media))

    # --- calls ----------------------------------------------------------------------------

    def add_call(self, **fields: object) -> Call:
        call = Call(sid=new_sid("CA"), account_sid=self.account_sid, **fields)  # type: ignore[arg-type]
        with self.store.lock:
            self.store.calls[call.sid] = call
        return call

    def hold_calls(self, at: str) -> Hold:
        """Stop calls at ``"dial"`` (still queued) or ``"verdict"`` (just after AMD's verdict)
        until ``release()`` (``app/simulator/calls.py``)."""
        return self.calls.hold(at)

    def spend(self, call: Call, seconds: float, playing: int | None = None) -> None:
        """Let ``seconds`` of the call's own time pass (``CallTiming.pace`` in real time)."""
        self.calls.spend(call, seconds, playing)

    def dispatch_call(self, call: Call) -> None:
        if self.disorder is Disorder.EARLY:
            self._call_event(call, "initiated")
        self.calls.start(call)

    def dialled(self, call: Call) -> None:
        queued = self.calls.clock(call).now
        self._change(call, start_time=now(), queue_ms=round(queued * 1000))
        if self.disorder is not Disorder.EARLY:
            self._call_event(call, "initiated")

    def ringing(self, call: Call) -> None:
        self._change(call, status="ringing")
        self._call_event(call, "ringing")

    def answer_call(self, call: Call, answered_by: str | None) -> None:
        self._change(call, status="in-progress", answered_by=answered_by)
        if call.start_time is None:  # a <Dial> leg or an incoming call: dialled as it rang
            self._change(call, start_time=now())
        self.calls.answered(call)
        self._call_event(call, "answered")

    def set_answered_by(self, call: Call, answered_by: str) -> None:
        self._change(call, answered_by=answered_by)

    def end_call(self, call: Call, status: str) -> None:
        completed = status == "completed"
        seconds = self.calls.talk_seconds(call) if completed else None
        if call.start_time is None and status != "canceled":  # a <Dial> leg: dialled as it rang
            self._change(call, start_time=now())
        self._change(call, status=status, end_time=now() if completed else None, seconds=seconds)
        self._call_event(call, "completed")
        self.status_callbacks.flush(call.sid)
        call.finished.set()

    def talk(self, call: Call, seconds: int) -> None:
        """A bridged conversation of ``seconds``: on the leg's clock and its parent's."""
        self.calls.clock(call).now += seconds
        parent = self.store.calls.get(call.parent_call_sid or "")
        if parent is not None:
            self.spend(parent, seconds)

    def _change(self, call: Call, **fields: object) -> None:
        """Twilio's ``date_updated`` moves when the call changes, not when it is read."""
        with self.store.lock:
            for name, value in fields.items():
                setattr(call, name, value)
            call.date_updated = now()

    def _call_event(self, call: Call, event: str) -> None:
        if not call.status_callback or event not in call.status_events:
            return
        call.sequence += 1
        params = [
            ("AccountSid", call.account_sid), ("ApiVersion", API_VERSION),
            ("CallSid", call.sid), ("CallStatus", _call_status(call, event)),
            ("CallbackSource", "call-progress-events"), ("Direction", call.direction),
            ("From", call.from_), ("SequenceNumber", str(call.sequence - 1)),
            ("Timestamp", now().strftime("%a, %d %b %Y %H:%M:%S +0000")), ("To", call.to),
        ]  # fmt: skip
        if event == "completed":
            params.append(("CallDuration", str(call.duration or 0)))
        if call.answered_by and not call.async_amd_callback:
            params.append(("AnsweredBy", call.answered_by))
        self.status_callbacks.send(call.sid, call.status_callback, params)

    def call_line(
        self,
        number: str,
        *inputs: Input | str,
        stir: str | None = None,
        script: Script | None = None,
    ) -> Call:
        """A virtual phone calls the line and does ``inputs`` (or what ``script`` decides, e.g. a
        ``TerminalScript``); returns the finished call."""
        call = self.add_call(
            to=self.line_numbers[0], from_=number, direction="inbound", url=self.voice_url
        )
        call.status = "ringing"  # Twilio's first request for an incoming call says so
        extra = {"StirVerstat": stir} if stir else None
        session = CallSession(self, call, script or ListScript(inputs), extra)
        session.on_answer = lambda: self.answer_call(call, None)
        session.run(Next(self.voice_url))
        self.end_call(call, "completed")
        return call

    # --- recordings -----------------------------------------------------------------------

    def add_recording(self, call: Call, seconds: int) -> Recording:
        recording = Recording(new_sid("RE"), self.account_sid, call.sid, seconds)
        with self.store.lock:
            self.store.recordings[recording.sid] = recording
        return recording


def _with_fault(fault: Fault | None, work: Callable[[], api.Reply]) -> api.Reply | None:
    if fault is None:
        return work()
    if fault.delay:
        time.sleep(fault.delay)
    done = work() if fault.when == "after" else None
    if fault.hold:
        fault.released.wait()
        return None
    if fault.status:
        message = "Too Many Requests" if fault.status == 429 else "Service unavailable"
        return api.error(fault.status, ERROR_CODES.get(fault.status, 20500), message)
    return done or work()


def _peak(hits: list[tuple[float, int]], window: float) -> float:
    hits.sort()
    best = total = start = 0
    for end in range(len(hits)):
        total += hits[end][1]
        while hits[end][0] - hits[start][0] >= window:
            total -= hits[start][1]
            start += 1
        best = max(best, total)
    return float(best)


def _call_status(call: Call, event: str) -> str:
    return "initiated" if event == "initiated" else call.status


def _path(url: str) -> str:
    return urlsplit(url).path
