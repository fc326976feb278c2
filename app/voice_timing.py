"""How long a call takes to a caller, counted one way for ``phoneline simulate call``,
``bench/member_tasks.py`` and ``tests/test_member_task_times.py`` (issue 18).

Speech is its words at 150 a minute, counted as a speech engine must say them: a run of 3 or
more digits is one word per digit ("911" is three words, as "9 1 1" is), a clock time ("6:30")
two. A key press costs 1 s, each key of an entry too (a ZIP is 5 s, "0#" 2 s), a spoken answer
2 s, a silence the ``timeout`` of the ``<Gather>`` it answers; keys that stop short of its
``numDigits`` without ``finishOnKey`` cost that ``timeout`` too (Twilio waits for another key).
Full-listen: the caller lets every prompt finish before answering, which is the figure the
targets apply to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

WORDS_PER_MINUTE = 150
KEY_SECONDS = 1.0
SPEECH_SECONDS = 2.0
DEFAULT_WAIT = 5.0

_CLOCK = re.compile(r"^\d{1,2}:\d{2}$")


def spoken_words(text: str) -> int:
    count = 0
    for token in text.split():
        bare = token.strip(".,;:!?¿¡()\"'")
        digits = re.sub(r"\D", "", bare)
        if _CLOCK.match(bare):
            count += 2
        elif len(digits) >= 3 and not re.search(r"[^\d\-.,()]", bare):
            count += len(digits)
        elif bare:
            count += 1
    return count


def speech_seconds(text: str) -> float:
    return spoken_words(text) * 60 / WORDS_PER_MINUTE


@dataclass
class Wait:
    """One answer the caller gave: after ``heard`` things had been said, it took ``seconds``."""

    heard: int
    seconds: float
    keys: int = 0


@dataclass
class TimedScript:
    """A simulator ``Script`` that keeps what each answer cost. ``documents`` is filled by the
    transport with each TwiML document, so a silence is timed by the ``<Gather>`` it answers."""

    inner: Any
    documents: list[str]
    waits: list[Wait] = field(default_factory=list)

    @property
    def waited(self) -> float:
        return sum(wait.seconds for wait in self.waits)

    def next_input(self, call: Any, verb: str) -> Any:
        from app.simulator import Keys, Silence, Speech, Talk

        choice = self.inner.next_input(call, verb)
        seconds, keys = 0.0, 0
        if isinstance(choice, Silence):
            seconds = self._timeout(verb)
        elif isinstance(choice, Talk):
            seconds = float(choice.seconds)
        elif isinstance(choice, Keys):
            keys = len(choice.digits)
            seconds = KEY_SECONDS * keys + self._after_keys(verb, choice.digits)
        elif isinstance(choice, Speech):
            seconds = SPEECH_SECONDS
        self.waits.append(Wait(len(call.heard), seconds, keys))
        return choice

    def _timeout(self, verb: str) -> float:
        waiting = self._verb(verb)
        return float(waiting.get("timeout", "5")) if waiting is not None else DEFAULT_WAIT

    def _after_keys(self, verb: str, keys: str) -> float:
        """Keys short of ``numDigits`` and without ``finishOnKey`` are posted only when the
        ``timeout`` runs out, as on Twilio (a lone 0 at the ZIP entry)."""
        from app.simulator.voice import waits_after_keys

        waiting = self._verb(verb)
        if verb != "Gather" or waiting is None or not waits_after_keys(waiting.attrib, keys):
            return 0.0
        return float(waiting.get("timeout", "5"))

    def _verb(self, verb: str) -> ElementTree.Element | None:
        if not self.documents:
            return None
        root = ElementTree.fromstring(self.documents[-1])  # noqa: S314 - the line's own TwiML
        return next(iter(root.iter(verb)), None)


@dataclass(frozen=True)
class Timing:
    seconds: float
    keys: int


def until(call: Any, script: TimedScript, heard_index: int | None = None) -> Timing:
    """Full-listen time and keys from the start of the call to the end of ``call.heard[index]``
    (the whole call when None)."""
    heard = call.heard if heard_index is None else call.heard[: heard_index + 1]
    speech = sum(speech_seconds(h.text) for h in heard if h.kind == "say")
    waits = [w for w in script.waits if w.heard <= len(heard) - (heard_index is not None)]
    keys = sum(w.keys for w in waits)
    return Timing(round(speech + sum(w.seconds for w in waits), 1), keys)


def before_first_key(document: str) -> float:
    """Speech in the first document before a key can work: every ``<Say>`` ahead of the first
    ``<Gather>`` (what is inside it can be cut short by a key)."""
    root = ElementTree.fromstring(document)  # noqa: S314 - the line's own TwiML
    seconds = 0.0
    for element in root:
        if element.tag == "Gather":
            break
        if element.tag == "Say":
            seconds += speech_seconds(element.text or "")
    return seconds
