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
        self._failed_once: list[list[Question]] = []  # batches refused once: tried again

    def note(self, text: str, reply: Reply) -> None:
        """Count a classified question (keeping its text only when it went unanswered)."""
        if reply.prediction is None:
            return  # empty messages are not questions
        topic = reply.prediction.topic
        self._pending.append(
            Question(topic, reply.lang, None if topic else text, datetime.now(UTC), _outcome(reply))
        )

    async def flush(self) -> None:
        """Record the questions noted since the last flush, a batch per transaction.

        A batch the database refuses is logged and tried once more at the next flush (the
        database may be back by then); refused again, it is dropped alone. Statistics must
        never stop the bot, the write-behind task, nor the next batch.
        """
        retries, self._failed_once = self._failed_once, []
        for batch in retries:
            if not await self._record(batch):
                logger.warning("Dropped %d question statistics refused twice", len(batch))
        while self._pending:
            batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
            if not await self._record(batch):
                self._failed_once.append(batch)

    async def _record(self, batch: list[Question]) -> bool:
        try:
            await self._store.record(batch)
        except (SQLAlchemyError, OSError, ValueError) as exc:
            logger.warning("The database refused %d question statistics: %s", len(batch), exc)
            return False
        return True


def _outcome(reply: Reply) -> Outcome:
    """How the reader was met: a topic list is neither an answer nor a refusal."""
    if reply.kind is ReplyKind.SUGGESTIONS:
        return Outcome.SUGGESTED
    if reply.kind is ReplyKind.OUT_OF_SCOPE or reply.prediction is None or not reply.topic:
        return Outcome.REFUSED
    return Outcome.ANSWERED
