"""Sustained requests per second the simulator answers through the real ``twilio`` client.

    .venv/bin/python bench/simulator.py [--seconds 5] [--threads 8] [--latency 0]

The simulator runs in its own process. Each client thread sends SMS through its own gateway
(the production code path: twilio-python, requests, keep-alive); the simulator delivers them and
records everything, as in tests. Later
benchmarks run the simulator at 100 ms latency, where the client's concurrency decides the rate;
this one runs at 0 ms to show the simulator itself is never the bottleneck.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import threading
import time
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from app.config import PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN, load_config
from app.gateway import Gateway
from app.simulator import Simulator

LINE = "+15005550006"


def main() -> None:
    options = _options()
    urls: multiprocessing.Queue[str] = multiprocessing.Queue()
    done = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(options.latency / 1000, urls, done))
    server.start()
    sim_url = urls.get(timeout=30)
    config = load_config(
        {"TWILIO_API_BASE_URL": sim_url, "SECRET_KEY": "bench"}, Path(tempfile.mkdtemp())
    )
    counts = [0] * options.threads
    stop = time.perf_counter() + options.seconds
    threads = [
        threading.Thread(target=_send_until, args=(Gateway(config), stop, counts, i))
        for i in range(options.threads)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done.set()
    cpu_seconds, served = (float(x) for x in urls.get(timeout=60).split())
    server.join(30)
    total = sum(counts)
    print(
        f"simulator: {total / elapsed:.0f} requests/second sustained "
        f"({total} SMS creates in {elapsed:.1f} s, {options.threads} client threads, "
        f"latency {options.latency:g} ms, real twilio client)"
    )
    per_request = cpu_seconds / max(served, 1)
    print(
        f"simulator CPU per request: {per_request * 1000:.2f} ms "
        f"(capacity about {1 / per_request:.0f} requests/second per core; "
        "the rest of each request's time is the twilio client's)"
    )


def _serve(latency: float, urls: multiprocessing.Queue[str], done: EventType) -> None:
    """The simulator in its own process, as under ``make run``: the client's CPU is not its."""
    simulator = Simulator(
        PLACEHOLDER_ACCOUNT_SID, PLACEHOLDER_AUTH_TOKEN, line_numbers=[LINE], latency=latency
    ).start()
    urls.put(simulator.url)
    cpu = time.process_time()
    done.wait()
    simulator.wait_idle()
    urls.put(f"{time.process_time() - cpu} {len(simulator.store.requests)}")
    simulator.stop()


def _send_until(gateway: Gateway, stop: float, counts: list[int], index: int) -> None:
    number = f"+1415555{index:04d}"
    while time.perf_counter() < stop:
        gateway.send_sms(number, "Benchmark text")
        counts[index] += 1


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.0, help="milliseconds per request")
    return parser.parse_args()


if __name__ == "__main__":
    main()
