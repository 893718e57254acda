"""What readers can change: follows (commands and the toggle button), language, forgetting."""

from __future__ import annotations

from bot.bulletins import EVERYONE
from bot.chat.memory import Chat, ChatMemory
from bot.conversation import Conversation
from bot.replies import Action, ActionKind, Command, Keyboard, Reply
from bot.storage import ChatStore
from bot.values import Following, parse_lang


class Readers:
    """Reader commands and buttons that change what the bot remembers about a chat."""

    def __init__(self, conversation: Conversation, chats: ChatStore, memory: ChatMemory) -> None:
        self._conversation = conversation
        self._chats = chats
        self._memory = memory

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
