"""The database every store shares: an async engine, set up for a long-running bot.

SQLite gets its folder created, WAL (readers never wait for the writer), foreign keys
(off by default in SQLite), a busy timeout, and transactions that SQLAlchemy begins itself:
the ``sqlite3`` driver's legacy mode skips ``BEGIN`` before DDL and SELECT, which would
make schema upgrades non-transactional. Write transactions begin ``IMMEDIATE`` so two
processes queue for the write lock up front instead of failing with "database is locked"
when a read turns into a write.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Table, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

# Long enough to outlast a 10,000-row publish or a schema upgrade held by another process.
SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
SUPPORTED_DIALECTS: Final = frozenset({"sqlite", "postgresql"})
_READ_ONLY: Final = "storage_read_only"


class Database:
    """One database: read and write transactions over a shared connection pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        """Use ``engine`` (see ``create_engine``), its schema already upgraded."""
        if engine.dialect.name not in SUPPORTED_DIALECTS:
            raise ValueError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            )
        self.engine = engine
        self._reader = engine.execution_options(**{_READ_ONLY: True})
        # SQLite has one writer at a time; queueing writers here costs nothing, while letting
        # them collide on the file lock makes SQLite's busy handler sleep (milliseconds each).
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that only reads (SQLite begins it deferred, so it never waits)."""
        async with self._reader.connect() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (serialised in this process on SQLite)."""
        if self._write_lock is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self.engine.begin() as conn:
            yield conn

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """An INSERT that can say ON CONFLICT: both dialects spell it through their own insert()."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def create_engine(url: str | URL, **engine_kwargs: Any) -> AsyncEngine:
    """Create the async engine for ``url``; ``engine_kwargs`` go to ``create_async_engine``."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, **engine_kwargs)
    _create_parent_folder(parsed.database)
    engine = create_async_engine(parsed, **engine_kwargs)
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _create_parent_folder(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _on_sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # None turns off the driver's own BEGIN handling; _on_sqlite_begin emits BEGIN instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        # With WAL, NORMAL loses nothing on a process crash (kill -9), only possibly the
        # last commits on a power cut, and saves an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "DEFERRED" if conn.get_execution_options().get(_READ_ONLY) else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")
