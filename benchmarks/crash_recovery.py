"""Crash-recovery benchmark: kill -9 of the bot mid-broadcast, a restart, and the time until
every subscriber is served.

For SQLite (and PostgreSQL too when ``TEST_DATABASE_URL`` is set: a fresh database is
created for the run and dropped afterwards): ``--subscribers`` subscribers and one update for
all of them; ``python -m bot run`` with default settings (rate 25/s, lease 10 s) against the
fake Bot API server in this process; SIGKILL once ``--kill-after`` messages are out; a new
``python -m bot run`` at once. It prints how long after the kill (and after the restart)
every subscriber had been served, how many were served twice (the in-flight bound is
``WORKER_CONNECTIONS + FLUSH_SIZE``) and how many were lost. Figures, never asserts; one run.
Run: python benchmarks/crash_recovery.py [--subscribers 300] [--kill-after 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bot.classifier import Classifier  # noqa: E402
from bot.content import load  # noqa: E402
from bot.delivery.sender import WORKER_CONNECTIONS  # noqa: E402
from bot.delivery.worker import FLUSH_SIZE  # noqa: E402
from bot.storage import Storage  # noqa: E402
from testkit.bench import Watcher, postgres_database, start_bot, stop_bot  # noqa: E402
from testkit.fakebotapi import FakeBotAPI  # noqa: E402

SUBSCRIBER_BASE = 1_000_000


@dataclass(frozen=True)
class Recovery:
    """One kill and restart."""

    database: str
    at_kill: int
    served_after_kill: float
    served_after_restart: float
    duplicates: int
    lost: int


async def seed(url: str, subscribers: int) -> list[int]:
    """Subscribers following everything, and one update queued for them."""
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from bot.storage.tables import chats

    ids = [SUBSCRIBER_BASE + index for index in range(subscribers)]
    store = await Storage.open(url)
    try:
        now = datetime.now(UTC)
        async with store.db.engine.begin() as conn:
            await conn.execute(
                insert(chats),
                [
                    {"chat_id": c, "language": "en", "follows_all": True, "active": True,
                     "created_at": now}
                    for c in ids
                ],
            )  # fmt: skip
        await store.outbox.publish(None, "Crash-recovery benchmark", None)
    finally:
        await store.close()
    return ids


async def recover(name: str, url: str, state: Path, args: argparse.Namespace) -> Recovery:
    """Kill the bot mid-broadcast, restart it, and time the rest."""
    ids = await seed(url, args.subscribers)
    async with FakeBotAPI() as server:
        watcher = Watcher(server)
        log = (state / f"{name}.log").open("wb")
        with log:
            first = await start_bot(server, state, stdout=log, stderr=log, DATABASE_URL=url)
            try:
                await watcher.wait(
                    lambda: len(watcher.sent) >= args.kill_after, 60, "first deliveries"
                )
            finally:
                first.kill()
                await first.wait()
            killed = time.monotonic()
            watcher.update()
            at_kill = sum(watcher.sent.values())
            second = await start_bot(server, state, stdout=log, stderr=log, DATABASE_URL=url)
            restarted = time.monotonic()
            try:
                await watcher.wait(lambda: watcher.replied(ids), 120, "every subscriber")
                served = time.monotonic()
            finally:
                await stop_bot(second)
        watcher.update()
    return Recovery(
        database=name,
        at_kill=at_kill,
        served_after_kill=served - killed,
        served_after_restart=served - restarted,
        duplicates=sum(watcher.sent.get(c, 0) - 1 for c in ids if watcher.sent.get(c, 0) > 1),
        lost=sum(1 for c in ids if c not in watcher.sent),
    )


@contextlib.asynccontextmanager
async def databases(state: Path) -> AsyncIterator[list[tuple[str, str]]]:
    """SQLite always; PostgreSQL when TEST_DATABASE_URL is set."""
    found = [("SQLite", f"sqlite+aiosqlite:///{state / 'bench.sqlite3'}")]
    admin = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not admin:
        yield found
        return
    async with postgres_database(admin, "bench_recovery") as url:
        yield [*found, ("PostgreSQL", url)]


async def main(args: argparse.Namespace) -> None:
    """Measure on each database and print."""
    results = []
    with tempfile.TemporaryDirectory(prefix="recovery-bench-") as folder:
        state = Path(folder)
        Classifier.load_or_fit(load(ROOT / "intents"), state / "model")  # a fast start
        async with databases(state) as found:
            for name, url in found:
                results.append(await recover(name, url, state, args))
    print(
        f"\nkill -9 mid-broadcast, {args.subscribers} subscribers, default settings "
        f"(in-flight bound {WORKER_CONNECTIONS + FLUSH_SIZE}):"
    )
    for r in results:
        print(
            f"  {r.database:<10} killed after {r.at_kill} sent; every subscriber served "
            f"{r.served_after_kill:.1f} s after the kill ({r.served_after_restart:.1f} s after "
            f"the restart); {r.duplicates} duplicated, {r.lost} lost"
        )
    if not os.environ.get("TEST_DATABASE_URL", "").strip():
        print("  (PostgreSQL skipped: set TEST_DATABASE_URL to include it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=60, help="messages out before kill")
    asyncio.run(main(parser.parse_args()))
