"""Faulty broadcast benchmark: 10,000 deliveries while the Bot API fails 10% of the sends.

The real ``DeliveryWorker`` and ``TelegramSender`` (limiter off: capacity) on a fresh SQLite
database (and PostgreSQL too when ``TEST_DATABASE_URL`` is set), against the fake Bot API in
this process, which fails a random, seeded 10% of sendMessage requests: 429 (retry after
1 s; all sends pause), 500 and 502, and timeouts (held past the worker's 1 s read timeout,
then refused: the message was not sent). It prints how long every subscriber took to be
served, the faults met, and how many subscribers got nothing (lost) or more than one copy
(duplicated). Figures, never asserts; one run.
Run: python benchmarks/faulty_broadcast.py [--subscribers 10000] [--rate 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from telegram.ext import ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from benchmarks.crash_recovery import seed  # noqa: E402
from bot.app import bot_defaults  # noqa: E402
from bot.content import load  # noqa: E402
from bot.delivery.sender import WORKER_CONNECTIONS, telegram_worker  # noqa: E402
from bot.delivery.worker import Limits  # noqa: E402
from bot.storage import Storage  # noqa: E402
from testkit.bench import postgres_database  # noqa: E402
from testkit.fakebotapi import FakeBotAPI  # noqa: E402

# Shares of the faults: few 429s, each of which pauses every send for a second.
KINDS = [(429, 0.0)] + [(500, 0.0)] * 8 + [(502, 0.0)] * 8 + [(504, 1.5)] * 3


async def broadcast(name: str, url: str, args: argparse.Namespace) -> None:
    ids = await seed(url, args.subscribers)
    store = await Storage.open(url)
    content = load(ROOT / "intents")
    try:
        async with FakeBotAPI() as server:
            server.fail_randomly("sendMessage", args.rate, KINDS, seed=14)
            request = HTTPXRequest(connection_pool_size=WORKER_CONNECTIONS, read_timeout=1.0)
            bot = ExtBot(
                server.token, base_url=server.base_url, request=request, defaults=bot_defaults()
            )
            worker = telegram_worker(
                store.outbox, bot, content, "faulty", Limits(rate=None, lease=10.0)
            )
            started = time.monotonic()
            async with bot:
                task = asyncio.create_task(worker.run())
                try:
                    while True:
                        counts = await store.outbox.count_by_status()
                        if counts["queued"] == 0 and counts["sending"] == 0:
                            break
                        await asyncio.sleep(0.5)
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            took = time.monotonic() - started
            sends = [c for c in server.calls if c.method == "sendMessage"]
            got = Counter(c.chat_id for c in sends if c.ok)
            faults = Counter(c.status for c in sends if not c.ok)
    finally:
        await store.close()
    print(
        f"  {name:<10} {len(ids)} deliveries in {took:.1f} s; {sum(faults.values())} faults "
        f"({dict(sorted(faults.items()))}) of {len(sends)} sends; "
        f"{sum(1 for c in ids if got[c] == 0)} lost, "
        f"{sum(1 for c in ids if got[c] > 1)} duplicated; outbox {counts}"
    )


async def main(args: argparse.Namespace) -> None:
    print(f"\n{args.subscribers} deliveries, {args.rate:.0%} of sends failing:")
    with tempfile.TemporaryDirectory(prefix="faulty-bench-") as folder:
        await broadcast("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}", args)
    admin = os.environ.get("TEST_DATABASE_URL", "").strip()
    if admin:
        async with postgres_database(admin, "bench_faulty") as url:
            await broadcast("PostgreSQL", url, args)
    else:
        print("  (PostgreSQL skipped: set TEST_DATABASE_URL to include it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=0.10)
    asyncio.run(main(parser.parse_args()))
