"""Editors' commands, ``/publish`` and ``/stats``: only for the ids in ``BOT_ADMIN_IDS``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot import bulletins, charts
from bot.bulletins import EVERYONE, Refusal, Refused
from bot.chat.memory import Chat
from bot.chat.question_log import QuestionLog
from bot.conversation import Conversation
from bot.replies import Command, Reply
from bot.storage import Storage

logger = logging.getLogger(__name__)


class Editors:
    """Publishing and statistics, refused to anyone who is not an editor."""

    def __init__(
        self,
        conversation: Conversation,
        storage: Storage,
        questions: QuestionLog,
        admins: frozenset[int],
    ) -> None:
        self._conversation = conversation
        self._storage = storage
        self._questions = questions
        self._admins = admins

    async def publish(self, chat: Chat, command: Command) -> Reply:
        """``/publish <topic_id|all> <text>``: queue a bulletin for the matching subscribers."""
        if refusal := self._refuse(chat, command):
            return refusal
        target, text = [*command.text.split(maxsplit=1), "", ""][:2]
        try:
            bulletin = bulletins.prepare(self._conversation.content, target, text)
        except Refused as exc:
            if exc.reason is Refusal.TOO_LONG:
                return self._conversation.notice("publish_too_long", chat.ui, size=str(exc.size))
            topics = ", ".join(self._conversation.topic_ids())
            return self._conversation.notice("publish_usage", chat.ui, topics=topics)
        user = chat.origin.user_id
        result = await self._storage.outbox.publish(bulletin.topic, bulletin.text, user)
        logger.info("User %s published bulletin %s to %s", user, result.bulletin_id, target)
        name = self._conversation.title(bulletin.topic, chat.ui) if bulletin.topic else EVERYONE
        return self._conversation.notice(
            "published",
            chat.ui,
            count=str(result.queued),
            topic=name,
            update=str(result.bulletin_id),
        )

    async def stats(self, chat: Chat, command: Command) -> Reply:
        """``/stats``: subscribers, deliveries, questions; the last two weeks as a chart."""
        if refusal := self._refuse(chat, command):
            return refusal
        await self._questions.flush()
        reply = self._conversation.stats(await self._storage.stats(), chat.ui)
        chart = await self._chart()
        return replace(reply, photo=chart) if chart is not None else reply

    async def _chart(self) -> bytes | None:
        """The chart as a PNG; None (the figures still go out) when it cannot be drawn."""
        trends = await self._storage.trends()
        try:
            # Drawing takes a second of CPU: in a thread, so other chats are not kept waiting.
            return await asyncio.to_thread(charts.render, trends)
        except ImportError as exc:  # an install without matplotlib
            logger.warning("No chart for /stats: %s", exc)
            return None

    def _refuse(self, chat: Chat, command: Command) -> Reply | None:
        """A refusal for anyone not in ``BOT_ADMIN_IDS``; None for an editor."""
        if chat.origin.user_id in self._admins:
            return None
        logger.warning(
            "Refused /%s from user %s (not in BOT_ADMIN_IDS)", command.name, chat.origin.user_id
        )
        return self._conversation.notice("not_admin", chat.ui)
