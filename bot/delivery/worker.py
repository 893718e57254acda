"""The delivery worker: drains the outbox within Telegram's limits, through crashes.

It depends on two seams, both Protocols: an ``Outbox`` (``bot.storage.OutboxStore`` in the
bot, a few lines of fake in tests) and a ``Sender`` whose failures are one of four kinds:
``RetryLater`` (flood control: everything pauses), ``Unreachable`` (blocked, chat gone:
the subscriber is deactivated), ``TemporaryFailure`` (timeouts, 5xx: retried with
backoff) or ``Rejected`` (the message itself was refused: marked failed).

Rows are claimed a batch at a time. Successful sends are recorded together, every
``FLUSH_INTERVAL`` or ``FLUSH_SIZE`` sends, so commits do not bound the worker's speed. A
crash can therefore repeat at most the sends in flight or not yet recorded at that instant
(``Limits.concurrency + FLUSH_SIZE`` messages).

Leases are short and renewed: while the worker lives, a housekeeping task renews the lease
of every row it holds a few times per lease (``renew``), however long a batch takes (a
``RetryAfter`` pause may hold one for a minute). The same task releases the rows whose lease
ran out, so a dead worker's rows are back in the queue within ``lease`` plus one
housekeeping interval of its death, as PostgreSQL job queues do with heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from aiolimiter import AsyncLimiter

from bot.storage.records import Delivery
from bot.tasks import GRACE_SECONDS, finish

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS: Final = 5
BACKOFF_BASE: Final = 2.0  # seconds; doubled per attempt
IDLE_POLL: Final = 0.5  # seconds between looks at an empty queue
ERROR_PAUSE: Final = 5.0  # seconds after an unexpected error
# Renewals per lease: a renewal may be late or fail a couple of times before rows expire.
RENEWALS_PER_LEASE: Final = 4
FLUSH_SIZE: Final = 16  # successful sends recorded together at most
FLUSH_INTERVAL: Final = 0.1  # seconds a successful send may wait to be recorded


class RetryLater(Exception):
    """Telegram's flood control: wait ``seconds`` before sending anything."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"flood control: retry after {seconds:g} s")
        self.seconds = seconds


class Unreachable(Exception):
    """The chat cannot receive messages any more (blocked the bot, deleted, not found)."""


class TemporaryFailure(Exception):
    """A timeout or server error: the message may be retried."""


class Rejected(Exception):
    """Telegram refused this message itself (e.g. bad markup): retrying cannot help."""


