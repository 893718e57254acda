"""One delivery leader among the replicas sharing a database.

Telegram's limits are per bot, however many processes serve it, so only one process at a
time runs the delivery worker: the one holding a PostgreSQL *session* advisory lock, taken
with ``pg_try_advisory_lock`` on a connection kept for the purpose. The others try again
every ``RETRY_SECONDS``. When the leader stops or dies, its session ends and PostgreSQL
frees the lock, so another replica leads within a retry. A leader that loses its
connection (a database restart, a network cut) notices at its next check, within a retry,
and stops its worker; until then two workers may overlap for those few seconds.

SQLite serves one process, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.database import Database

logger = logging.getLogger(__name__)

# Not the schema lock's key (bot.storage.schema.ADVISORY_LOCK_KEY): "intvdl".
LEADER_LOCK_KEY: Final = 0x696E7476646C
RETRY_SECONDS: Final = 3.0  # followers try, and the leader checks its connection, this often


class Leadership:
    """Runs work only while this process leads (on SQLite: always)."""

    def __init__(self, db: Database, retry: float = RETRY_SECONDS) -> None:
        self._db = db
        self._retry = retry
        self.leading = False

    async def lead(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work()`` whenever this process leads, until it returns or this is cancelled."""
        if self._db.dialect != "postgresql":
            self.leading = True
            await work()
            return
        while True:
            try:
                if await self._lead_once(work):
                    return
            except (SQLAlchemyError, OSError) as exc:
                logger.warning(
                    "Delivery leadership: the database did not answer (%s); trying again in %g s",
                    exc,
                    self._retry,
                )
            await asyncio.sleep(self._retry)

    async def _lead_once(self, work: Callable[[], Awaitable[None]]) -> bool:
        """Wait for the lock, then run ``work`` while the connection holding it lives.
        True when ``work`` returned; raises when the connection failed."""
        async with self._db.engine.connect() as conn:
            try:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                # Polled: the lock's holder is another process, nothing here could signal.
                while not await conn.scalar(select(func.pg_try_advisory_lock(LEADER_LOCK_KEY))):  # noqa: ASYNC110
                    await asyncio.sleep(self._retry)
                logger.info("This process now leads delivery")
                self.leading = True
                return await self._hold(conn, work)
            finally:
                self.leading = False
                # A session lock outlives a transaction: never hand this connection back to
                # the pool holding it. Closing it ends the session, which frees the lock. A
                # second cancellation still waits for it: the storage is closed next.
                closing = asyncio.ensure_future(conn.invalidate())
                try:
                    await asyncio.shield(closing)
                except asyncio.CancelledError:
                    with contextlib.suppress(Exception):
                        await closing
                    raise
                except Exception:  # noqa: S110 - a failed close ends the session all the same
                    pass

    async def _hold(self, conn: AsyncConnection, work: Callable[[], Awaitable[None]]) -> bool:
        task = asyncio.ensure_future(work())
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=self._retry)
                if not task.done():
                    await conn.execute(text("SELECT 1"))  # raises when the session is gone
        finally:
            if not task.done():
                logger.warning("Delivery leadership lost; stopping the worker")
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        task.result()
        return True
