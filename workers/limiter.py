"""The shared send limiter (SPEC §9): never more than the cap of SMS segments or call starts
per second across all workers.

Each send reserves its slot on one timeline kept in Redis: a slot starts where the previous one
ended (or now), and lasts ``weight / rate`` seconds, so a 3-segment text takes three slots. The
reservation is one Lua script using Redis's own clock, so workers on different machines share
one timeline without trusting each other's clocks. The caller sleeps until its slot starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local free_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(free_at, now)
local horizon = tonumber(ARGV[2])
if start - now > horizon then
  return {-1, start - now}
end
local finish = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(finish), 'PX', math.ceil(finish - now) + 60000)
return {start - now, 0}
"""


@dataclass(frozen=True)
class Reservation:
    wait: float  # seconds until the slot starts; 0 for now
    granted: bool  # False: the timeline is booked beyond the horizon, come back later
    retry_after: float = 0.0


class SendLimiter:
    def __init__(self, connection: redis.Redis, key: str, per_second: float) -> None:
        self.connection = connection
        self.key = f"phoneline:limiter:{key}"
        self.per_second = per_second
        self._script = connection.register_script(_RESERVE)

    def reserve(self, weight: int = 1, horizon: float = 30.0) -> Reservation:
        """Book ``weight`` units on the shared timeline, unless that would start more than
        ``horizon`` seconds from now (a job should not sleep for minutes holding a worker)."""
        if self.per_second <= 0:
            return Reservation(0.0, True)
        cost_ms = weight * 1000.0 / self.per_second
        wait_ms, behind_ms = self._script(keys=[self.key], args=[cost_ms, horizon * 1000])
        if int(wait_ms) < 0:
            return Reservation(0.0, False, retry_after=float(behind_ms) / 1000 - horizon)
        return Reservation(float(wait_ms) / 1000, True)

    def acquire(self, weight: int = 1) -> None:
        """Reserve and sleep until the slot starts."""
        while True:
            reservation = self.reserve(weight)
            if reservation.granted:
                time.sleep(reservation.wait)
                return
            time.sleep(max(reservation.retry_after, 0.05))
