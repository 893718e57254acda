"""Delivery leases: short, renewed while the worker lives, released soon after it dies.

The real worker and the real outbox on a fresh database; the sender is a few lines of fake
(the Bot API side has its own tests), so the tests control how long a send takes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator

from bot.delivery.worker import DeliveryWorker, Limits
from bot.storage import DeliveryStatus, Storage
from bot.storage.records import Delivery


class SlowSender:
    """Holds every send until ``go`` is set, counting the sends per chat."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.sent: Counter[int] = Counter()

    async def send(self, chat_id: int, text: str) -> None:
        await self.go.wait()
        self.sent[chat_id] += 1


def render(delivery: Delivery) -> str:
    return delivery.text


@contextlib.asynccontextmanager
async def running(worker: DeliveryWorker) -> AsyncIterator[None]:
    task = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class HeldOutbox:
    """An outbox whose lease renewal is held up until ``go`` is set; nothing to deliver."""

    def __init__(self, store: Storage) -> None:
        self._outbox = store.outbox
        self.renewing = asyncio.Event()
        self.go = asyncio.Event()

    def __getattr__(self, name: str) -> object:
        return getattr(self._outbox, name)

    async def renew(self, worker: str) -> int:
        self.renewing.set()
        try:
            await self.go.wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0.2)  # cut off, a query cleans up (rolls back) a while
            raise
        return 0


async def test_a_stopped_worker_leaves_no_task_behind(store: Storage) -> None:
    """Stopped while renewing its leases, the worker waits for that to end (cutting it off
    after its grace, as this renewal never ends) before it returns: its owner closes the
    storage next, and nothing may still be using it."""
    outbox = HeldOutbox(store)
    limits = Limits(rate=None, lease=1.0, stop_grace=0.3)
    worker = DeliveryWorker(outbox, SlowSender(), render, "w", limits)  # type: ignore[arg-type]
    before = asyncio.all_tasks()
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(outbox.renewing.wait(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert asyncio.all_tasks() - before == set(), "a task of the worker outlived it"


async def statuses(store: Storage) -> dict[DeliveryStatus, int]:
    return dict((await store.stats()).deliveries)


async def test_a_worker_slower_than_its_lease_keeps_its_rows(store: Storage) -> None:
    """Sends held up three leases long (as by a long RetryAfter) are renewed: another worker
    never takes them over, so nothing is sent twice."""
    for chat in (1, 2, 3):
        await store.chats.follow(chat, None, "en")
    await store.outbox.publish(None, "hello", None)
    limits = Limits(rate=None, lease=1.0)
    slow, other = SlowSender(), SlowSender()
    other.go.set()
    async with running(DeliveryWorker(store.outbox, slow, render, "slow", limits)):
        while (await statuses(store))[DeliveryStatus.SENDING] < 3:
            await asyncio.sleep(0.05)
        async with running(DeliveryWorker(store.outbox, other, render, "other", limits)):
            await asyncio.sleep(3 * limits.lease)
            assert (await statuses(store))[DeliveryStatus.SENDING] == 3
            slow.go.set()
            while (await statuses(store))[DeliveryStatus.SENT] < 3:
                await asyncio.sleep(0.05)
    assert slow.sent == {1: 1, 2: 1, 3: 1}
    assert not other.sent, "the other worker took over rows whose worker was alive"


async def test_a_dead_workers_rows_are_back_within_a_lease_and_a_renewal(store: Storage) -> None:
    """Rows claimed by a worker that died (never renewed) are released and sent by the
    survivor once the lease has run out, and not before."""
    for chat in (1, 2):
        await store.chats.follow(chat, None, "en")
    await store.outbox.publish(None, "hello", None)
    assert len(await store.outbox.claim("dead", 10)) == 2
    limits = Limits(rate=None, lease=2.0)
    survivor = SlowSender()
    survivor.go.set()
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running(DeliveryWorker(store.outbox, survivor, render, "survivor", limits)):
        while (await statuses(store))[DeliveryStatus.SENT] < 2:
            assert loop.time() - started < limits.lease + 2 * limits.housekeeping_interval + 1
            await asyncio.sleep(0.05)
    waited = loop.time() - started
    assert waited >= limits.lease * 0.9, "released before the lease ran out"
    assert survivor.sent == {1: 1, 2: 1}
