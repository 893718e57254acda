"""The outbox: published bulletins and their deliveries, claimed and settled by workers.

Publishing writes the bulletin and one delivery per matching subscriber together, so a
bulletin is queued for everyone or for no one. Workers ``claim`` due deliveries (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, so replicas never take the same row; SQLite has a
single writer anyway), then record each outcome. A claim is a lease: the worker ``renew``s
it while it lives (``claimed_at`` is when the lease was last renewed). A worker that dies
mid-send leaves rows in ``sending`` whose lease stops being renewed; ``release_expired``
queues them again, so delivery is at-least-once, with duplicates bounded by what was in
flight.

Times are timezone-aware UTC; methods where time matters take ``now`` so tests control it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Integer, String, exists, func, literal, or_, select, update

from bot.storage.checks import check_topic, clip, utc
from bot.storage.columns import BIG_ID, UTCDateTime
from bot.storage.database import Database
from bot.storage.records import Delivery, DeliveryStatus, Published, PublishResult
from bot.storage.tables import (
    MAX_REASON_CHARS,
    MAX_WORKER_CHARS,
    bulletins,
    chats,
    deliveries,
    follows,
)
from bot.values import parse_lang

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS: Final = 500
_PENDING: Final = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)


class OutboxStore:
    """Bulletins and their deliveries; one transaction a method."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def publish(
        self, topic: str | None, text: str, author: int | None, now: datetime | None = None
    ) -> PublishResult:
        """Store a bulletin and queue it for every matching active chat, in one transaction.

        A topic reaches the chats following it or everything; None reaches every active
        chat. INSERT ... SELECT keeps 10,000 subscribers well under a second.
        """
        check_topic(topic)
        created = utc(now)
        async with self._db.write() as conn:
            bulletin_id = (
                await conn.execute(
                    bulletins.insert()
                    .values(topic=topic, text=text, author=author, created_at=created)
                    .returning(bulletins.c.id)
                )
            ).scalar_one()
            followed = exists().where(follows.c.chat_id == chats.c.chat_id)
            if topic is not None:
                followed = followed.where(follows.c.topic == topic)
            matching = select(
                literal(bulletin_id, BIG_ID),
                chats.c.chat_id,
                literal(DeliveryStatus.QUEUED.value, String()),
                literal(0, Integer()),
                literal(created, UTCDateTime()),
            ).where(chats.c.active, or_(chats.c.follows_all, followed))
            queued = await conn.execute(
                deliveries.insert().from_select(
                    ["bulletin_id", "chat_id", "status", "attempts", "next_attempt_at"], matching
                )
            )
        logger.info(
            "bulletin %d published to %s: %d deliveries queued",
            bulletin_id,
            topic or "everyone",
            queued.rowcount,
        )
        return PublishResult(bulletin_id, queued.rowcount)

    async def latest(
        self, topic: str | None, limit: int, before: int | None = None
    ) -> list[Published]:
        """The newest bulletins (on ``topic``, or all of them), newest first, older than the
        bulletin ``before`` when given."""
        query = select(bulletins.c.id, bulletins.c.topic, bulletins.c.text, bulletins.c.created_at)
        if topic is not None:
            query = query.where(bulletins.c.topic == topic)
        if before is not None:
            query = query.where(bulletins.c.id < before)
        async with self._db.read() as conn:
            rows = await conn.execute(query.order_by(bulletins.c.id.desc()).limit(max(limit, 0)))
            return [Published(row.id, row.topic, row.text, row.created_at) for row in rows]

    async def counts(self) -> dict[str | None, int]:
        """How many bulletins were published per topic (None: to everyone)."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(bulletins.c.topic, func.count()).group_by(bulletins.c.topic)
            )
            return {topic: count for topic, count in rows}

    async def count_by_status(self) -> dict[str, int]:
        """How many deliveries are in each status (every status, zeros included)."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
            )
            counts = {status.value: 0 for status in DeliveryStatus}
            counts.update({status: count for status, count in rows})
            return counts

    async def claim(self, worker: str, limit: int, now: datetime | None = None) -> list[Delivery]:
        """Take up to ``limit`` due queued deliveries, oldest first, for ``worker`` to send.

        They move to ``sending`` in the transaction that picks them, so no two workers
        (nor two replicas on PostgreSQL, thanks to SKIP LOCKED) ever get the same row.
        """
        if limit <= 0:
            return []
        if not worker or len(worker) > MAX_WORKER_CHARS:
            raise ValueError(f"worker must be 1 to {MAX_WORKER_CHARS} characters")
        claimed_at = utc(now)
        # An alias, so that as a subquery of the UPDATE below it keeps its own FROM
        # rather than correlating with the UPDATE's table.
        due = deliveries.alias("due")
        pick = (
            select(due.c.id)
            .where(due.c.status == DeliveryStatus.QUEUED.value, due.c.next_attempt_at <= claimed_at)
            .order_by(due.c.next_attempt_at, due.c.id)
            .limit(limit)
        )
        take = (
            update(deliveries)
            .where(deliveries.c.status == DeliveryStatus.QUEUED.value)
            .values(status=DeliveryStatus.SENDING.value, claimed_by=worker, claimed_at=claimed_at)
            .returning(deliveries.c.id)
        )
        async with self._db.write() as conn:
            # Pick, then update the picked ids. On PostgreSQL the pick locks its rows and
            # skips those another replica holds (not one UPDATE ... IN (subquery): a rescan
            # of a locking subquery may yield rows past the LIMIT). SQLite ignores FOR
            # UPDATE; its write transaction already excludes other writers, and updating
            # by id avoids walking every queued row through the status index.
            locked = (await conn.execute(pick.with_for_update(skip_locked=True))).scalars().all()
            if not locked:
                return []
            ids = (await conn.execute(take.where(deliveries.c.id.in_(locked)))).scalars().all()
            if not ids:
                return []
            rows = await conn.execute(
                select(
                    deliveries.c.id,
                    deliveries.c.bulletin_id,
                    deliveries.c.chat_id,
                    bulletins.c.topic,
                    bulletins.c.text,
                    chats.c.language,
                    deliveries.c.attempts,
                )
                .select_from(
                    deliveries.join(
                        bulletins, bulletins.c.id == deliveries.c.bulletin_id
                    ).outerjoin(chats, chats.c.chat_id == deliveries.c.chat_id)
                )
                .where(deliveries.c.id.in_(ids))
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            )
            return [
                Delivery(
                    id=row.id,
                    bulletin_id=row.bulletin_id,
                    chat_id=row.chat_id,
                    topic=row.topic,
                    text=row.text,
                    lang=parse_lang(row.language),
                    attempts=row.attempts,
                )
                for row in rows
            ]

    async def mark_sent(self, delivery_ids: Sequence[int], now: datetime | None = None) -> None:
        """Record that these deliveries reached their chats, in one transaction."""
        if not delivery_ids:
            return
        sent_at = utc(now)
        async with self._db.write() as conn:
            # Unconditional: the message did go out, even if the chat was deactivated or
            # the lease expired meanwhile; the record should say so.
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(list(delivery_ids)))
                .values(status=DeliveryStatus.SENT.value, sent_at=sent_at, error=None)
            )

    async def retry_later(
        self, delivery_id: int, delay: float, error: str, now: datetime | None = None
    ) -> None:
        """Count a failed attempt and queue the delivery again ``delay`` seconds from now."""
        if not math.isfinite(delay) or delay < 0:
            raise ValueError(f"delay must be a non-negative number of seconds, not {delay}")
        due = utc(now) + timedelta(seconds=delay)
        await self._settle(delivery_id, DeliveryStatus.QUEUED, error, next_attempt_at=due)

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Count a failed attempt and give the delivery up for good."""
        await self._settle(delivery_id, DeliveryStatus.FAILED, error)

    async def _settle(
        self, delivery_id: int, status: DeliveryStatus, error: str, **changes: Any
    ) -> None:
        """Count a failed attempt, release the claim and move a pending delivery to ``status``."""
        async with self._db.write() as conn:
            # Only pending rows: a delivery failed by deactivate() meanwhile stays failed.
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status.in_(_PENDING))
                .values(
                    status=status.value,
                    attempts=deliveries.c.attempts + 1,
                    error=clip(error, MAX_ERROR_CHARS),
                    claimed_by=None,
                    claimed_at=None,
                    **changes,
                )
            )

    async def deactivate(self, chat_id: int, reason: str) -> int:
        """Mark the chat inactive (e.g. it blocked the bot) and fail its pending deliveries.

        Returns how many deliveries were failed.
        """
        reason = clip(reason, MAX_REASON_CHARS)
        async with self._db.write() as conn:
            await conn.execute(
                update(chats)
                .where(chats.c.chat_id == chat_id)
                .values(active=False, deactivated_reason=reason)
            )
            failed = await conn.execute(
                update(deliveries)
                .where(deliveries.c.chat_id == chat_id, deliveries.c.status.in_(_PENDING))
                .values(
                    status=DeliveryStatus.FAILED.value,
                    error=reason,
                    claimed_by=None,
                    claimed_at=None,
                )
            )
        logger.info(
            "chat %d deactivated (%s); %d pending deliveries failed",
            chat_id,
            reason,
            failed.rowcount,
        )
        return failed.rowcount

    async def renew(self, worker: str, now: datetime | None = None) -> int:
        """Renew the lease of every delivery ``worker`` is sending; return how many.

        One UPDATE over the rows in ``sending`` (few: what workers have in flight), found
        through the status index.
        """
        async with self._db.write() as conn:
            renewed = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.status == DeliveryStatus.SENDING.value,
                    deliveries.c.claimed_by == worker,
                )
                .values(claimed_at=utc(now))
            )
        return renewed.rowcount

    async def release_expired(self, lease: float, now: datetime | None = None) -> int:
        """Queue again deliveries in ``sending`` whose lease was not renewed for ``lease``
        seconds.

        Their worker died (or hung) mid-send; each may or may not have reached its chat,
        so sending it again is the at-least-once choice. Returns how many were released.
        """
        if not math.isfinite(lease) or lease < 0:
            raise ValueError(f"lease must be a non-negative number of seconds, not {lease}")
        cutoff = utc(now) - timedelta(seconds=lease)
        async with self._db.write() as conn:
            released = await conn.execute(
                update(deliveries)
                .where(
                    deliveries.c.status == DeliveryStatus.SENDING.value,
                    deliveries.c.claimed_at < cutoff,
                )
                .values(status=DeliveryStatus.QUEUED.value, claimed_by=None, claimed_at=None)
            )
        if released.rowcount:
            logger.warning(
                "%d deliveries outlived their lease and were queued again", released.rowcount
            )
        return released.rowcount
