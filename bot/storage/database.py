"""Opening the database: an async engine, with SQLite set up for a long-running bot.

SQLite gets its folder created, WAL (readers never wait for the writer), foreign keys
(off by default in SQLite), a busy timeout, and transactions that SQLAlchemy begins itself:
the ``sqlite3`` driver's legacy mode skips ``BEGIN`` before DDL and SELECT, which would
make migrations non-transactional. Write transactions begin ``IMMEDIATE`` so two processes
queue for the write lock up front instead of failing with "database is locked" when a
read turns into a write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

# Long enough to outlast a 10,000-row publish or a migration held by another process.
SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
_READ_ONLY: Final = "subscriptions_read_only"


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


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine (and pool) for transactions that only read: SQLite begins them deferred."""
    return engine.execution_options(**{_READ_ONLY: True})


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
