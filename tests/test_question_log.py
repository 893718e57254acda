"""Question statistics written behind the answers: a refused batch is retried once, then
dropped alone; texts no database takes as they are (lone surrogates, NUL) are stored
cleaned through the real bot, and the write-behind task goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError

from bot.chat.question_log import QuestionLog
from bot.conversation import Conversation
from bot.storage import Storage
from bot.storage.records import Question
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import ask, running_bot

ADMIN = 1001


class RefusingStore:
    """The real question store, refusing the next ``refusals`` batches."""

    def __init__(self, store: Storage, refusals: int) -> None:
        self._store = store.questions
        self.refusals = refusals

    async def record(self, asked: Sequence[Question]) -> None:
        if self.refusals:
            self.refusals -= 1
            raise OperationalError("INSERT", {}, ConnectionError("database went away"))
        await self._store.record(asked)


async def noted(log: QuestionLog, conversation: Conversation, *texts: str) -> None:
    for text in texts:
        reply = conversation.ask(text, "en")
        log.note(text, reply)


async def test_a_refused_batch_is_recorded_at_the_next_flush(
    store: Storage, conversation: Conversation
) -> None:
    log = QuestionLog(RefusingStore(store, refusals=1))  # type: ignore[arg-type]
    await noted(log, conversation, "what is the weather?", "direct flights?")
    await log.flush()
    assert (await store.stats()).questions == {}, "refused once"
    await log.flush()
    assert sum((await store.stats()).questions.values()) == 2, "recorded on the retry"


async def test_a_batch_refused_twice_is_dropped_alone(
    store: Storage, conversation: Conversation
) -> None:
    log = QuestionLog(RefusingStore(store, refusals=2))  # type: ignore[arg-type]
    await noted(log, conversation, "what is the weather?")
    await log.flush()
    await noted(log, conversation, "direct flights?", "king sejong institute")
    await log.flush()  # the retry is refused and dropped; the new batch goes in
    questions = (await store.stats()).questions
    assert sum(questions.values()) == 2 and None not in questions


async def test_unstorable_question_texts_reach_stats_through_the_real_bot(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, database_url: str
) -> None:
    """A lone surrogate and a NUL in unanswered questions (Telegram's JSON can carry both):
    stored cleaned; the write-behind task survives them and records what comes after; the
    bot stops cleanly."""
    async with running_bot(
        server,
        conversation,
        tmp_path / "state",
        DATABASE_URL=database_url,
        BOT_ADMIN_IDS=str(ADMIN),
    ) as application:
        await ask(server, "weather \ud800 in baku?", chat=3001)
        await ask(server, "погода\x00 в баку?", chat=3002)
        await application.bot_data.chats.flush()
        await asyncio.sleep(2.5)  # a write-behind round
        await ask(server, "what is the football score?", chat=3003)
        assert all(not task.done() for task in application.bot_data.tasks)
    store = await Storage.open(database_url)
    try:
        stats = await store.stats()
    finally:
        await store.close()
    texts = sorted(question.text for question in stats.recent_questions)
    assert texts == ["weather ? in baku?", "what is the football score?", "погода\ufffd в баку?"]
