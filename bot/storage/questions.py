"""Asked questions: counted per topic, with the text of unanswered ones kept a while."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select, update

from bot.storage.checks import check_topic, clip, storable, utc
from bot.storage.database import Database
from bot.storage.records import Outcome, Question, RecentQuestion
from bot.storage.tables import questions
from bot.values import parse_lang

KEPT_QUESTION_CHARS: Final = 500  # an unanswered question's text is kept up to this long


class QuestionStore:
    """What readers asked; one transaction a method."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, asked: Sequence[Question]) -> None:
        """Count questions in one transaction, keeping the text only of unanswered ones."""
        if not asked:
            return
        rows = []
        for question in asked:
            check_topic(question.topic)
            kept = (
                clip(storable(question.text), KEPT_QUESTION_CHARS)
                if question.topic is None and question.text is not None
                else None
            )
            rows.append(
                {
                    "topic": question.topic,
                    "lang": question.lang,
                    "text": kept,
                    "created_at": utc(question.at),
                    "outcome": (question.outcome or Outcome.by_topic(question.topic)).value,
                }
            )
        async with self._db.write() as conn:
            await conn.execute(questions.insert(), rows)

    async def unanswered(self, since: datetime) -> list[RecentQuestion]:
        """The kept texts of unanswered questions asked since ``since``, oldest first."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                select(questions.c.text, questions.c.lang, questions.c.created_at)
                .where(
                    questions.c.topic.is_(None),
                    questions.c.text.is_not(None),
                    questions.c.created_at >= utc(since),
                )
                .order_by(questions.c.created_at, questions.c.id)
            )
            return [RecentQuestion(row.text, parse_lang(row.lang), row.created_at) for row in rows]

    async def prune(self, keep_days: int, now: datetime | None = None) -> int:
        """Erase the texts of unanswered questions older than ``keep_days``; return how many.

        The rows stay, without text, so the per-topic counts in ``stats`` do not change.
        """
        if keep_days < 0:
            raise ValueError(f"keep_days must not be negative, not {keep_days}")
        cutoff = utc(now) - timedelta(days=keep_days)
        async with self._db.write() as conn:
            pruned = await conn.execute(
                update(questions)
                .where(questions.c.text.is_not(None), questions.c.created_at < cutoff)
                .values(text=None)
            )
        return pruned.rowcount
