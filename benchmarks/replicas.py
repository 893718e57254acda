"""Replica benchmark: two and three bots on one PostgreSQL database, default settings.

Needs ``TEST_DATABASE_URL`` (a fresh database is created per run and dropped afterwards).
For 2 and 3 replicas of ``python -m bot run`` (webhook mode, as replicas run) against the
fake Bot API server in this process, with ``--subscribers`` subscribers and one update to
all of them, it prints: the busiest second (Telegram allows about 30 messages a second per
bot), the sustained rate (messages over the broadcast's span), which replicas delivered;
then kill -9 of the leader once a third is out: the longest gap between two sends across
the failover, the time until every subscriber is served, duplicates and losses.
Figures, never asserts; one run. Run: python benchmarks/replicas.py [--subscribers 600]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks.crash_recovery import seed  # noqa: E402
from bot.classifier import Classifier  # noqa: E402
from bot.content import load  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.storage.tables import deliveries  # noqa: E402
from testkit.bench import postgres_database, start_bot, stop_bot  # noqa: E402
from testkit.fakebotapi import FakeBotAPI  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def busiest_second(times: Sequence[float]) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def sends(server: FakeBotAPI) -> list[tuple[float, int]]:
    return [
        (c.at, c.chat_id)
        for c in server.calls
        if c.method == "sendMessage" and c.ok and isinstance(c.chat_id, int)
    ]


@contextlib.asynccontextmanager
async def replicas(
    server: FakeBotAPI, url: str, count: int, state: Path
) -> AsyncIterator[list[asyncio.subprocess.Process]]:
    started = []
    log = (state / f"replicas-{count}.log").open("ab")
    try:
        for n in range(count):
            port = free_port()
            folder = state / f"r{n}"
            folder.mkdir(exist_ok=True)
            (folder / "model").symlink_to(state / "model")
            started.append(
                await start_bot(
                    server, folder, stdout=log, stderr=log, DATABASE_URL=url,
                    BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                    BOT_WEBHOOK_SECRET="bench", BOT_PORT=str(port),  # noqa: S106
                )
            )  # fmt: skip
        yield started
    finally:
        for process in started:
            with contextlib.suppress(Exception):
                await stop_bot(process, timeout=20)
        log.close()


async def wait(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("not within the timeout")
        await asyncio.sleep(0.05)


async def leader_pid(url: str) -> int:
    store = await Storage.open(url)
    try:
        async with store.db.engine.connect() as conn:
            name = (
                await conn.execute(
                    select(deliveries.c.claimed_by)
                    .where(deliveries.c.claimed_by.is_not(None))
                    .limit(1)
                )
            ).scalar_one()
    finally:
        await store.close()
    return int(name.rsplit(":", 1)[1])


async def run(count: int, admin: str, state: Path, args: argparse.Namespace) -> None:
    async with postgres_database(admin, "bench_replicas") as url, FakeBotAPI() as server:
        ids = await seed(url, args.subscribers)
        async with replicas(server, url, count, state) as started:
            await wait(lambda: len(sends(server)) >= len(ids), 120)
            times = [at for at, _ in sends(server)]
            rate = (len(times) - 1) / (max(times) - min(times))
            print(
                f"  {count} replicas: busiest second {busiest_second(times)} messages, "
                f"sustained {rate:.1f}/s over {len(times)} messages"
            )
            # Kill -9 of the leader a third of the way into the next update.
            store = await Storage.open(url)
            try:
                await store.outbox.publish(None, "Second", None)
            finally:
                await store.close()
            await wait(lambda: len(sends(server)) >= len(ids) * 4 // 3, 60)
            pid = await leader_pid(url)
            leader = next(p for p in started if p.pid == pid)
            leader.kill()
            await leader.wait()
            killed = time.monotonic()
            at_kill = len(sends(server))
            await wait(lambda: len({c for _, c in sends(server)[len(ids) :]}) >= len(ids), 120)
            served = time.monotonic() - killed
            after = [at for at, _ in sends(server)[len(ids) :]]
            gap = max(b - a for a, b in itertools.pairwise(after))
            got = Counter(c for _, c in sends(server)[len(ids) :])
            print(
                f"    kill -9 of the leader after {at_kill - len(ids)} sends: longest gap "
                f"{gap:.1f} s, every subscriber served {served:.1f} s after the kill, "
                f"{sum(n - 1 for n in got.values())} duplicated, "
                f"{sum(1 for c in ids if c not in got)} lost; busiest second after the kill "
                f"{busiest_second([at for at in after if at >= killed - 1])}"
            )


async def main(args: argparse.Namespace) -> None:
    admin = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not admin:
        print("TEST_DATABASE_URL not set: replicas need PostgreSQL")
        return
    print(f"\nreplicas on one PostgreSQL, default settings, {args.subscribers} subscribers:")
    for count in (2, 3):
        with tempfile.TemporaryDirectory(prefix="replica-bench-") as folder:
            state = Path(folder)
            Classifier.load_or_fit(load(ROOT / "intents"), state / "model")
            await run(count, admin, state, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=600)
    asyncio.run(main(parser.parse_args()))
