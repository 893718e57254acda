"""The delivery worker: drains the outbox within Telegram's limits, through crashes.

Pure of Telegram: it sends through a ``Sender`` whose failures are one of three kinds:
``RetryLater`` (flood control: everything pauses), ``Unreachable`` (blocked, chat gone:
the subscriber is deactivated) or ``TemporaryFailure`` (timeouts, 5xx: retried with
backoff). Rows are claimed a batch at a time and each is recorded the moment its send
returns, so a crash can repeat at most the sends that were in flight at that instant; rows
a dead worker had claimed go back to the queue when their lease expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from aiolimiter import AsyncLimiter

from bot.subscriptions.records import Delivery
from bot.subscriptions.store import Store

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: Final = 5
BACKOFF_BASE: Final = 2.0  # seconds; doubled per attempt
IDLE_POLL: Final = 0.5  # seconds between looks at an empty queue


class RetryLater(Exception):
    """Telegram's flood control: wait ``seconds`` before sending anything."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds:g} s")
        self.seconds = seconds


class Unreachable(Exception):
    """The chat cannot receive messages any more (blocked the bot, deleted, not found)."""


class TemporaryFailure(Exception):
    """A timeout or server error: the message may be retried."""


class Sender(Protocol):
    """Sends one message into one chat, raising the exceptions above on failure."""

    async def send(self, chat_id: int, text: str) -> None:
        """Send ``text`` (Telegram HTML) to ``chat_id``."""


@dataclass(frozen=True)
class Limits:
    """How fast the worker may go; ``rate`` None means unlimited (capacity benchmarks)."""

    rate: float | None = 25.0  # messages per second, all chats together
    per_chat_interval: float = 1.0  # seconds between two messages into one chat
    batch: int = 25
    concurrency: int = 8
    lease: float = 60.0  # seconds before another worker may take over a claimed row


class DeliveryWorker:
    """Claims queued deliveries and sends them, one worker per bot process."""

    def __init__(
        self,
        store: Store,
        sender: Sender,
        render: Callable[[Delivery], str],
        name: str,
        limits: Limits | None = None,
    ) -> None:
        self._store = store
        self._sender = sender
        self._render = render
        self._name = name
        self._limits = limits or Limits()
        rate = self._limits.rate
        self._limiter = AsyncLimiter(rate, 1.0) if rate else None
        self._slots = asyncio.Semaphore(self._limits.concurrency)
        self._paused_until = 0.0
        self._next_in_chat: dict[int, float] = {}
        self._last_release = 0.0

    async def run(self) -> None:
        """Deliver until cancelled."""
        logger.info("Delivery worker %s started", self._name)
        while True:
            if not await self.run_once():
                await asyncio.sleep(IDLE_POLL)

    async def run_once(self) -> int:
        """Claim one batch and send it; return how many deliveries were claimed."""
        now = time.monotonic()
        if now - self._last_release >= self._limits.lease / 2:
            released = await self._store.release_expired(self._limits.lease)
            if released:
                logger.warning("Re-queued %d deliveries whose worker stopped", released)
            self._last_release = now
        claimed = await self._store.claim(self._name, self._limits.batch)
        if claimed:
            await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        return len(claimed)

    async def _deliver(self, delivery: Delivery) -> None:
        async with self._slots:
            await self._wait_for_turn(delivery.chat_id)
            try:
                await self._sender.send(delivery.chat_id, self._render(delivery))
            except RetryLater as exc:
                # Flood control applies to the whole bot: every send waits it out.
                self._paused_until = max(self._paused_until, time.monotonic() + exc.seconds)
                logger.warning("Flood control: pausing deliveries for %.1f s", exc.seconds)
                await self._store.retry_later(delivery.id, exc.seconds, str(exc))
            except Unreachable as exc:
                logger.info("Chat %s is unreachable, deactivating: %s", delivery.chat_id, exc)
                await self._store.deactivate(delivery.chat_id, str(exc))
            except TemporaryFailure as exc:
                if delivery.attempts + 1 >= MAX_ATTEMPTS:
                    logger.warning("Delivery %s failed for good: %s", delivery.id, exc)
                    await self._store.mark_failed(delivery.id, str(exc))
                else:
                    delay = BACKOFF_BASE * 2**delivery.attempts
                    await self._store.retry_later(delivery.id, delay, str(exc))
            else:
                await self._store.mark_sent(delivery.id)

    async def _wait_for_turn(self, chat_id: int) -> None:
        """Respect the pause, the per-chat interval and the overall rate, in that order."""
        pause = self._paused_until - time.monotonic()
        while pause > 0:  # a RetryAfter during the sleep extends the pause
            await asyncio.sleep(pause)
            pause = self._paused_until - time.monotonic()
        now = time.monotonic()
        turn = max(now, self._next_in_chat.get(chat_id, 0.0))
        self._next_in_chat[chat_id] = turn + self._limits.per_chat_interval
        if turn > now:
            await asyncio.sleep(turn - now)
        if self._limiter is not None:
            await self._limiter.acquire()
        if len(self._next_in_chat) > 10_000:  # forget chats whose interval has passed
            self._next_in_chat = {
                chat: at for chat, at in self._next_in_chat.items() if at > time.monotonic()
            }
