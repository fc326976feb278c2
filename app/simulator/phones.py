"""Virtual phones: who answers, what they press or say, what reaches their inbox, and the
carrier's own keyword handling (Twilio's default opt-out management)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from app.simulator.records import Call

# Twilio's default opt-out keywords: one word, any case (SPEC §8).
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


def opt_out_type(body: str) -> str | None:
    """``STOP``, ``START`` or ``HELP`` when the carrier itself acts on this text."""
    word = body.strip().strip(".!").upper()
    if word in STOP_WORDS:
        return "STOP"
    if word in START_WORDS:
        return "START"
    if word in HELP_WORDS:
        return "HELP"
    return None


@dataclass(frozen=True)
class Keys:
    digits: str


@dataclass(frozen=True)
class Speech:
    """Words said to a ``<Gather>``: Twilio posts ``text`` as ``SpeechResult`` and
    ``confidence`` as ``Confidence`` (None: Twilio sends none, which it may do)."""

    text: str
    confidence: float | None = 0.92


@dataclass(frozen=True)
class Silence:
    pass


@dataclass(frozen=True)
class HangUp:
    pass


SILENCE = Silence()


@dataclass(frozen=True)
class Talk:
    """Speaking into a ``<Record>`` for ``seconds``, then ``then``: staying on the line saying
    nothing (the ``timeout`` ends the recording), pressing keys (the first of ``finishOnKey``
    ends it), or hanging up. Talking past ``maxLength`` is cut off there."""

    seconds: int = 6
    then: Keys | Silence | HangUp = SILENCE


Input = Keys | Speech | Silence | Talk | HangUp


class Script(Protocol):
    """What a caller does each time the call waits for them (a ``<Gather>`` or ``<Record>``).
    ``call.heard`` holds everything said so far, for a terminal phone to print."""

    def next_input(self, call: Call, verb: str) -> Input: ...


class ListScript:
    """Inputs in order; a plain string is keys. When the list runs out the caller hangs up."""

    def __init__(self, inputs: Iterable[Input | str] = ()) -> None:
        self.inputs = [Keys(i) if isinstance(i, str) else i for i in inputs]
        self.lock = threading.Lock()

    def next_input(self, call: Call, verb: str) -> Input:
        with self.lock:
            return self.inputs.pop(0) if self.inputs else HangUp()


class MachineScript:
    """An answering machine: it listens to everything and never presses a key."""

    def next_input(self, call: Call, verb: str) -> Input:
        return Talk(0) if verb == "Record" else SILENCE


class TerminalScript:
    """A person at a terminal (``phoneline simulate call``): prints what was said since the last
    turn, then reads a line. Digits, ``*`` and ``#`` are keys; an empty line is silence;
    ``hangup`` or end of input hangs up; anything else is speech."""

    def __init__(self, read: Callable[[], str | None], write: Callable[[str], None]) -> None:
        self.read, self.write = read, write
        self.shown = 0

    def next_input(self, call: Call, verb: str) -> Input:
        self.show(call)
        line = self.read()
        return typed_input(line.strip()) if line is not None else HangUp()

    def show(self, call: Call) -> None:
        """Print what was said since the last turn (call it once more when the call ends)."""
        for heard in call.heard[self.shown :]:
            self.write(f"[{heard.kind}] {heard.text}")
        self.shown = len(call.heard)


def typed_input(line: str) -> Input:
    if not line:
        return SILENCE
    if line.lower() == "hangup":
        return HangUp()
    if all(ch in "0123456789*#" for ch in line):
        return Keys(line)
    return Speech(line)


ANSWERS = ("human", "machine", "fax", "no-answer", "busy", "failed")
UNANSWERED = ("no-answer", "busy", "failed")


@dataclass
class Phone:
    """A simulated handset at ``number``. Unknown numbers answer as silent humans."""

    number: str
    answer: str = "human"
    script: Script = field(default_factory=ListScript)
    sms_outcome: tuple[str, int | None] = ("delivered", None)
    landline: bool = False
    invalid: bool = False
    blocked: bool = False  # the carrier saw STOP from this phone
    talk_seconds: int = 30
    inbox: list[str] = field(default_factory=list)
    greeting: float = 12.0  # a machine's greeting: seconds from its answer to its beep
    machine_end: str = "beep"  # how AMD hears that greeting end: beep, silence or other
    detected: tuple[str, float] | None = None  # AMD's verdict, and when, if not what it finds

    def answers(self, *inputs: Input | str) -> Phone:
        """A person picks up and does these things, in order, then hangs up."""
        self.answer, self.script = "human", ListScript(inputs)
        return self

    def answers_as_machine(self, greeting: float = 12.0, end: str = "beep") -> Phone:
        """Voicemail picks up; its greeting lasts ``greeting`` seconds and ends with ``end``
        (``beep``, ``silence`` or ``other``: what AMD's ``machine_end_*`` verdict says)."""
        assert end in ("beep", "silence", "other"), end
        self.answer, self.script = "machine", MachineScript()
        self.greeting, self.machine_end = greeting, end
        return self

    def answers_as_fax(self) -> Phone:
        self.answer, self.script = "fax", MachineScript()
        return self

    def does_not_answer(self, how: str = "no-answer") -> Phone:
        assert how in UNANSWERED, f"one of {UNANSWERED}"
        self.answer = how
        return self

    def detected_as(self, verdict: str, after: float) -> Phone:
        """Answering-machine detection says ``verdict`` ``after`` seconds into the call, whoever
        answers (AMD guesses from sound: a person with a long hello can be a machine to it)."""
        self.detected = (verdict, after)
        return self

    def texts_fail(self, status: str = "undelivered", code: int = 30003) -> Phone:
        self.sms_outcome = (status, code)
        return self
