import threading
import time

import redis

from workers.limiter import SendLimiter


def max_in_any_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    best, left = 0, 0
    for right, stamp in enumerate(stamps):
        while stamp - stamps[left] >= 1.0:
            left += 1
        best = max(best, right - left + 1)
    return best


def test_two_workers_together_stay_under_the_cap(redis_client):
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        own = redis.Redis(connection_pool=redis_client.connection_pool)
        limiter = SendLimiter(own, "sms-test", per_second=10)
        for _ in range(15):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 30
    assert max_in_any_second(stamps) <= 11
    assert sorted(stamps)[-1] - sorted(stamps)[0] >= 2.8  # 30 sends at 10/s take ~2.9 s


def test_a_long_text_takes_one_slot_per_segment(redis_client):
    limiter = SendLimiter(redis_client, "segments", per_second=10)
    limiter.reserve(weight=3)
    assert 0.25 <= limiter.reserve(weight=1).wait <= 0.31


def test_no_cap_means_no_wait(redis_client):
    limiter = SendLimiter(redis_client, "uncapped", per_second=0)
    assert all(limiter.reserve().wait == 0 for _ in range(100))


def test_a_timeline_booked_past_the_horizon_asks_to_come_back_later(redis_client):
    limiter = SendLimiter(redis_client, "busy", per_second=1)
    for _ in range(5):
        limiter.reserve(horizon=10)
    refused = limiter.reserve(horizon=2)
    assert not refused.granted and refused.retry_after > 0
