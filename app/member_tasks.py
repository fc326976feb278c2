"""A new caller's common tasks, run as whole calls through the Twilio simulator and timed
(issue 18). ``bench/member_tasks.py`` prints the table; ``tests/test_member_task_times.py``
fails when a flow gets slower than its target. Both need a line with the demo directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Any

from flask import Flask

from app.simulator import SILENCE, HangUp, Keys, Simulator, WsgiTransport
from app.simulator.phones import Input
from app.voice_timing import TimedScript, Timing, before_first_key, until

ZIP = "94110"  # the demo directory's Mission district: groups within a mile
LANGUAGE_KEYS = {"en": "1", "es": "2"}
MAX_ANSWERS = 40  # a silent caller's call must end well before this


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    target: float  # seconds, full-listen
    presses: tuple[str | None, ...]  # after the language key; None is silence
    done: str | None  # the prompt key whose first words mark the task done; None: the call's end


TASKS = (
    Task("first_key", "speech before the first key can be pressed", 12.0, (), None),
    Task("nearest", "hear the nearest group", 45.0, (ZIP,), "voice.result.next"),
    Task("rsvp", "RSVP to the nearest group", 60.0, (ZIP, "1"), "voice.rsvp.seat"),
    Task("callback", "callback request", 40.0, ("0#",), "voice.callback.done"),
    Task("silence", "silence only, to the last goodbye", 0.0, (), None),
)


@dataclass(frozen=True)
class Measured:
    task: Task
    language: str
    timing: Timing
    said: list[str]

    @property
    def met(self) -> bool:
        return self.task.target == 0 or self.timing.seconds <= self.task.target


class _Keeping(WsgiTransport):
    def __init__(self, app: Flask, origin: str) -> None:
        super().__init__(app, origin)
        self.documents: list[str] = []

    def send(self, method: str, url: str, params: Any, headers: dict[str, str]) -> Any:
        answer = super().send(method, url, params, headers)
        if "/twilio/voice" in url and answer.status == 200:
            self.documents.append(answer.body.decode("utf-8", "replace"))
        return answer


class _Presses:
    def __init__(self, presses: list[str | None]) -> None:
        self.presses, self.silent = presses, 0

    def next_input(self, call: Any, verb: str) -> Input:
        if self.presses:
            press = self.presses.pop(0)
            return Keys(press) if press else SILENCE
        self.silent += 1
        return SILENCE if self.silent < MAX_ANSWERS else HangUp()


_callers = count(1)


def run(app: Flask, task: Task, language: str) -> Measured:
    """One whole call by a number the line has never heard from."""
    from app.extensions import phoneline

    settings = phoneline(app).config
    transport = _Keeping(app, settings.public_base_url)
    simulator = Simulator(
        settings.account_sid,
        settings.auth_token,
        line_numbers=[settings.phone_number],
        voice_url=f"{settings.public_base_url}/twilio/voice",
        transport=transport,
    )
    presses: list[str | None] = [] if task.name == "silence" else [LANGUAGE_KEYS[language]]
    if task.name == "first_key":
        presses = []
    script = TimedScript(_Presses([*presses, *task.presses]), transport.documents)
    caller = f"+1415555{next(_callers) % 10000:04d}"
    call = simulator.call_line(caller, script=script)
    simulator.wait_idle()
    said = [h.text for h in call.heard if h.kind == "say"]
    if task.name == "first_key":
        seconds = round(before_first_key(transport.documents[0]), 1)
        return Measured(task, language, Timing(seconds, 0), said)
    return Measured(task, language, _timing(app, call, script, task, language), said)


def _timing(app: Flask, call: Any, script: TimedScript, task: Task, language: str) -> Timing:
    if task.done is None:
        return until(call, script)
    marker = _first_words(app, language, task.done)
    found = _index(call, lambda text: marker in text)
    if found is None:
        raise AssertionError(f"{task.name} ({language}) never heard {marker!r}: {call.said()}")
    return until(call, script, found)


def _index(call: Any, matches: Callable[[str], bool]) -> int | None:
    return next((i for i, h in enumerate(call.heard) if h.kind == "say" and matches(h.text)), None)


def _first_words(app: Flask, language: str, key: str) -> str:
    from app.extensions import phoneline

    return phoneline(app).prompts.template(language, key).split("{")[0].strip()


def load_demo(app: Flask) -> None:
    """The shipped demo directory, as ``phoneline demo`` loads it."""
    from flask.cli import ScriptInfo

    from app.cli import cli

    outcome = app.test_cli_runner().invoke(cli, ["demo"], obj=ScriptInfo(create_app=lambda: app))
    if outcome.exit_code != 0:
        raise RuntimeError(f"phoneline demo failed: {outcome.output}")


def run_all(app: Flask, languages: tuple[str, ...] = ("en", "es")) -> list[Measured]:
    return [run(app, task, language) for task in TASKS for language in languages]


def table(results: list[Measured]) -> str:
    lines = [f"{'task (new caller, full-listen)':44} {'lang':4} {'seconds':>8} {'keys':>4}  target"]
    for measured in results:
        task, timing = measured.task, measured.timing
        target = f"<= {task.target:g} s" if task.target else "no hang-up before the offer"
        mark = "ok" if measured.met else "OVER"
        lines.append(
            f"{task.label:44} {measured.language:4} {timing.seconds:8.1f} {timing.keys:4}  "
            f"{target} {mark}"
        )
    return "\n".join(lines)
