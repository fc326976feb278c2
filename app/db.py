"""The database handle: one engine and session factory per app, bound in the factory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    pass


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


ERASED = "phoneline.erased"
CHECKPOINT_BUSY_MS = 2000


def erased(session: Session) -> None:
    """Personal data was deleted in this unit of work: on SQLite, once it commits, the
    write-ahead log (which still holds the pages as they were) is folded into the database and
    emptied. PostgreSQL needs nothing here (production only runs on it)."""
    session.info[ERASED] = True


def checkpoint_wal(engine: Engine) -> None:
    """Best effort, and brief: a reader that holds an old snapshot for longer than
    ``CHECKPOINT_BUSY_MS`` leaves the log as it is until the next erasure or SQLite's own
    checkpoint (a member's reply must not wait on it)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_BUSY_MS}")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
    finally:
        connection.close()


def make_database(url: str, *, immediate: bool = True) -> Database:
    """``immediate=False`` is for a test's arranging-and-asserting session on SQLite: it only
    takes the write lock when it writes, so it never blocks the app under test while it reads."""
    engine = create_engine(url, **_engine_options(url))
    sessions = sessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, immediate)

        @event.listens_for(sessions, "after_commit")
        def _after_commit(session: Session) -> None:
            if session.info.pop(ERASED, False):
                checkpoint_wal(engine)

    return Database(engine, sessions)


# A PostgreSQL that accepts connections and never answers (hung, or a half-open network path)
# would otherwise hold a webhook forever; Twilio waits 15 s for an answer, so give up well before
# and answer the caller with the apology (SPEC §7.9). A ``connect_timeout`` in the URL wins.
CONNECT_TIMEOUT = 5


def _engine_options(url: str) -> dict[str, Any]:
    # Parameters hold numbers and message bodies: keep them out of exception messages (which RQ
    # stores) and out of echo logs (SPEC §12).
    if url.startswith("sqlite"):
        return {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "hide_parameters": True,
        }
    return {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 10,
        "hide_parameters": True,
        "connect_args": {} if "connect_timeout=" in url else {"connect_timeout": CONNECT_TIMEOUT},
    }


def _configure_sqlite(engine: Engine, immediate: bool) -> None:
    """SQLite has no row locks: a transaction that reads a seat count and then writes must hold
    the write lock from its first statement, or two of them both see the last free seat. So every
    transaction begins IMMEDIATE (SQLAlchemy's documented pysqlite recipe); WAL keeps readers
    unblocked. SQLite is the development database; PostgreSQL uses row locks instead."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted rows are overwritten with zeros, not left in free pages for anyone who reads
        # the file (a member's erased number, a code text); see also ``erased``.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
