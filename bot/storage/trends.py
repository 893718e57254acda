"""Figures per day for the editors' charts: questions per topic, outcomes, subscribers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from bot.storage.checks import utc
from bot.storage.database import Database
from bot.storage.records import Outcome, Trends
from bot.storage.tables import chats, questions


async def read_trends(db: Database, days: int = 14, now: datetime | None = None) -> Trends:
    """Return the last ``days`` days' figures, today (UTC) last."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    today = utc(now).date()
    dates = tuple(today - timedelta(days=back) for back in range(days - 1, -1, -1))
    start = datetime.combine(dates[0], datetime.min.time(), UTC)
    async with db.read() as conn:
        # Counted here rather than grouped by day in SQL: SQLite and PostgreSQL name the
        # day of a timestamp differently, and a fortnight of questions is small.
        asked = await conn.execute(
            select(questions.c.topic, questions.c.outcome, questions.c.created_at).where(
                questions.c.created_at >= start
            )
        )
        per_day: Counter[tuple[str | None, date]] = Counter()
        outcomes = dict.fromkeys(Outcome, 0)
        for row in asked:
            per_day[(row.topic, row.created_at.date())] += 1
            outcome = Outcome(row.outcome) if row.outcome else Outcome.by_topic(row.topic)
            outcomes[outcome] += 1
        before = (
            await conn.execute(
                select(func.count()).where(chats.c.active, chats.c.created_at < start)
            )
        ).scalar_one()
        joined = Counter(
            row.created_at.date()
            for row in await conn.execute(
                select(chats.c.created_at).where(chats.c.active, chats.c.created_at >= start)
            )
        )
    topics = sorted({topic for topic, _ in per_day}, key=lambda topic: (topic is None, topic))
    subscribers: list[int] = []
    total = before
    for day in dates:
        total += joined[day]
        subscribers.append(total)
    return Trends(
        days=dates,
        asked={topic: tuple(per_day[(topic, day)] for day in dates) for topic in topics},
        outcomes=outcomes,
        subscribers=tuple(subscribers),
    )
