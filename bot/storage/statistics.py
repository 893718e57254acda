"""Figures for editors: subscribers, bulletins, deliveries and questions, from one snapshot."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.storage.database import Database
from bot.storage.records import DeliveryStatus, RecentQuestion, Stats
from bot.storage.tables import bulletins, chats, deliveries, follows, questions
from bot.values import parse_lang


async def read_stats(db: Database, recent: int = 10) -> Stats:
    """Return the figures, with the ``recent`` newest unanswered questions."""
    async with db.read() as conn:
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
        bulletin_count = (
            await conn.execute(select(func.count()).select_from(bulletins))
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
            bulletins=bulletin_count,
            deliveries=by_status,
            questions=per_topic,
            recent_questions=tuple(
                RecentQuestion(row.text, parse_lang(row.lang), row.created_at) for row in latest
            ),
        )
