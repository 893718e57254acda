"""Delivery leadership: one leader among processes sharing a PostgreSQL database, a new one
within a retry when it stops or its connection dies; on SQLite the one process leads.

Each contender opens its own ``Storage`` (its own engine and pool), as a replica does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text

from bot.storage import Storage
from bot.storage.leadership import Leadership
from tests.conftest import Database, needs_postgresql

RETRY = 0.3


class Contender:
    """One process's leadership and the work it runs while leading."""

    def __init__(self, store: Storage, name: str) -> None:
        self.store = store
        self.name = name
        self.leadership = Leadership(store.db, retry=RETRY)
        self.working = False
        self.task: asyncio.Task[None] | None = None

    async def work(self) -> None:
        self.working = True
        try:
            await asyncio.Event().wait()  # a worker runs until cancelled
        finally:
            self.working = False

    def start(self) -> None:
        self.task = asyncio.create_task(self.leadership.lead(self.work), name=self.name)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def contenders(database: Database, count: int) -> AsyncIterator[list[Contender]]:
    started = [Contender(await database.open(), f"replica-{n}") for n in range(count)]
    for contender in started:
        contender.start()
    try:
        yield started
    finally:
        for contender in started:
            await contender.stop()


async def one_working(among: list[Contender], timeout: float = 5.0) -> Contender:
    """Wait until exactly one contender works, then check it stays the only one a while."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        working = [c for c in among if c.working]
        if len(working) == 1:
            break
        assert len(working) < 2, f"two leaders at once: {[c.name for c in working]}"
        assert loop.time() < deadline, "no leader within the timeout"
        await asyncio.sleep(0.02)
    for _ in range(int(3 * RETRY / 0.02)):  # several retries of the followers
        assert [c for c in among if c.working] == working
        await asyncio.sleep(0.02)
    return working[0]


@needs_postgresql
async def test_three_replicas_elect_one_leader_and_another_takes_over(
    pg_database_url: str,
) -> None:
    database = Database(pg_database_url)
    try:
        async with contenders(database, 3) as replicas:
            first = await one_working(replicas)
            await first.stop()
            rest = [c for c in replicas if c is not first]
            second = await one_working(rest, timeout=3 * RETRY + 2)
            await second.stop()
            third = await one_working([c for c in rest if c is not second])
            assert third not in (first, second)
    finally:
        await database.close()


@needs_postgresql
async def test_a_leader_whose_session_dies_stops_working_and_another_leads(
    pg_database_url: str,
) -> None:
    """The database ends the leader's session (as a restart or a network cut would): the
    leader notices within a retry and stops its work; a follower takes over."""
    database = Database(pg_database_url)
    try:
        async with contenders(database, 2) as replicas:
            leader = await one_working(replicas)
            admin = await database.open()
            async with admin.db.engine.connect() as conn:
                await conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
                    )
                )
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 3 * RETRY + 2
            while not [c for c in replicas if c is not leader and c.working]:
                assert loop.time() < deadline, "no follower took over"
                await asyncio.sleep(0.02)
            await one_working(replicas)  # and the old leader does not come back alongside
    finally:
        await database.close()


async def test_on_sqlite_the_one_process_leads_at_once(tmp_path: Path) -> None:
    store = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    try:
        await asyncio.wait_for(Leadership(store.db, retry=RETRY).lead(work), timeout=1)
    finally:
        await store.close()
    assert ran.is_set()
