import subprocess
import sys

import redis

from app.embedded_redis import EmbeddedRedis


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def test_processes_of_one_instance_share_one_server(tmp_path):
    first, second = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    url = first.acquire()
    assert second.acquire() == url
    redis.Redis.from_url(url).set("shared", "yes")
    assert redis.Redis.from_url(second.url).get("shared") == b"yes"
    first.release()
    second.release()


def test_the_server_stops_when_the_last_user_leaves(tmp_path):
    first, second = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    url = first.acquire()
    second.acquire()
    first.release()
    assert answers(url), "another user is still there"
    second.release()
    assert not answers(url)


def test_a_process_that_exits_hands_the_server_to_those_still_using_it(tmp_path):
    mine = EmbeddedRedis(tmp_path)
    url = mine.acquire()
    script = (
        "import pathlib; from app.embedded_redis import EmbeddedRedis; "
        f"EmbeddedRedis(pathlib.Path({str(tmp_path)!r})).acquire()"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    assert answers(url)
    mine.release()
    assert not answers(url)


def test_a_long_instance_path_still_gets_a_usable_socket(tmp_path):
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    embedded = EmbeddedRedis(deep)
    assert answers(embedded.acquire())
    assert len(str(embedded.socket_path)) <= 100
    embedded.release()
