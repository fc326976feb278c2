"""How a caller leaves a ``<Record>``, and what Twilio reports of it (sources in
docs/simulator.md).

A recording ends when the caller presses a key of ``finishOnKey`` (``Digits`` is that one key),
hangs up (``Digits=hangup``, and nothing more of the call's TwiML runs), says nothing for
``timeout`` seconds, or talks for ``maxLength`` seconds (no ``Digits`` for those two). An empty
recording makes no request to ``action``: the call goes on with the verb after ``<Record>``.
The action's ``RecordingDuration`` counts the silence that ended the recording; the recording
itself (and its status callback) is trimmed of it unless ``trim="do-not-trim"``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from app.simulator.phones import SILENCE, HangUp, Input, Keys, Silence, Speech, Talk

FINISH_ON_ANY_KEY = "1234567890*#"  # Twilio's default finishOnKey
DEFAULT_TIMEOUT = 5
DEFAULT_MAX_LENGTH = 3600
WORDS_PER_SECOND = 2.5


@dataclass(frozen=True)
class Take:
    kept: int  # seconds in the recording once trimmed; 0 is an empty recording
    duration: int  # RecordingDuration on the action request
    digits: str | None  # the Digits parameter, when Twilio sends one
    hung_up: bool = False  # the caller hung up to end it
    hangs_up_later: bool = False  # cut off at maxLength, then hangs up as planned

    @property
    def empty(self) -> bool:
        return self.kept == 0


def take(verb: Mapping[str, str], choice: Input) -> Take:
    """What the recording holds and what the action request says, for what the caller did."""
    seconds, then = _talked(choice)
    limit = _seconds(verb.get("maxLength"), DEFAULT_MAX_LENGTH)
    if seconds >= limit:
        return Take(limit, limit, None, hangs_up_later=isinstance(then, HangUp))
    if isinstance(then, HangUp):
        return Take(seconds, seconds, "hangup", hung_up=True)
    key = _finishing_key(verb.get("finishOnKey", FINISH_ON_ANY_KEY), then)
    if key is not None:
        return Take(seconds, seconds, key)
    recorded = min(seconds + _seconds(verb.get("timeout"), DEFAULT_TIMEOUT), limit)
    if seconds == 0:
        return Take(0, 0, None)
    return Take(recorded if verb.get("trim") == "do-not-trim" else seconds, recorded, None)


def _talked(choice: Input) -> tuple[int, Keys | Silence | HangUp]:
    """Seconds of speech, and what the caller did after it."""
    if isinstance(choice, Talk):
        return choice.seconds, choice.then
    if isinstance(choice, Speech):
        return max(1, math.ceil(len(choice.text.split()) / WORDS_PER_SECOND)), SILENCE
    return 0, choice


def _finishing_key(finish_on: str, then: Keys | Silence | HangUp) -> str | None:
    """The first key pressed that is one of ``finishOnKey``; other keys are just sound."""
    if not isinstance(then, Keys):
        return None
    return next((key for key in then.digits if key in finish_on), None)


def _seconds(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else default
