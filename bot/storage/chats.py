"""Chats: their /language choice and which topics they follow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.checks import check_topic, utc
from bot.storage.database import Database
from bot.storage.records import ChatState
from bot.storage.tables import bulletins, chats, contexts, deliveries, follows
from bot.values import Context, Following, Lang, parse_lang


class ChatStore:
    """Who the bot talks with, in what language, following what; one transaction a method."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def state(self, chat_id: int) -> ChatState:
        """The chat's language choice, what it follows and its context, read together."""
        async with self._db.read() as conn:
            language = (
                await conn.execute(select(chats.c.language).where(chats.c.chat_id == chat_id))
            ).scalar_one_or_none()
            context = (
                await conn.execute(select(contexts).where(contexts.c.chat_id == chat_id))
            ).one_or_none()
            return ChatState(
                parse_lang(language),
                await _following(conn, chat_id),
                _context(context.topic, context.long, context.lang, context.at)
                if context
                else None,
            )

    async def remember(self, remembered: Mapping[int, Context]) -> None:
        """Store each chat's context (its last answer), in one transaction."""
        if not remembered:
            return
        for context in remembered.values():
            check_topic(context.topic)
        rows = [
            {
                "chat_id": chat_id,
                "topic": context.topic,
                "long": context.long,
                "lang": context.lang,
                "at": utc(context.at),
            }
            for chat_id, context in remembered.items()
        ]
        stmt = self._db.insert(contexts)
        async with self._db.write() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[contexts.c.chat_id],
                    set_={name: stmt.excluded[name] for name in ("topic", "long", "lang", "at")},
                ),
                rows,
            )

    async def following(self, chat_id: int) -> Following:
        """Return what the chat follows; nothing for unknown or inactive chats."""
        async with self._db.read() as conn:
            return await _following(conn, chat_id)

    async def set_language(self, chat_id: int, lang: Lang, now: datetime | None = None) -> None:
        """Remember the chat's /language choice (a new chat row starts inactive)."""
        stmt = self._db.insert(chats).values(
            chat_id=chat_id, language=lang, follows_all=False, active=False, created_at=utc(now)
        )
        async with self._db.write() as conn:
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[chats.c.chat_id], set_={"language": stmt.excluded.language}
                )
            )

    async def follow(
        self, chat_id: int, topic: str | None, lang: Lang, now: datetime | None = None
    ) -> Following:
        """Follow ``topic`` (None: every bulletin) and (re)activate the chat; return the result.

        ``lang`` becomes the chat's language only if it has none: an explicit /language
        choice wins, otherwise bulletins arrive in the language the chat followed in. An
        inactive chat starts afresh: what it followed before it went inactive (e.g. before
        it blocked the bot) is not revived, since ``following`` showed it nothing.
        """
        check_topic(topic)
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id, lang, utc(now))
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
                    self._db.insert(follows)
                    .values(chat_id=chat_id, topic=topic)
                    .on_conflict_do_nothing(index_elements=[follows.c.chat_id, follows.c.topic])
                )
            return await _following(conn, chat_id)

    async def follow_only(
        self, chat_id: int, topics: Sequence[str], lang: Lang, now: datetime | None = None
    ) -> Following:
        """Make the chat follow exactly ``topics`` (not "all"), in one transaction."""
        for topic in topics:
            check_topic(topic)
        async with self._db.write() as conn:
            await self._ensure_chat(conn, chat_id, lang, utc(now))
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

    async def unfollow(self, chat_id: int, topic: str | None) -> Following:
        """Stop following ``topic`` (None: everything); return what is still followed.

        Unfollowing one topic while following everything removes that topic's row only:
        the chat keeps "all" and so still gets bulletins on it (``follow_only`` is the way
        to keep all but one). A chat left following nothing becomes inactive.
        """
        check_topic(topic)
        async with self._db.write() as conn:
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

        That is its chat row, its follows, its context and its deliveries; bulletins it
        authored stay (they went to others) but lose the author id.
        """
        async with self._db.write() as conn:
            gone = await conn.execute(delete(deliveries).where(deliveries.c.chat_id == chat_id))
            await conn.execute(delete(contexts).where(contexts.c.chat_id == chat_id))
            await conn.execute(delete(follows).where(follows.c.chat_id == chat_id))
            chat = await conn.execute(delete(chats).where(chats.c.chat_id == chat_id))
            await conn.execute(
                update(bulletins).where(bulletins.c.author == chat_id).values(author=None)
            )
        return bool(chat.rowcount or gone.rowcount)

    async def _ensure_chat(
        self, conn: AsyncConnection, chat_id: int, lang: Lang, created: datetime
    ) -> None:
        """Create the chat's row (inactive, following nothing) unless it exists."""
        await conn.execute(
            self._db.insert(chats)
            .values(
                chat_id=chat_id, language=lang, follows_all=False, active=False, created_at=created
            )
            .on_conflict_do_nothing(index_elements=[chats.c.chat_id])
        )


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


def _context(topic: str, long: bool, lang: str, at: datetime) -> Context | None:
    parsed = parse_lang(lang)
    return Context(topic, bool(long), parsed, at) if parsed else None
