"""The subscriptions store: who follows what, the update outbox, and asked questions.

Every public method is one transaction. Publishing writes the update and one delivery per
matching subscriber together (an outbox), so an update is either queued for everyone or for
no one. Workers ``claim`` due deliveries (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
replicas never take the same row; SQLite has a single writer anyway), then record each
outcome. A worker that dies mid-send leaves rows in ``sending``; ``release_expired`` queues
them again, so delivery is at-least-once, with duplicates bounded by what was in flight.

Times are timezone-aware UTC; methods where time matters take ``now`` so tests control it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    Integer,
    String,
    Table,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.columns import BIG_ID, UTCDateTime
from bot.storage.database import create_engine, read_only
from bot.storage.records import (
    ChatState,
    Delivery,
    DeliveryStatus,
    PublishResult,
    Question,
    RecentQuestion,
    Stats,
)
from bot.storage.schema import upgrade
from bot.storage.tables import (
    MAX_REASON_CHARS,
    MAX_TOPIC_CHARS,
    MAX_WORKER_CHARS,
    chats,
    deliveries,
    follows,
    questions,
    updates,
)
from bot.values import Following, Lang, parse_lang

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS: Final = 500
MAX_ERROR_CHARS: Final = 500
_SUPPORTED_DIALECTS: Final = frozenset({"sqlite", "postgresql"})
_PENDING: Final = (DeliveryStatus.QUEUED.value, DeliveryStatus.SENDING.value)


class Store:
    """Subscribers, updates with their deliveries, and asked questions, in one database."""

    def __init__(self, engine: AsyncEngine) -> None:
        """Use ``engine``, already migrated; ``Store.open`` is the usual way in."""
        if engine.dialect.name not in _SUPPORTED_DIALECTS:
            raise ValueError(
                f"unsupported database {engine.dialect.name!r}: use SQLite or PostgreSQL"
            )
        self._engine = engine
        self._reader = read_only(engine)
        # SQLite has one writer at a time; queueing writers here costs nothing, while letting
        # them collide on the file lock makes SQLite's busy handler sleep (milliseconds each).
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    async def open(cls, url: str, **engine_kwargs: Any) -> Store:
        """Connect to ``url``, upgrade its schema in place, and return the store.

        ``engine_kwargs`` go to ``create_async_engine`` (e.g. ``connect_args`` to pick a
        PostgreSQL ``search_path``).
        """
        engine = create_engine(url, **engine_kwargs)
        try:
            revision = await upgrade(engine)
            store = cls(engine)
        except BaseException:
            await engine.dispose()
            raise
        # The dialect only: the URL may carry a password.
        logger.info("subscriptions store open (%s, schema %s)", engine.dialect.name, revision)
        return store

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (serialised in this process on SQLite)."""
        if self._write_lock is None:
            async with self._engine.begin() as conn:
                yield conn
            return
        async with self._write_lock, self._engine.begin() as conn:
            yield conn

    @property
    def engine(self) -> AsyncEngine:
        """The underlying engine, for tools and tests that need raw SQL."""
        return self._engine

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    # ------------------------------------------------------------------ chats

    async def language(self, chat_id: int) -> Lang | None:
        """Return the chat's language, or None when it never chose or followed anything."""
        async with self._reader.connect() as conn:
            result = await conn.execute(select(chats.c.language).where(chats.c.chat_id == chat_id))
            return parse_lang(result.scalar_one_or_none())

    async def set_language(self, chat_id: int, lang: Lang, now: datetime | None = None) -> None:
        """Remember the chat's /language choice (a new chat row starts inactive)."""
        created = _utc(now)
        async with self._write() as conn:
            stmt = self._insert(chats).values(
                chat_id=chat_id, language=lang, follows_all=False, active=False, created_at=created
            )
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[chats.c.chat_id], set_={"language": stmt.excluded.language}
                )
            )

    async def chat_state(self, chat_id: int) -> ChatState:
        """The chat's language choice and what it follows, read together."""
        async with self._reader.connect() as conn:
            language = (
                await conn.execute(select(chats.c.language).where(chats.c.chat_id == chat_id))
            ).scalar_one_or_none()
            return ChatState(parse_lang(language), await _following(conn, chat_id))

    async def following(self, chat_id: int) -> Following:
        """Return what the chat follows; nothing for unknown or inactive chats."""
        async with self._reader.connect() as conn:
            return await _following(conn, chat_id)

    async def follow(
        self, chat_id: int, topic: str | None, lang: Lang, now: datetime | None = None
    ) -> Following:
        """Follow ``topic`` (None: every update) and (re)activate the chat; return the result.

        ``lang`` becomes the chat's language only if it has none: an explicit /language
        choice wins, otherwise updates arrive in the language the user followed in. An
        inactive chat starts afresh: what it followed before it went inactive (e.g. before
        it blocked the bot) is not revived, since ``following`` showed it nothing.
        """
        _check_topic(topic)
        created = _utc(now)
        async with self._write() as conn:
            await self._ensure_chat(conn, chat_id, lang, created)
            # FOR UPDATE (PostgreSQL) serialises two taps on one chat; SQLite's write
            # transaction already does.
            active = (
                await conn.execute(
                    select(chats.c.active).where(chats.c.chat_id == chat_id).with_for_update()
                )
            ).scalar_one()
            if not active:
                await conn.execute(delete(follows).where(follows.c.chat_id == chat_id))
            changes: dict[str, Any] = {
                "active": True,
                "deactivated_reason": None,
                "language": func.coalesce(chats.c.language, lang),
            }
            if topic is None:
                changes["follows_all"] = True
            elif not active:
                changes["follows_all"] = False
            await conn.execute(update(chats).where(chats.c.chat_id == chat_id).values(changes))
            if topic is not None:
                await conn.execute(
                    self._insert(follows)
                    .values(chat_id=chat_id, topic=topic)
                    .on_conflict_do_nothing(index_elements=[follows.c.chat_id, follows.c.topic])
                )
            return await _following(conn, chat_id)

    async def follow_only(
        self, chat_id: int, topics: Sequence[str], lang: Lang, now: datetime | None = None
    ) -> Following:
        """Make the chat follow exactly ``topics`` (not "all"), in one transaction."""
        for topic in topics:
            _check_topic(topic)
        created = _utc(now)
        async with self._write() as conn:
            await self._ensure_chat(conn, chat_id, lang, created)
            await conn.execute(delete(follows).where(follows.c.chat_id == chat_id))
            await conn.execute(
                update(chats)
                .where(chats.c.chat_id == chat_id)
                .values(follows_all=False, active=bool(topics), deactivated_reason=None)
            )
            if topics:
                await conn.execute(
                    follows.insert(), [{"chat_id": chat_id, "topic": topic} for topic in topics]
                )
            return await _following(conn, chat_id)

    async def _ensure_chat(
        self, conn: AsyncConnection, chat_id: int, lang: Lang, created: datetime
    ) -> None:
        """Create the chat's row (inactive, following nothing) unless it exists."""
        await conn.execute(
            self._insert(chats)
            .values(
                chat_id=chat_id, language=lang, follows_all=False, active=False, created_at=created
            )
            .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
        )

    async def unfollow(self, chat_id: int, topic: str | None) -> Following:
        """Stop following ``topic`` (None: everything); return what is still followed.

        Unfollowing one topic while following everything removes that topic's row only:
        the chat keeps "all" and so still gets updates on it; to stop them it unfollows
        all. A chat left following nothing becomes inactive.
        """
        _check_topic(topic)
        async with self._write() as conn:
            if topic is None:
                await conn.execute(delete(follows).where(follows.c.chat_id == chat_id))
                await conn.execute(
                    update(chats)
                    .where(chats.c.chat_id == chat_id)
                    .values(follows_all=False, active=False)
                )
                return Following()
            await conn.execute(
                delete(follows).where(follows.c.chat_id == chat_id, follows.c.topic == topic)
            )
            still = await _following(conn, chat_id)
            if still.all or still.topics:
                return still
            await conn.execute(update(chats).where(chats.c.chat_id == chat_id).values(active=False))
            return Following()

    async def forget(self, chat_id: int) -> bool:
        """Delete everything held about the chat; return whether there was anything.

        That is its chat row, its follows and its deliveries; updates it authored stay
        (they went to others) but lose the author id.
        """
        async with self._write() as conn:
            gone = await conn.execute(delete(deliveries).where(deliveries.c.chat_id == chat_id))
            await conn.execute(delete(follows).where(follows.c.chat_id == chat_id))
            chat = await conn.execute(delete(chats).where(chats.c.chat_id == chat_id))
            await conn.execute(
                update(updates).where(updates.c.author == chat_id).values(author=None)
            )
        return bool(chat.rowcount or gone.rowcount)

    async def deactivate(self, chat_id: int, reason: str) -> int:
        """Mark the chat inactive (e.g. it blocked the bot) and fail its pending deliveries.

        Returns how many deliveries were failed.
        """
        reason = _clip(reason, MAX_REASON_CHARS)
        async with self._write() as conn:
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

    # ------------------------------------------------------------------ outbox

    async def publish(
        self, topic: str | None, text: str, author: int | None, now: datetime | None = None
    ) -> PublishResult:
        """Store an update and queue it for every matching active chat, in one transaction.

        A topic reaches the chats following it or everything; None reaches every active
        chat. INSERT ... SELECT keeps 10,000 subscribers well under a second.
        """
        _check_topic(topic)
        created = _utc(now)
        async with self._write() as conn:
            update_id = (
                await conn.execute(
                    updates.insert()
                    .values(topic=topic, text=text, author=author, created_at=created)
                    .returning(updates.c.id)
                )
            ).scalar_one()
            followed = exists().where(follows.c.chat_id == chats.c.chat_id)
            if topic is not None:
                followed = followed.where(follows.c.topic == topic)
            matching = select(
                literal(update_id, BIG_ID),
                chats.c.chat_id,
                literal(DeliveryStatus.QUEUED.value, String()),
                literal(0, Integer()),
                literal(created, UTCDateTime()),
            ).where(chats.c.active, or_(chats.c.follows_all, followed))
            queued = await conn.execute(
                deliveries.insert().from_select(
                    ["update_id", "chat_id", "status", "attempts", "next_attempt_at"], matching
                )
            )
        logger.info(
            "update %d published to %s: %d deliveries queued",
            update_id,
            topic or "everyone",
            queued.rowcount,
        )
        return PublishResult(update_id, queued.rowcount)

    async def claim(self, worker: str, limit: int, now: datetime | None = None) -> list[Delivery]:
        """Take up to ``limit`` due queued deliveries, oldest first, for ``worker`` to send.

        They move to ``sending`` in the transaction that picks them, so no two workers
        (nor two replicas on PostgreSQL, thanks to SKIP LOCKED) ever get the same row.
        """
        if limit <= 0:
            return []
        if not worker or len(worker) > MAX_WORKER_CHARS:
            raise ValueError(f"worker must be 1 to {MAX_WORKER_CHARS} characters")
        claimed_at = _utc(now)
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
        async with self._write() as conn:
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
                    deliveries.c.update_id,
                    deliveries.c.chat_id,
                    updates.c.topic,
                    updates.c.text,
                    chats.c.language,
                    deliveries.c.attempts,
                )
                .select_from(
                    deliveries.join(updates, updates.c.id == deliveries.c.update_id).outerjoin(
                        chats, chats.c.chat_id == deliveries.c.chat_id
                    )
                )
                .where(deliveries.c.id.in_(ids))
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            )
            return [
                Delivery(
                    id=row.id,
                    update_id=row.update_id,
                    chat_id=row.chat_id,
                    topic=row.topic,
                    text=row.text,
                    lang=parse_lang(row.language),
                    attempts=row.attempts,
                )
                for row in rows
            ]

    async def mark_sent(self, delivery_id: int, now: datetime | None = None) -> None:
        """Record that the delivery reached its chat."""
        await self.mark_sent_many([delivery_id], now)

    async def mark_sent_many(
        self, delivery_ids: Sequence[int], now: datetime | None = None
    ) -> None:
        """Record that these deliveries reached their chats, in one transaction."""
        if not delivery_ids:
            return
        sent_at = _utc(now)
        async with self._write() as conn:
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
        due = _utc(now) + timedelta(seconds=delay)
        async with self._write() as conn:
            # Only pending rows: a delivery failed by deactivate() meanwhile stays failed.
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status.in_(_PENDING))
                .values(
                    status=DeliveryStatus.QUEUED.value,
                    attempts=deliveries.c.attempts + 1,
                    next_attempt_at=due,
                    error=_clip(error, MAX_ERROR_CHARS),
                    claimed_by=None,
                    claimed_at=None,
                )
            )

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        """Count a failed attempt and give the delivery up for good."""
        async with self._write() as conn:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status.in_(_PENDING))
                .values(
                    status=DeliveryStatus.FAILED.value,
                    attempts=deliveries.c.attempts + 1,
                    error=_clip(error, MAX_ERROR_CHARS),
                    claimed_by=None,
                    claimed_at=None,
                )
            )

    async def release_expired(self, lease: float, now: datetime | None = None) -> int:
        """Queue again deliveries left in ``sending`` longer than ``lease`` seconds.

        Their worker died (or hung) mid-send; each may or may not have reached its chat,
        so sending it again is the at-least-once choice. Returns how many were released.
        """
        if not math.isfinite(lease) or lease < 0:
            raise ValueError(f"lease must be a non-negative number of seconds, not {lease}")
        cutoff = _utc(now) - timedelta(seconds=lease)
        async with self._write() as conn:
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

    # ------------------------------------------------------------------ questions

    async def record_question(
        self, topic: str | None, lang: Lang, text: str | None, now: datetime | None = None
    ) -> None:
        """Count a question on ``topic``; keep its text only when it went unanswered (None)."""
        await self.record_questions([Question(topic, lang, text, _utc(now))])

    async def record_questions(self, asked: Sequence[Question]) -> None:
        """Count several questions in one transaction (see ``record_question``)."""
        if not asked:
            return
        rows = []
        for question in asked:
            _check_topic(question.topic)
            kept = (
                _clip(question.text, MAX_QUESTION_CHARS)
                if question.topic is None and question.text is not None
                else None
            )
            rows.append(
                {
                    "topic": question.topic,
                    "lang": question.lang,
                    "text": kept,
                    "created_at": _utc(question.at),
                }
            )
        async with self._write() as conn:
            await conn.execute(questions.insert(), rows)

    async def prune_questions(self, keep_days: int, now: datetime | None = None) -> int:
        """Erase the texts of unanswered questions older than ``keep_days``; return how many.

        The rows stay, without text, so the per-topic counts in ``stats`` do not change.
        """
        if keep_days < 0:
            raise ValueError(f"keep_days must not be negative, not {keep_days}")
        cutoff = _utc(now) - timedelta(days=keep_days)
        async with self._write() as conn:
            pruned = await conn.execute(
                update(questions)
                .where(questions.c.text.is_not(None), questions.c.created_at < cutoff)
                .values(text=None)
            )
        return pruned.rowcount

    # ------------------------------------------------------------------ stats

    async def stats(self, recent: int = 10) -> Stats:
        """Return subscriber, update, delivery and question figures, all from one snapshot."""
        async with self._reader.connect() as conn:
            by_active = {
                bool(active): count
                for active, count in await conn.execute(
                    select(chats.c.active, func.count()).group_by(chats.c.active)
                )
            }
            follows_all = (
                await conn.execute(select(func.count()).where(chats.c.active, chats.c.follows_all))
            ).scalar_one()
            followers = {
                topic: count
                for topic, count in await conn.execute(
                    select(follows.c.topic, func.count())
                    .join(chats, chats.c.chat_id == follows.c.chat_id)
                    .where(chats.c.active)
                    .group_by(follows.c.topic)
                    .order_by(follows.c.topic)
                )
            }
            update_count = (
                await conn.execute(select(func.count()).select_from(updates))
            ).scalar_one()
            by_status = dict.fromkeys(DeliveryStatus, 0)
            for status, count in await conn.execute(
                select(deliveries.c.status, func.count()).group_by(deliveries.c.status)
            ):
                by_status[DeliveryStatus(status)] = count
            per_topic = {
                topic: count
                for topic, count in await conn.execute(
                    select(questions.c.topic, func.count())
                    .group_by(questions.c.topic)
                    .order_by(func.count().desc(), questions.c.topic)
                )
            }
            latest = await conn.execute(
                select(questions.c.text, questions.c.lang, questions.c.created_at)
                .where(questions.c.topic.is_(None), questions.c.text.is_not(None))
                .order_by(questions.c.created_at.desc(), questions.c.id.desc())
                .limit(max(recent, 0))
            )
            return Stats(
                active=by_active.get(True, 0),
                inactive=by_active.get(False, 0),
                follows_all=follows_all,
                followers=followers,
                updates=update_count,
                deliveries=by_status,
                questions=per_topic,
                recent_questions=tuple(
                    RecentQuestion(row.text, parse_lang(row.lang), row.created_at) for row in latest
                ),
            )

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        # Both dialects spell an upsert ON CONFLICT, through their own insert().
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)


async def _following(conn: AsyncConnection, chat_id: int) -> Following:
    chat = (
        await conn.execute(
            select(chats.c.active, chats.c.follows_all).where(chats.c.chat_id == chat_id)
        )
    ).one_or_none()
    if chat is None or not chat.active:
        return Following()
    topics: Sequence[str] = (
        (await conn.execute(select(follows.c.topic).where(follows.c.chat_id == chat_id)))
        .scalars()
        .all()
    )
    return Following(all=bool(chat.follows_all), topics=frozenset(topics))


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware time")
    return now.astimezone(UTC)


def _check_topic(topic: str | None) -> None:
    # PostgreSQL would refuse a longer value and SQLite would keep it: refuse it on both.
    if topic is not None and not 0 < len(topic) <= MAX_TOPIC_CHARS:
        raise ValueError(f"a topic id has 1 to {MAX_TOPIC_CHARS} characters")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
