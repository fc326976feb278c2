"""Calls as Twilio runs them, on a call clock.

An outbound call is ``queued`` until Twilio dials it (``start_time`` is set then: "Empty if the
call has not yet been dialed"), ``ringing`` until the phone picks up after its own delay, or it
ends ``busy``, ``no-answer`` (after the create's ``Timeout``) or ``failed``, with no ``end_time``
("Empty if the call did not complete successfully") and no ``duration``.

Every call has its own clock: seconds of call time since the create. Each verb spends the time
it takes on a phone (a ``<Say>`` at a speaking rate, a silent ``<Gather>`` its ``timeout``), and
``CallTiming.pace`` turns call time into real time: 1.0 beside ``make run``, 0 in tests, where
events keep the order Twilio gives them and nothing sleeps. Things that happen at a moment of
call time (a machine's beep, the answering-machine verdict) fire while the verb around them
plays; a REST update of the call cuts that verb short, as at Twilio.

Answering-machine detection (docs/simulator.md has the sources) listens from the answer: a
person's short "hello?" is ``human`` once 1.2 s of silence follow it; a greeting longer than
2.4 s is ``machine_start``, or with ``DetectMessageEnd`` ``machine_end_beep``/``_silence``/
``_other`` when the greeting ends; a fax tone is ``fax``; nothing decided within
``MachineDetectionTimeout`` (30 s) is ``unknown``. With ``AsyncAmd`` the TwiML runs meanwhile
and the verdict is posted to ``AsyncAmdStatusCallback`` at its moment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.simulator.phones import Phone
from app.simulator.records import Call
from app.simulator.voice import CallSession, Next

if TYPE_CHECKING:
    from app.simulator.server import Simulator

# Twilio's AMD defaults (MachineDetectionSpeechThreshold, ...SpeechEndThreshold), in seconds.
SPEECH_THRESHOLD = 2.4
SPEECH_END = 1.2
HELLO = 1.2  # a person picks up and says "Hello?": speech starts, and ends, within this
FAX_TONE = 3.0  # a fax machine's answer tone, heard for long enough to be sure
MACHINE_ENDS = ("beep", "silence", "other")
log = logging.getLogger(__name__)


@dataclass
class CallTiming:
    """How long the parts of a call take, in seconds of call time, and how fast call time runs
    (``pace``: real seconds per second of call time)."""

    pace: float = 0.0
    queued: float = 1.0  # the create until Twilio dials (queue_time)
    person_answers: float = 6.0  # about one ring
    machine_answers: float = 20.0  # voicemail picks up after four rings or so
    fax_answers: float = 3.0
    busy: float = 3.0  # dialled until the busy tone
    failed: float = 1.0  # dialled until the carrier gives up
    words_per_second: float = 2.5  # 150 words a minute, as ``phoneline simulate call`` counts
    keys: float = 1.5  # a person finding the key, or starting to speak
    play: float = 5.0  # a <Play> whose length the simulator does not know

    def saying(self, text: str) -> float:
        return len(text.split()) / self.words_per_second


class Hold:
    """Calls stop at a point until ``release()``: at ``"dial"`` a call stays ``queued`` (Twilio
    queues calls beyond the account's calls per second); at ``"verdict"`` a call stops just
    after AMD's verdict was posted, so a test decides when the app's answer to it lands.
    ``reached`` is set once a call stops there."""

    def __init__(self, at: str) -> None:
        assert at in ("dial", "verdict"), at
        self.at = at
        self.reached = threading.Event()
        self.released = threading.Event()

    def stop_here(self) -> None:
        self.reached.set()
        self.released.wait()

    def release(self) -> None:
        self.released.set()


@dataclass(order=True)
class _Due:
    at: float
    order: int
    run: Callable[[int | None], None] = field(compare=False)  # given what is playing


@dataclass
class CallClock:
    """One call's time: ``now`` seconds since the create, and what falls due when."""

    now: float = 0.0
    answered: float | None = None
    due: list[_Due] = field(default_factory=list)

    def at(self, moment: float, run: Callable[[int | None], None]) -> None:
        self.due.append(_Due(moment, len(self.due), run))
        self.due.sort()

    def next_before(self, end: float) -> _Due | None:
        if self.due and self.due[0].at <= end:
            return self.due.pop(0)
        return None


def change_pending(call: Call) -> bool:
    """A REST update (hang up, new URL or TwiML) waits to be applied."""
    return call.hangup_requested or call.redirect is not None or call.redirect_twiml is not None


def verdict(phone: Phone, mode: str, timeout: float) -> tuple[str, float]:
    """AMD's ``AnsweredBy`` for ``phone`` and when it decides (seconds after the answer)."""
    if phone.detected is not None:
        found, after = phone.detected
    elif phone.answer == "fax":
        found, after = "fax", FAX_TONE
    elif phone.answer == "machine" and mode == "DetectMessageEnd":
        found, after = f"machine_end_{phone.machine_end}", phone.greeting
    elif phone.answer == "machine":
        found, after = "machine_start", min(phone.greeting, SPEECH_THRESHOLD + 0.4)
    else:
        found, after = "human", HELLO + SPEECH_END
    return (found, after) if after <= timeout else ("unknown", timeout)


class Calls:
    """The call side of a ``Simulator``: clocks, holds, and the outbound call's life."""

    def __init__(self, sim: Simulator, timing: CallTiming) -> None:
        self.sim = sim
        self.timing = timing
        self.clocks: dict[str, CallClock] = {}
        self.holds: dict[str, Hold] = {}
        self.undecided: set[str] = set()  # CallSids whose async AMD verdict is still to come
        self.stopped = threading.Event()
        self.running = 0  # outbound calls in progress

    def clock(self, call: Call) -> CallClock:
        with self.sim.store.lock:
            return self.clocks.setdefault(call.sid, CallClock())

    # --- time -------------------------------------------------------------------------------

    def spend(self, call: Call, seconds: float, playing: int | None = None) -> None:
        """Let ``seconds`` of call time pass (``playing``: the index in ``call.heard`` of what
        plays meanwhile), firing what falls due; a REST update or ``stop`` ends it early."""
        clock = self.clock(call)
        end = clock.now + seconds
        while (due := clock.next_before(end)) is not None:
            if not self._pass(call, clock, due.at):
                return
            due.run(playing)
            if change_pending(call) or self.stopped.is_set():
                self._cut(call, playing)
                return
        self._pass(call, clock, end)

    def _pass(self, call: Call, clock: CallClock, until: float) -> bool:
        """Wait in real time for the call's clock to reach ``until``; False when cut short."""
        seconds = until - clock.now
        if seconds > 0 and self.timing.pace > 0:
            started = time.monotonic()
            deadline = started + seconds * self.timing.pace
            while True:
                call.changed.clear()  # cleared before looking, so no update can be missed
                if change_pending(call) or self.stopped.is_set():
                    clock.now += (time.monotonic() - started) / self.timing.pace
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                call.changed.wait(left)
        clock.now = max(clock.now, until)
        return True

    @staticmethod
    def _cut(call: Call, playing: int | None) -> None:
        """What was playing when the call was moved at a beep did not reach the recording."""
        if playing is not None and call.voicemail_from == playing:
            call.voicemail_from = playing + 1

    # --- holds ------------------------------------------------------------------------------

    def hold(self, at: str) -> Hold:
        hold = Hold(at)
        self.holds[at] = hold
        return hold

    def stop_at(self, at: str) -> None:
        hold = self.holds.get(at)
        if hold is not None and not self.stopped.is_set():
            hold.stop_here()

    def stop(self) -> None:
        self.stopped.set()
        for hold in list(self.holds.values()):
            hold.release()
        with self.sim.store.lock:
            for call in self.sim.store.calls.values():
                call.changed.set()

    # --- the answer -------------------------------------------------------------------------

    def answered(self, call: Call) -> None:
        """The phone picked up: a machine's recording starts when its greeting ends."""
        clock = self.clock(call)
        clock.answered = clock.now
        phone = self.sim.phone(call.to)
        if phone.answer == "machine" and call.direction != "inbound":
            clock.at(clock.now + phone.greeting, lambda playing: self._beep(call, playing))

    @staticmethod
    def _beep(call: Call, playing: int | None) -> None:
        call.voicemail_from = len(call.heard) if playing is None else playing

    def talk_seconds(self, call: Call) -> int | None:
        clock = self.clock(call)
        if clock.answered is None:
            return None
        return max(1, round(clock.now - clock.answered))

    # --- an outbound call's life ------------------------------------------------------------

    def start(self, call: Call) -> None:
        """Each call on its own thread: a paced call lasts minutes, and must not hold up the
        texts and callbacks that share the simulator's background lanes."""
        with self.sim.store.lock:
            self.running += 1
        threading.Thread(target=self._run, args=(call,), daemon=True, name="sim-call").start()

    def idle(self) -> bool:
        with self.sim.store.lock:
            return self.running == 0

    def _run(self, call: Call) -> None:
        try:
            self.run_outbound(call)
        except Exception:  # one broken call must not leave wait_idle waiting for it
            log.exception("simulator call failed")
        finally:
            with self.sim.store.lock:
                self.running -= 1

    def run_outbound(self, call: Call) -> None:
        phone = self.sim.phone(call.to)
        self.stop_at("dial")
        self.spend(call, self.timing.queued)
        if self.stopped.is_set():
            return
        outcome = self._dial(call, phone)
        if outcome != "answered":
            self.sim.end_call(call, outcome)
            return
        self._answer(call, phone)
        session = CallSession(self.sim, call, phone.script)
        session.run(Next(call.url, call.method) if call.url else call.twiml or "<Response/>")
        self.sim.end_call(call, "completed")
        self._undecided(call)

    def _dial(self, call: Call, phone: Phone) -> str:
        if not call.hangup_requested:
            self.sim.dialled(call)
            outcome = self._ring(call, phone)
        # Hung up through the API (Status=canceled or completed) before anyone answered.
        return "canceled" if call.hangup_requested else outcome

    def _ring(self, call: Call, phone: Phone) -> str:
        """``answered``, or how the call ended unanswered, after the time that takes."""
        if phone.answer == "failed":
            self.spend(call, self.timing.failed)
            return "failed"
        self.sim.ringing(call)
        pickup = {
            "human": self.timing.person_answers,
            "machine": self.timing.machine_answers,
            "fax": self.timing.fax_answers,
            "busy": self.timing.busy,
        }.get(phone.answer, float(call.timeout))
        if pickup >= call.timeout:
            self.spend(call, float(call.timeout))
            return "no-answer"
        self.spend(call, pickup)
        return "busy" if phone.answer == "busy" else "answered"

    def _answer(self, call: Call, phone: Phone) -> None:
        self.sim.answer_call(call, None)
        if not call.machine_detection:
            return
        found, after = verdict(phone, call.machine_detection, float(call.amd_timeout))
        if not call.async_amd_callback:
            # Synchronous detection: the TwiML waits for the verdict; its first request says it.
            self.spend(call, after)
            self.sim.set_answered_by(call, found)
            return
        self.undecided.add(call.sid)
        clock = self.clock(call)
        clock.at(clock.now + after, lambda playing: self._post_verdict(call, found, after))

    def _post_verdict(self, call: Call, found: str, after: float) -> None:
        self.undecided.discard(call.sid)
        self._send_verdict(call, found, after)
        self.stop_at("verdict")

    def _send_verdict(self, call: Call, found: str, after: float) -> None:
        self.sim.set_answered_by(call, found)
        params = [
            ("AccountSid", call.account_sid), ("AnsweredBy", found), ("CallSid", call.sid),
            ("MachineDetectionDuration", str(round(after * 1000))),
        ]  # fmt: skip
        self.sim.webhooks.send(call.async_amd_callback or "", params)

    def _undecided(self, call: Call) -> None:
        """The call ended before AMD decided: all it can say, afterwards, is ``unknown``."""
        if call.sid not in self.undecided:
            return
        self.undecided.discard(call.sid)
        clock = self.clock(call)
        clock.due.clear()
        self._send_verdict(call, "unknown", clock.now - (clock.answered or clock.now))
