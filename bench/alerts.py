"""How fast a member's CALL text becomes a facilitator's alert at the Twilio API simulator.

    .venv/bin/python bench/alerts.py [--latency 100] [--runs 5] [--recipients 2000] [--cap 10]

Two ``phoneline worker`` processes run as in production (their sweep timer every 5 s); the
simulator runs in its own process at 100 ms per request. A member texts CALL (a signed webhook
into the app, in this process); the time counted ends when the simulator receives the create
for the alert to the on-call facilitator. First with an empty outbox, then while a broadcast to
``--recipients`` members is being sent at ``--cap`` texts per second: the alert must not wait
behind the broadcast (SPEC §9: replies and alerts go ahead of bulk).

The simulator stamps each message it creates with the wall clock; this process starts its
timer on the same clock. Status callbacks are off (no web server runs).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app
from app.config import PLACEHOLDER_AUTH_TOKEN
from app.db import utcnow
from app.extensions import phoneline
from app.migrate import upgrade
from app.models import Facilitator
from app.simulator import Simulator
from bench.broadcast import LINE, _environ, _midday_zone, _start_simulator, plan
from workers.worker import SWEEP_INTERVAL

FACILITATOR = "+14155550123"
BASE = "http://127.0.0.1:5000"


def main() -> None:
    options = _options()
    instance = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    sim, control = _start_simulator(options.latency / 1000, _answer)
    environ = {**_environ(instance), "TWILIO_API_BASE_URL": sim, "SMS_MAX_PER_SECOND": options.cap}
    app = create_app({**environ, "INSTANCE_PATH": str(instance)})
    upgrade(phoneline(app).db)
    workers = [_worker(environ, instance) for _ in range(2)]
    try:
        with app.app_context():
            _on_call(app)
            quiet = [_one_alert(app, control, n) for n in range(options.runs)]
            plan(app, "busy", "+1888555", options.recipients, send_at=utcnow())
            _wait_for_bulk(control, 20)
            busy = [_one_alert(app, control, 100 + n) for n in range(options.runs)]
            control.send(("count", "bulk"))
            bulk_sent: int = control.recv()
    finally:
        for worker in workers:
            worker.terminate()
        control.send("stop")
    print(
        f"latency {options.latency:g} ms per request, 2 workers, sweep every 5 s, "
        f"SMS cap {options.cap}/s"
    )
    _row("empty outbox", quiet)
    _row(f"during a {options.recipients}-recipient broadcast", busy)
    print(f"broadcast texts sent meanwhile: {bulk_sent} (of {options.recipients})")


def _row(label: str, seconds: list[float]) -> None:
    print(
        f"{label:<40} median {statistics.median(seconds):5.2f} s  "
        f"max {max(seconds):5.2f} s  ({len(seconds)} runs)"
    )


def _on_call(app: Any) -> None:
    with phoneline(app).db.session() as session:
        session.add(
            Facilitator(
                slug="ana", name="Ana", phone=FACILITATOR, languages=["en"], on_call=True,
                timezone=_midday_zone(),
            )
        )  # fmt: skip


def _one_alert(app: Any, control: Any, n: int) -> float:
    """Seconds from the member's CALL to the alert's create at the simulator. A random pause
    first, so the text does not always land at the same point of the workers' sweep timer."""
    time.sleep(random.uniform(0, SWEEP_INTERVAL))
    control.send(("count", FACILITATOR))
    before: int = control.recv()
    started = time.time()
    _text(app, f"+1415555{n % 10000:04d}", "CALL")
    while True:
        time.sleep(0.05)
        control.send(("arrivals", FACILITATOR))
        arrivals: list[float] = control.recv()
        if len(arrivals) > before:
            return arrivals[before] - started


def _text(app: Any, sender: str, body: str) -> None:
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": sender, "To": LINE, "Body": body}
    url = f"{BASE}/twilio/sms"
    signature = RequestValidator(PLACEHOLDER_AUTH_TOKEN).compute_signature(url, params)
    answer = app.test_client().post(
        "/twilio/sms", data=params, headers={"X-Twilio-Signature": signature}
    )
    assert answer.status_code == 200


def _wait_for_bulk(control: Any, count: int) -> None:
    """Until the broadcast is really going out."""
    while True:
        control.send(("count", "bulk"))
        if control.recv() >= count:
            return
        time.sleep(0.2)


def _worker(environ: dict[str, str], instance: Path) -> subprocess.Popen[bytes]:
    code = "from app.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "worker"],
        env={**os.environ, **environ, "PHONELINE_INSTANCE": str(instance)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _answer(simulator: Simulator, command: tuple[str, str]) -> int | list[float]:
    what, number = command
    times = _arrivals(simulator, number)
    return len(times) if what == "count" else times


def _arrivals(simulator: Simulator, number: str) -> list[float]:
    """When each text to ``number`` (or, for "bulk", to anyone else) reached the simulator."""
    with simulator.store.lock:
        sent = [m for m in simulator.store.messages.values() if m.direction == "outbound-api"]
    wanted = [m for m in sent if (m.to != FACILITATOR if number == "bulk" else m.to == number)]
    return sorted(m.date_created.timestamp() for m in wanted)


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency", type=float, default=100.0, help="milliseconds per request")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--cap", default="10", help="SMS_MAX_PER_SECOND during the run")
    return parser.parse_args()


if __name__ == "__main__":
    main()
