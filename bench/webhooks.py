"""Webhook latency of the line in its production setup, each run beside a floor.

    .venv/bin/python bench/webhooks.py [--calls 50] [--texters 10] [--pause 3]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/7] [--step-seconds 4]

The line is the Procfile's ``web`` command (gunicorn on ``app:create_app()``, its worker count)
with ``PHONELINE_ENV=production``, on a scratch PostgreSQL database (created beside the one in
``--database-url``, loaded with ``phoneline init`` and ``phoneline demo``, dropped at the end) and
the Redis of ``--redis-url``; ``phoneline worker`` runs beside it, its Twilio being the project's
simulator (in its own process) so that the texts the calls ask for are really sent. The floor is
``bench/webhook_floor.py``: fixed TwiML, the same gunicorn command, the same requests.

Callers and texters are simulated with every request signed exactly as Twilio signs it (the
real ``RequestValidator``), carrying Twilio's usual parameters. The mix: a first call (notice,
language, main menu), a ZIP search read back and confirmed, results heard one by one, an RSVP
with its reminder choice; other calls ask for the details by text, or walk the settings and
privacy menus; texters send a first message, a ZIP, a result's number, RSVP and MY.

Run 1: ``--calls`` calls and ``--texters`` texters at once, each waiting ``--pause`` seconds
between steps: p50/p95/p99 per request. Run 2: open-loop load (requests are sent on a schedule,
latency counts from the scheduled time) rising by half each ``--step-seconds``, until p99 passes
200 ms; it prints the last rate under and the first over. Peak RSS (``VmHWM``) of a web worker
and of the RQ worker over both runs. Status callbacks go nowhere (the simulator cannot reach the
https origin the line is configured for), so they are not part of the load.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://line.bench.invalid"  # PUBLIC_BASE_URL: what requests are signed against
ACCOUNT_SID = "AC" + "b3" * 16
AUTH_TOKEN = "bench-auth-token-" + "7" * 15
LINE = "+14155550100"
AREAS = ("646", "303", "213", "617", "206", "503")  # 555-01xx: no one's number
SLO_MS = 200.0
APOLOGY = "something went wrong"


# --- what callers and texters do -------------------------------------------------------------


@dataclass
class Step:
    press: str  # voice: the keys; sms: the text
    expect: str = ""  # a substring the line's answer must hold ("" = anything but an apology)


VOICE_SCRIPTS = {
    "rsvp": [
        Step("1", "ZIP code"),
        Step("94110", "I heard 9, 4, 1, 1, 0. Group 1 of"),
        Step("3", "Group 2 of"),
        Step("1", "on the list"),
        Step("1", ""),
    ],
    "details": [
        Step("1", "ZIP code"),
        Step("60608", "I heard 6, 0, 6, 0, 8. Group 1 of"),
        Step("2", "by text"),
        Step("9", "next group"),
    ],
    "settings": [
        Step("4", "privacy"),
        Step("4", "privacy"),
        Step("1", ""),
        Step("*", ""),
        Step("2", ""),
    ],
}
SMS_SCRIPT = [
    Step("Hello there", "ES"),
    Step("94110", "MORE"),
    Step("1", "RSVP"),
    Step("RSVP", ""),
    Step("MY", ""),
]


@dataclass
class Request:
    path: str
    params: dict[str, str]
    expect: str
    due: float = 0.0  # when it should be sent (perf_counter), for open-loop latency


@dataclass
class Conversation:
    """One call or one texter: hands out its next signed request and reads the answer."""

    kind: str  # "voice" or "sms"
    number: str
    script: list[Step]
    sid: str = field(default_factory=lambda: uuid.uuid4().hex)
    path: str = "/twilio/voice"
    position: int = -1  # -1: the call has not been answered yet
    done: bool = False
    # A new caller chooses English, which asks the ZIP; star from there is the main menu the
    # scripts start at.
    preamble: list[tuple[str, str]] = field(default_factory=list)
    messages: int = 0

    def next_request(self) -> Request | None:
        if self.done:
            return None
        if self.kind == "sms":
            step = self.script[self.position + 1]
            return Request("/twilio/sms", self._sms(step.press), step.expect)
        if self.position < 0:
            return Request(self.path, self._voice({"CallStatus": "ringing"}), "")
        if self.preamble:
            press, expect = self.preamble[0]
            return Request(self.path, self._voice({"Digits": press}), expect)
        step = self.script[self.position]
        return Request(self.path, self._voice({"Digits": step.press}), step.expect)

    def answered(self, body: str) -> None:
        if self.kind == "sms":
            self.position += 1
            self.done = self.position + 1 >= len(self.script)
            return
        if self.position < 0:
            self.position = 0  # a first call hears the language menu; a known caller the main
            if "Para español" in body:
                self.preamble = [("1", "enter your ZIP code"), ("*", "To find a group, press 1")]
        elif self.preamble:
            self.preamble.pop(0)
        else:
            self.position += 1
        action = re.search(r'action="([^"]+)"', body)
        if action is None or self.position >= len(self.script):
            self.done = True
            return
        self.path = action.group(1).replace("&amp;", "&").removeprefix(ORIGIN)

    def _voice(self, extra: dict[str, str]) -> dict[str, str]:
        params = {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid,
            "CallStatus": "in-progress", "Called": LINE, "CalledCity": "SAN FRANCISCO",
            "CalledCountry": "US", "CalledState": "CA", "CalledZip": "94110",
            "Caller": self.number, "CallerCity": "", "CallerCountry": "US", "CallerState": "",
            "CallerZip": "", "Direction": "inbound", "From": self.number, "FromCity": "",
            "FromCountry": "US", "FromState": "", "FromZip": "", "To": LINE,
            "ToCity": "SAN FRANCISCO", "ToCountry": "US", "ToState": "CA", "ToZip": "94110",
            "StirVerstat": "TN-Validation-Passed-B",
        }  # fmt: skip
        if "Digits" in extra:
            extra = {**extra, "FinishedOnKey": "", "msg": "Gather End"}
        return {**params, **extra}

    def _sms(self, body: str) -> dict[str, str]:
        self.messages += 1
        sid = "SM" + uuid.uuid4().hex
        return {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "Body": body,
            "From": self.number, "FromCity": "", "FromCountry": "US", "FromState": "",
            "FromZip": "", "MessageSid": sid, "NumMedia": "0", "NumSegments": "1",
            "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "To": LINE,
            "ToCity": "SAN FRANCISCO", "ToCountry": "US", "ToState": "CA", "ToZip": "94110",
        }  # fmt: skip


class Population:
    """Hands out conversations in the mix, reusing numbers so that later ones are known."""

    def __init__(self, texter_share: float) -> None:
        self.numbers = itertools.cycle(
            [f"+1{area}55501{n:02d}" for n in range(1, 100) for area in AREAS]
        )
        self.kinds = itertools.cycle(["rsvp", "details", "rsvp", "settings"])
        self.texter_every = round(1 / texter_share) if texter_share else 0
        self.count = 0

    def voice(self) -> Conversation:
        return Conversation("voice", next(self.numbers), VOICE_SCRIPTS[next(self.kinds)])

    def texter(self) -> Conversation:
        return Conversation("sms", next(self.numbers), SMS_SCRIPT)

    def any(self) -> Conversation:
        self.count += 1
        if self.texter_every and self.count % self.texter_every == 0:
            return self.texter()
        return self.voice()


# --- HTTP, signed as Twilio signs ------------------------------------------------------------


@dataclass
class Outcome:
    latency: float  # seconds
    ok: bool
    body: str


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.validator = RequestValidator(AUTH_TOKEN)

    async def send(self, request: Request, since: float | None = None) -> Outcome:
        """POST ``request``; latency from ``since`` (the scheduled time) or from now."""
        started = time.perf_counter() if since is None else since
        signature = self.validator.compute_signature(ORIGIN + request.path, request.params)
        body = urlencode(request.params).encode()
        head = (
            f"POST {request.path} HTTP/1.1\r\nHost: line.bench.invalid\r\n"
            f"X-Twilio-Signature: {signature}\r\nUser-Agent: TwilioProxy/1.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(head.encode() + body)
            await writer.drain()
            raw = await reader.read()
            writer.close()
        except OSError:
            return Outcome(time.perf_counter() - started, False, "")
        latency = time.perf_counter() - started
        status, _, rest = raw.partition(b"\r\n")
        answer = rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
        ok = b" 200 " in status and APOLOGY not in answer
        return Outcome(latency, ok, answer)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    unexpected: int = 0
    sent: int = 0
    examples: list[str] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def add(self, outcome: Outcome, request: Request, check: bool) -> None:
        self.sent += 1
        self.latencies.append(outcome.latency)
        press = request.params.get("Digits") or request.params.get("Body") or "(call)"
        self.slowest = sorted([*self.slowest, (outcome.latency, f"{request.path} {press!r}")])[-5:]
        if not outcome.ok:
            self.errors += 1
        elif check and request.expect and request.expect not in outcome.body:
            self.unexpected += 1
            if len(self.examples) < 3:
                said = " | ".join(re.findall(r">([^<>]+)</(?:Say|Message)>", outcome.body))
                self.examples.append(f"{press!r} wanted {request.expect!r}, heard {said[:160]!r}")

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# --- run 1: conversations at a human pace ----------------------------------------------------


async def paced(port: int, calls: int, texters: int, pause: float, check: bool) -> Tally:
    client, tally, population = Client(port), Tally(), Population(0)
    people = [population.voice() for _ in range(calls)]
    for n in range(texters):  # spread among the calls, not bunched at the end
        people.insert(round((n + 0.5) * len(people) / texters), population.texter())

    async def converse(person: Conversation, offset: float) -> None:
        await asyncio.sleep(offset)
        while (request := person.next_request()) is not None:
            outcome = await client.send(request)
            tally.add(outcome, request, check)
            person.answered(outcome.body)
            await asyncio.sleep(pause)

    spread = pause / max(len(people), 1)
    await asyncio.gather(*(converse(p, i * spread) for i, p in enumerate(people)))
    return tally


async def show(port: int) -> None:
    """Print what each conversation of the mix hears: to check the scripts still fit the line."""
    client = Client(port)
    people = [
        Conversation("voice", f"+1646555019{n}", VOICE_SCRIPTS[k])
        for n, k in enumerate(VOICE_SCRIPTS)
    ] + [Conversation("sms", "+16465550199", SMS_SCRIPT)]
    for person in people:
        print(f"--- {person.kind} {person.script[0].press}")
        while (request := person.next_request()) is not None:
            outcome = await client.send(request)
            said = " | ".join(re.findall(r">([^<>]+)</(?:Say|Message)>", outcome.body))
            mark = "" if not request.expect or request.expect in outcome.body else " [UNEXPECTED]"
            press = request.params.get("Digits") or request.params.get("Body") or "(answer)"
            print(f"{press!r} {outcome.latency * 1000:.0f} ms{mark}: {said}")
            person.answered(outcome.body)


# --- run 2: open-loop load rising until p99 passes the line ----------------------------------


@dataclass
class Level:
    rate: float
    achieved: float
    tally: Tally


async def saturate(port: int, start: float, seconds: float, texter_share: float) -> list[Level]:
    client, population = Client(port), Population(texter_share)
    idle: deque[Conversation] = deque()
    levels: list[Level] = []
    rate = start
    while True:
        level = await _one_level(client, population, idle, rate, seconds)
        levels.append(level)
        over = level.tally.percentile(99) > SLO_MS or level.tally.errors > level.tally.sent / 100
        if over or level.achieved < rate * 0.8 or len(levels) >= 16:
            return levels
        rate *= 1.5


async def _one_level(
    client: Client, population: Population, idle: deque[Conversation], rate: float, seconds: float
) -> Level:
    tally = Tally()
    tasks: set[asyncio.Task[None]] = set()

    async def one(person: Conversation, request: Request) -> None:
        outcome = await client.send(request, since=request.due)
        tally.add(outcome, request, check=False)
        person.answered(outcome.body)
        if not person.done:
            idle.append(person)

    began = time.perf_counter()
    count = int(rate * seconds)
    for n in range(count):
        due = began + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        person = idle.popleft() if idle else population.any()
        request = person.next_request()
        if request is None:
            continue
        request.due = due
        task = asyncio.create_task(one(person, request))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sent_for = time.perf_counter() - began
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    return Level(rate, count / sent_for, tally)


def crossing(levels: list[Level]) -> str:
    under = [lv for lv in levels if lv.tally.percentile(99) <= SLO_MS and not lv.tally.errors]
    over = [lv for lv in levels if lv not in under]
    best = f"{under[-1].rate:.0f}/s" if under else "none"
    if not over:
        return f"> {best} (not reached; load generator limit)"
    first = over[0]
    return f"{best} ok, {first.rate:.0f}/s over (p99 {first.tally.percentile(99):.0f} ms)"


# --- the processes: database, gunicorn, worker, simulator ------------------------------------


@contextmanager
def scratch_database(base_url: str, name: str) -> Iterator[str]:
    base = make_url(base_url)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def line_environ(database_url: str, redis_url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PHONELINE_ENV": "production",
        "PHONELINE_INSTANCE": str(instance),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_PHONE_NUMBER": LINE,
        "PUBLIC_BASE_URL": ORIGIN,
        "SECRET_KEY": "bench-secret-" + "5" * 40,
        "SMS_MAX_PER_SECOND": "50",
        "CALLS_MAX_PER_SECOND": "5",
    }


def phoneline(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from app.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def web_command(port: int, app_spec: str, extra: list[str]) -> list[str]:
    """The Procfile's ``web`` line, its ``${VAR:-default}`` filled in, bound to localhost."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    line = re.sub(
        r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), line[4:]
    )
    words = shlex.split(line)
    words[0] = str(Path(sys.executable).parent / words[0])
    words = [w.replace("0.0.0.0:", "127.0.0.1:").replace(":8000", f":{port}") for w in words]
    return [*words[:-1], *extra, app_spec if app_spec else words[-1]]


