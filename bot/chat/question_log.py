"""Question statistics, written behind the answers in batches."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from bot.replies import Reply, ReplyKind
from bot.storage import QuestionStore
from bot.storage.records import Outcome, Question

logger = logging.getLogger(__name__)

BATCH: Final = 100  # questions recorded in one transaction at most


class QuestionLog:
    """Counts answered questions and keeps unanswered ones until the next flush."""

    def __init__(self, store: QuestionStore) -> None:
        self._store = store
        self._pending: list[Question] = []

    def note(self, text: str, reply: Reply) -> None:
        """Count a classified question (keeping its text only when it went unanswered)."""
        if reply.prediction is None:
            return  # empty messages are not questions
        topic = reply.prediction.topic
        self._pending.append(
            Question(topic, reply.lang, None if topic else text, datetime.now(UTC), _outcome(reply))
        )

    async def flush(self) -> None:
        """Record the questions noted since the last flush; a batch the database refuses is
        logged and dropped alone (statistics must never stop the bot, nor the next batch)."""
        while self._pending:
            batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            try:
                await self._store.record(batch)
            except SQLAlchemyError as exc:
                logger.warning(
                    "Dropped %d question statistics the database refused: %s", len(batch), exc
                )


def _outcome(reply: Reply) -> Outcome:
    """How the reader was met: a topic list is neither an answer nor a refusal."""
    if reply.kind is ReplyKind.SUGGESTIONS:
        return Outcome.SUGGESTED
    if reply.kind is ReplyKind.OUT_OF_SCOPE or reply.prediction is None or not reply.topic:
        return Outcome.REFUSED
    return Outcome.ANSWERED
