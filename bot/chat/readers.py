"""What readers can change: follows (commands and the toggle button), language, forgetting."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from bot.bulletins import EVERYONE
from bot.chat.memory import Chat, ChatMemory
from bot.conversation import Conversation
from bot.replies import Action, ActionKind, Command, Keyboard, Reply
from bot.sharing import NEWS_PAGE, parse_page
from bot.storage import Storage
from bot.values import Following, parse_lang

COUNTS_TTL: Final = 30.0  # seconds a count of bulletins per topic is reused


class Readers:
    """Reader commands and buttons that change what the bot remembers about a chat."""

    def __init__(
        self,
        conversation: Conversation,
        storage: Storage,
        memory: ChatMemory,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._conversation = conversation
        self._chats = storage.chats
        self._outbox = storage.outbox
        self._memory = memory
        self._clock = clock
        self._counts: tuple[float, dict[str | None, int]] = (-COUNTS_TTL, {})

    async def news(self, chat: Chat, command: Command) -> Reply:
        """``/news [topic_id]``: the latest bulletins, for everything or one topic."""
        arg = command.args[0] if command.args else EVERYONE
        if arg == EVERYONE:
            return await self._news(chat, None, None)
        topic = self._conversation.interview_topic(arg)
        if topic is None:
            return self._conversation.unknown_topic(arg, chat.ui)
        return await self._news(chat, topic.id, None)

    async def news_page(self, chat: Chat, arg: str) -> Reply:
        """The "more" button under /news: the page before the last one shown."""
        page = parse_page(arg)
        if page is None or (
            page[0] is not None and not self._conversation.interview_topic(page[0])
        ):
            return self._conversation.stale_button(chat.ui)
        return await self._news(chat, page[0], page[1])

    async def bulletins_on(self, topic_id: str) -> int:
        """How many bulletins were published on ``topic_id`` (counts cached a while)."""
        at, counts = self._counts
        if self._clock() - at >= COUNTS_TTL:
            counts = await self._outbox.counts()
            self._counts = (self._clock(), counts)
        return counts.get(topic_id, 0)

    async def _news(self, chat: Chat, topic_id: str | None, before: int | None) -> Reply:
        page = await self._outbox.latest(topic_id, NEWS_PAGE + 1, before)
        return self._conversation.news(
            page[:NEWS_PAGE], topic_id, chat.ui, more=len(page) > NEWS_PAGE
        )

    async def subscribe(self, chat: Chat, command: Command) -> Reply:
        """``/subscribe [topic_id]``: one topic, or every bulletin."""
        arg = command.args[0] if command.args else EVERYONE
        if arg == EVERYONE:
            self._memory.changed(chat.id, await self._chats.follow(chat.id, None, chat.ui))
            return self._conversation.notice("followed_all", chat.ui)
        topic = self._conversation.interview_topic(arg)
        if topic is None:
            return self._conversation.unknown_topic(arg, chat.ui)
        self._memory.changed(chat.id, await self._chats.follow(chat.id, topic.id, chat.ui))
        return self._conversation.notice("followed_topic", chat.ui, topic=topic.title[chat.ui])

    async def unsubscribe(self, chat: Chat, command: Command) -> Reply:
        """``/unsubscribe [topic_id]``: one topic, or everything."""
        arg = command.args[0] if command.args else EVERYONE
        if arg == EVERYONE:
            self._memory.changed(chat.id, await self._chats.unfollow(chat.id, None))
            return self._conversation.notice("unfollowed_all", chat.ui)
        topic = self._conversation.interview_topic(arg)
        if topic is None:
            return self._conversation.unknown_topic(arg, chat.ui)
        await self._unfollow_one(chat, topic.id)
        return self._conversation.notice("unfollowed_topic", chat.ui, topic=topic.title[chat.ui])

    async def subscriptions(self, chat: Chat, command: Command) -> Reply:
        """``/subscriptions``: what the chat follows (read fresh: the worker may change it)."""
        return self._conversation.subscriptions(await self._chats.following(chat.id), chat.ui)

    async def forget(self, chat: Chat, command: Command) -> Reply:
        """``/forget``: delete everything held about the chat."""
        self._memory.forget(chat.id)  # first: a pending context must not be stored after
        await self._chats.forget(chat.id)
        self._memory.forget(chat.id)  # and a read in flight must not be cached
        return self._conversation.notice("forgotten", chat.ui)

    async def toggle(self, chat: Chat, action: Action, keyboard: Keyboard) -> Reply:
        """The follow toggle under an answer: follow or stop the topic, flip the button."""
        topic = self._conversation.interview_topic(action.arg)
        if topic is None:
            return self._conversation.stale_button(chat.ui)
        followed = action.kind is ActionKind.FOLLOW
        if followed:
            following = await self._chats.follow(chat.id, topic.id, chat.ui)
            self._memory.changed(chat.id, following)
        else:
            following = await self._unfollow_one(chat, topic.id)
        return self._conversation.toggled(keyboard, topic.id, chat.ui, following, followed=followed)

    async def choose_language(self, chat: Chat, code: str) -> Reply:
        """A language button: store the choice and show the menu in it."""
        lang = parse_lang(code)
        if lang is None:
            return self._conversation.stale_button(chat.ui)
        await self._chats.set_language(chat.id, lang)
        self._memory.changed(chat.id)
        return self._conversation.language_set(lang)

    async def _unfollow_one(self, chat: Chat, topic_id: str) -> Following:
        """Stop one topic; under "all" that means every other interview topic instead."""
        state = await self._chats.state(chat.id)  # fresh: the decision rests on it
        if state.following.all:
            others = [other for other in self._conversation.topic_ids() if other != topic_id]
            following = await self._chats.follow_only(chat.id, others, state.language or chat.ui)
        else:
            following = await self._chats.unfollow(chat.id, topic_id)
        self._memory.changed(chat.id, following)
        return following