@contextmanager
def gunicorn(port: int, env: dict[str, str], app_spec: str = "") -> Iterator[int]:
    extra = ["--pythonpath", str(ROOT / "bench")] if app_spec else []
    command = web_command(port, app_spec, extra)
    env = {**env, "PORT": str(port)}
    server = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        _wait_until_booted(port, server, int(command[command.index("--workers") + 1]))
        yield server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


def _wait_until_booted(port: int, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until the port listens and every worker has loaded the app and gone idle: the master
    listens before its workers have imported anything, and a run that starts then measures
    the boot (seconds on a busy machine), not the line."""
    import socket

    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"gunicorn exited: {stderr[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        pids = children(process.pid)
        before = [_cpu_ticks(pid) for pid in pids]
        time.sleep(0.5)
        if len(pids) >= workers and before == [_cpu_ticks(pid) for pid in pids]:
            return
    raise SystemExit("gunicorn did not start")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])  # utime + stime


def _simulate(pipe: Connection) -> None:
    from app.simulator import Disorder, Simulator

    simulator = Simulator(ACCOUNT_SID, AUTH_TOKEN, line_numbers=[LINE]).start()
    simulator.disorder = Disorder.NEVER
    pipe.send(simulator.url)
    while pipe.recv() != "stop":
        pass
    pipe.send(len(simulator.store.requests))
    simulator.stop()


@contextmanager
def simulator() -> Iterator[Connection]:
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_simulate, args=(theirs,), daemon=True)
    process.start()
    try:
        yield ours
    finally:
        process.terminate()


# --- memory ----------------------------------------------------------------------------------


class PeakMemory:
    """Peak RSS per process: ``VmHWM`` from /proc when there is one, else psutil sampled."""

    def __init__(self) -> None:
        self.watched: dict[str, list[int]] = {}
        self.peaks: dict[int, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def watch(self, role: str, pids: list[int]) -> None:
        self.watched.setdefault(role, []).extend(pids)

    def start(self) -> PeakMemory:
        self.thread.start()
        return self

    def _sample(self) -> None:
        while not self.stop.wait(0.5):
            for pid in [p for pids in self.watched.values() for p in pids]:
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss(pid))

    def peak(self, role: str) -> int:
        return max((self.peaks.get(p, 0) for p in self.watched.get(role, [])), default=0)


def _peak_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:  # noqa: BLE001 - a process that ended has no more memory to report
        return 0


def children(pid: int) -> list[int]:
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children()]
    except ImportError:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(x) for x in found]


# --- the whole run ---------------------------------------------------------------------------


def main() -> None:
    options = _options()
    started = time.perf_counter()
    # `timeout` and CI stop with SIGTERM: unwind, so gunicorn stops and the database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    instance = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    with ExitStack() as stack:
        database_url = stack.enter_context(scratch_database(options.database_url, options.db))
        env = line_environ(database_url, options.redis_url, instance)
        for command in (["init"], ["demo"]):
            process = phoneline(*command, env=env)
            if process.wait(120) != 0:
                raise SystemExit(f"phoneline {command[0]} failed: {process.stderr.read().decode()}")  # type: ignore[union-attr]
        sim = stack.enter_context(simulator())
        worker_env = {**env, "PHONELINE_ENV": "development", "TWILIO_API_BASE_URL": sim.recv()}
        worker = phoneline("worker", env=worker_env)
        stack.callback(_stop, worker)
        line_master = stack.enter_context(gunicorn(options.port, env))
        stack.enter_context(gunicorn(options.port + 1, env, "webhook_floor:create_app()"))
        memory = PeakMemory()
        memory.watch("web", children(line_master))
        memory.watch("rq", [worker.pid])
        memory.start()
        print(f"setup: {time.perf_counter() - started:.1f} s", flush=True)
        if options.show:
            asyncio.run(show(options.port))
            return
        rows, levels = [], {}
        targets = (("line", options.port), ("floor", options.port + 1))
        for name, port in targets if options.only in ("", "1") else ():
            tally = asyncio.run(
                paced(port, options.calls, options.texters, options.pause, check=name == "line")
            )
            rows.append((name, tally))
            print(f"run 1 {name}: {tally.sent} requests", flush=True)
        share = options.texters / max(options.calls + options.texters, 1)
        for name, port in targets if options.only in ("", "2") else ():
            levels[name] = asyncio.run(
                saturate(port, options.start_rate, options.step_seconds, share)
            )
            print(f"run 2 {name}: {len(levels[name])} levels", flush=True)
        memory.stop.set()
        memory.thread.join()
        _report(options, rows, levels, memory, workers=len(children(line_master)))
        sim.send("stop")
    print(f"total time: {time.perf_counter() - started:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


def _report(
    options: argparse.Namespace,
    rows: list[tuple[str, Tally]],
    levels: dict[str, list[Level]],
    memory: PeakMemory,
    workers: int,
) -> None:
    if rows:
        _report_paced(options, rows, workers)
    if levels:
        _report_saturation(options, levels)
    print()
    print(
        f"peak RSS: web worker {memory.peak('web') / 2**20:.0f} MiB, "
        f"RQ worker {memory.peak('rq') / 2**20:.0f} MiB"
    )


def _report_paced(options: argparse.Namespace, rows: list[tuple[str, Tally]], workers: int) -> None:
    floor_tally = dict(rows)["floor"]
    print()
    print(
        f"run 1: {options.calls} calls + {options.texters} texters at once, {options.pause:g} s "
        f"between steps (gunicorn, {workers} sync workers, PostgreSQL, Redis)"
    )
    heads = ("requests", "p50 ms", "p95 ms", "p99 ms", "errors")
    print(f"{'':12}" + "".join(f"{h:>9}" for h in heads) + f"{'unexpected':>11}")
    for name, tally in rows:
        print(
            f"{name:12}{tally.sent:>9}{tally.percentile(50):>9.1f}{tally.percentile(95):>9.1f}"
            f"{tally.percentile(99):>9.1f}{tally.errors:>9}{tally.unexpected:>11}"
        )
    line = dict(rows)["line"]
    ratios = [line.percentile(p) / floor_tally.percentile(p) for p in (50, 95, 99)]
    print(f"{'line/floor':21}" + "".join(f"{r:>8.1f}x" for r in ratios))
    slow = ", ".join(f"{what} {t * 1000:.0f} ms" for t, what in reversed(line.slowest))
    print(f"  slowest line requests: {slow}")
    for example in dict(rows)["line"].examples:
        print(f"  unexpected: {example}")


def _report_saturation(options: argparse.Namespace, levels: dict[str, list[Level]]) -> None:
    print()
    print(
        f"run 2: open-loop, rate x1.5 every {options.step_seconds:g} s, p99 limit {SLO_MS:.0f} ms"
    )
    for name, found in levels.items():
        steps = ", ".join(f"{lv.rate:.0f}/s:{lv.tally.percentile(99):.0f}ms" for lv in found)
        print(f"{name:8}p99 crosses {SLO_MS:.0f} ms: {crossing(found)}")
        print(f"{'':8}({steps})")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--texters", type=int, default=10)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between steps")
    parser.add_argument("--start-rate", type=float, default=10.0, help="run 2's first rate")
    parser.add_argument("--step-seconds", type=float, default=4.0)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument("--db", default="bench_webhooks", help="the scratch database's name")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--only", choices=("1", "2"), default="", help="one of the two runs")
    parser.add_argument("--show", action="store_true", help="print one of each conversation")
    return parser.parse_args()


if __name__ == "__main__":
    main()