class Outbox(Protocol):
    """Where deliveries wait: claimed in batches, each settled one way or another."""

    async def claim(self, worker: str, limit: int) -> list[Delivery]:
        """Take up to ``limit`` due deliveries for ``worker``."""

    async def mark_sent(self, delivery_ids: Sequence[int]) -> None:
        """Record that these deliveries reached their chats."""

    async def retry_later(self, delivery_id: int, delay: float, error: str) -> None:
        """Queue the delivery again ``delay`` seconds from now."""

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Give the delivery up for good."""

    async def deactivate(self, chat_id: int, reason: str) -> int:
        """Stop sending to the chat; return how many of its deliveries were failed."""

    async def renew(self, worker: str) -> int:
        """Extend the lease of every delivery ``worker`` is sending; return how many."""

    async def release_expired(self, lease: float) -> int:
        """Queue again deliveries whose lease was last renewed over ``lease`` seconds ago."""


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
    # Seconds a claimed row stays this worker's without a renewal; renewed every
    # lease / RENEWALS_PER_LEASE while the worker lives.
    lease: float = 10.0
    # Seconds a stop waits for a database write in flight before cutting it off.
    stop_grace: float = GRACE_SECONDS

    @property
    def housekeeping_interval(self) -> float:
        """Seconds between two renewals (and two looks for expired leases)."""
        return self.lease / RENEWALS_PER_LEASE


class DeliveryWorker:
    """Claims queued deliveries and sends them, one worker per bot process."""

    def __init__(
        self,
        outbox: Outbox,
        sender: Sender,
        render: Callable[[Delivery], str],
        name: str,
        limits: Limits | None = None,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._render = render
        self._name = name
        self._limits = limits or Limits()
        rate = self._limits.rate
        # One message per 1/rate seconds, no bucket: a full bucket would let a burst of
        # `rate` messages out at once (at start and after every pause), over Telegram's limit.
        self._limiter = AsyncLimiter(1, 1.0 / rate) if rate else None
        self._sent: list[int] = []
        self._last_flush = time.monotonic()
        self._slots = asyncio.Semaphore(self._limits.concurrency)
        self._paused_until = 0.0
        self._next_in_chat: dict[int, float] = {}

    async def run(self) -> None:
        """Deliver until cancelled, keeping the leases of claimed rows alive meanwhile."""
        logger.info("Delivery worker %s started", self._name)
        housekeeping = asyncio.create_task(self.keep_leases(), name=f"leases-{self._name}")
        try:
            while True:
                try:
                    claimed = await self.run_once()
                except Exception:
                    # The worker must outlive a database outage or an unexpected error:
                    # its rows stay claimed and come back when their lease expires.
                    logger.exception("Delivery worker error; trying again in %s s", ERROR_PAUSE)
                    await asyncio.sleep(ERROR_PAUSE)
                    continue
                if not claimed:
                    await asyncio.sleep(IDLE_POLL)
        finally:
            # Nothing of the worker may outlive it: whoever stopped it closes the storage
            # next, and a query cut off by that would hang its task (and the loop's close).
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            # A clean stop records what already went out, so a restart does not resend it.
            await self._flush()

    async def _finish(self, write: Awaitable[T]) -> T:
        """``write``, never cut off by a stop unless stuck (see ``bot.tasks``)."""
        return await finish(write, self._limits.stop_grace)

    async def keep_leases(self) -> None:
        """Until cancelled: renew this worker's leases, and queue again the rows of workers
        whose leases ran out (they died), every ``Limits.housekeeping_interval``."""
        while True:
            try:
                await self._finish(self._outbox.renew(self._name))
                released = await self._finish(self._outbox.release_expired(self._limits.lease))
            except Exception:
                # A database outage must not end the renewals: they resume when it is back.
                logger.exception("Could not renew delivery leases; trying again")
            else:
                if released:
                    logger.warning("Re-queued %d deliveries whose worker stopped", released)
            await asyncio.sleep(self._limits.housekeeping_interval)

    async def run_once(self) -> int:
        """Claim one batch and send it; return how many deliveries were claimed."""
        claimed = await self._finish(self._outbox.claim(self._name, self._limits.batch))
        if claimed:
            await asyncio.gather(*(self._deliver(delivery) for delivery in claimed))
        await self._flush()
        return len(claimed)

    async def _flush(self) -> None:
        """Record the successful sends not recorded yet."""
        # Swapped before the await: sends finishing meanwhile go to the next flush.
        sent, self._sent = self._sent, []
        self._last_flush = time.monotonic()
        try:
            await self._finish(self._outbox.mark_sent(sent))
        except BaseException:
            # Cancelled (shutdown) or the database failed: these went out, so keep them for
            # the next flush rather than let a restart send them again.
            self._sent[:0] = sent
            raise

    async def _deliver(self, delivery: Delivery) -> None:
        async with self._slots:
            await self._wait_for_turn(delivery.chat_id)
            try:
                await self._sender.send(delivery.chat_id, self._render(delivery))
            except RetryLater as exc:
                # Flood control applies to the whole bot: every send waits it out.
                self._paused_until = max(self._paused_until, time.monotonic() + exc.seconds)
                logger.warning("Flood control: pausing deliveries for %.1f s", exc.seconds)
                await self._finish(self._outbox.retry_later(delivery.id, exc.seconds, str(exc)))
            except Rejected as exc:
                logger.error("Delivery %s rejected by Telegram: %s", delivery.id, exc)
                await self._finish(self._outbox.mark_failed(delivery.id, str(exc)))
            except Unreachable as exc:
                logger.info("Chat %s is unreachable, deactivating: %s", delivery.chat_id, exc)
                await self._finish(self._outbox.deactivate(delivery.chat_id, str(exc)))
            except TemporaryFailure as exc:
                if delivery.attempts + 1 >= MAX_ATTEMPTS:
                    logger.warning("Delivery %s failed for good: %s", delivery.id, exc)
                    await self._finish(self._outbox.mark_failed(delivery.id, str(exc)))
                else:
                    delay = BACKOFF_BASE * 2**delivery.attempts
                    await self._finish(self._outbox.retry_later(delivery.id, delay, str(exc)))
            else:
                self._sent.append(delivery.id)
                if (
                    len(self._sent) >= FLUSH_SIZE
                    or time.monotonic() - self._last_flush >= FLUSH_INTERVAL
                ):
                    await self._flush()

    async def _wait_for_turn(self, chat_id: int) -> None:
        """Wait until no flood-control pause is on, the chat's interval has passed and the
        overall rate allows one more message."""
        interval = self._limits.per_chat_interval
        while True:
            wait = max(self._paused_until, self._next_in_chat.get(chat_id, 0.0)) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self._limiter is not None:
                await self._limiter.acquire()
            # The limiter may have kept us waiting while a RetryAfter paused everything or
            # another message went into this chat: look again before going.
            now = time.monotonic()
            if self._paused_until > now or self._next_in_chat.get(chat_id, 0.0) > now:
                continue
            self._next_in_chat[chat_id] = now + interval
            break
        if len(self._next_in_chat) > 10_000:  # forget chats whose interval has passed
            self._next_in_chat = {
                chat: at for chat, at in self._next_in_chat.items() if at > time.monotonic()
            }
