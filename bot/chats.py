"""What the bot does for a chat: the engine plus what it remembers about that chat.

Subscriptions, the language choice, question statistics and the editors' commands live
here, behind one async service, so Telegram handlers stay thin: parse the update, call a
method, render the ``Reply``. Nothing here imports ``telegram``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from bot import markup
from bot.content import Content
from bot.conversation import (
    Action,
    ActionKind,
    Button,
    Conversation,
    Keyboard,
    Reply,
    ReplyKind,
)
from bot.storage import ChatState, Question, Stats, Store
from bot.updates import fits, longest_message
from bot.values import LANGS, Following, Lang, from_code

logger = logging.getLogger(__name__)

# Each language is named in itself: a reader looking for theirs must recognise it.
LANGUAGE_NAMES: Final[dict[Lang, str]] = {"en": "English", "az": "Azərbaycanca", "ru": "Русский"}
ALL: Final = "all"
# Chat state is cached so that a question costs no database read. This process updates its
# cache on every change it makes; the TTL bounds how long a change made by another replica
# (or the delivery worker deactivating a chat) takes to show.
STATE_TTL: Final = 30.0
STATE_CACHE_SIZE: Final = 50_000
QUESTION_BATCH: Final = 100  # questions recorded in one transaction at most


class ChatService:
    """Answers a chat's messages, commands and button presses, remembering what it must."""

    def __init__(self, engine: Conversation, store: Store, admins: frozenset[int]) -> None:
        self.engine = engine
        self.store = store
        self._admins = admins
        self._states: dict[int, tuple[float, ChatState]] = {}
        # Bumped on every change this process makes to a chat: a read that was in flight
        # across a change is not cached over it.
        self._generations: dict[int, int] = {}
        self._questions: list[Question] = []

    async def ui_lang(self, chat_id: int, telegram_code: str | None) -> Lang:
        """The chat's /language choice, else its Telegram language (az, ru, else English)."""
        return (await self._state(chat_id)).language or from_code(telegram_code)

    async def flush_questions(self) -> None:
        """Record the questions counted since the last flush (statistics are written behind)."""
        while self._questions:
            batch, self._questions = (
                self._questions[:QUESTION_BATCH],
                self._questions[QUESTION_BATCH:],
            )
            await self.store.record_questions(batch)

    async def _state(self, chat_id: int) -> ChatState:
        cached = self._states.get(chat_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        generation = self._generations.get(chat_id, 0)
        state = await self.store.chat_state(chat_id)
        if self._generations.get(chat_id, 0) == generation:
            self._remember(chat_id, state)
        return state

    def _remember(self, chat_id: int, state: ChatState) -> None:
        if len(self._states) >= STATE_CACHE_SIZE:
            self._states.clear()
            self._generations.clear()
        self._states[chat_id] = (time.monotonic() + STATE_TTL, state)

    async def _following(self, chat_id: int) -> Following:
        return (await self._state(chat_id)).following

    def _changed(self, chat_id: int, following: Following | None = None) -> None:
        """Note a change this process made (None: forget the cached state)."""
        self._generations[chat_id] = self._generations.get(chat_id, 0) + 1
        cached = self._states.pop(chat_id, None)
        if following is not None and cached is not None and cached[0] > time.monotonic():
            self._remember(chat_id, ChatState(cached[1].language, following))

    async def start(self, chat_id: int, link: str | None, lang: Lang) -> Reply:
        """``/start``: the welcome, or the deep-linked topic."""
        if not link:
            return self.engine.welcome(lang)
        return self.engine.open_link(link, lang, await self._following(chat_id))

    async def ask(self, chat_id: int, text: str, lang: Lang) -> Reply:
        """Answer a typed question and count it (keeping the text only when unanswered)."""
        reply = self.engine.ask(text, lang, await self._following(chat_id))
        if reply.prediction is not None:
            topic = reply.prediction.topic
            self._questions.append(
                Question(topic, reply.lang, None if topic else text, datetime.now(UTC))
            )
        return reply

    async def press(self, chat_id: int, action: Action, lang: Lang, keyboard: Keyboard) -> Reply:
        """Answer a button; ``keyboard`` is the pressed message's, for the subscribe toggle."""
        if action.kind is ActionKind.LANGUAGE:
            return await self.set_language(chat_id, action.arg)
        if action.kind in (ActionKind.FOLLOW, ActionKind.UNFOLLOW):
            topic = self.engine.content.topic(action.arg)
            if topic is None or topic.kind != "interview":
                return self.engine.notice("stale_button", lang, menu=True)
            if action.kind is ActionKind.FOLLOW:
                following = await self.store.follow(chat_id, topic.id, lang)
                self._changed(chat_id, following)
                toast = self._text("followed_topic", lang, topic=topic.title[lang])
            else:
                following = await self._unfollow_one(chat_id, topic.id)
                toast = self._text("unfollowed_topic", lang, topic=topic.title[lang])
            return Reply(
                "",
                lang,
                ReplyKind.NOTICE,
                self.engine.with_toggle(keyboard, topic.id, lang, following),
                topic.id,
                toast=markup.to_plain(toast),
                markup_only=True,
            )
        return self.engine.press(action, lang, await self._following(chat_id))

    async def subscribe(self, chat_id: int, arg: str | None, lang: Lang) -> Reply:
        """``/subscribe [topic_id]``: one topic, or every update."""
        if not arg or arg == ALL:
            self._changed(chat_id, await self.store.follow(chat_id, None, lang))
            return self.engine.notice("followed_all", lang)
        topic = self._interview_topic(arg)
        if topic is None:
            return self._unknown_topic(arg, lang)
        self._changed(chat_id, await self.store.follow(chat_id, topic, lang))
        return self.engine.notice("followed_topic", lang, topic=self._title(topic, lang))

    async def unsubscribe(self, chat_id: int, arg: str | None, lang: Lang) -> Reply:
        """``/unsubscribe [topic_id]``: one topic, or everything."""
        if not arg or arg == ALL:
            self._changed(chat_id, await self.store.unfollow(chat_id, None))
            return self.engine.notice("unfollowed_all", lang)
        topic = self._interview_topic(arg)
        if topic is None:
            return self._unknown_topic(arg, lang)
        await self._unfollow_one(chat_id, topic)
        return self.engine.notice("unfollowed_topic", lang, topic=self._title(topic, lang))

    async def subscriptions(self, chat_id: int, lang: Lang) -> Reply:
        """``/subscriptions``: what the chat follows."""
        following = await self.store.following(chat_id)  # fresh: the worker may have changed it
        if following.all:
            return self.engine.notice("subscriptions_all", lang)
        if not following.topics:
            return self.engine.notice("subscriptions_none", lang)
        ordered = [t.id for t in self.engine.content.interview_topics if t.id in following.topics]
        titles = ", ".join(self._title(topic, lang) for topic in ordered)
        return self.engine.notice("subscriptions_topics", lang, topics=titles)

    async def forget(self, chat_id: int, lang: Lang) -> Reply:
        """``/forget``: delete everything held about the chat."""
        await self.store.forget(chat_id)
        self._changed(chat_id)
        return self.engine.notice("forgotten", lang)

    def language_menu(self, lang: Lang) -> Reply:
        """``/language``: one button per language."""
        buttons = tuple(
            (Button(LANGUAGE_NAMES[code], Action(ActionKind.LANGUAGE, code)),) for code in LANGS
        )
        return Reply(self._text("language_prompt", lang), lang, ReplyKind.NOTICE, buttons)

    async def set_language(self, chat_id: int, code: str) -> Reply:
        """Store the chat's language and show the menu in it."""
        lang = next((candidate for candidate in LANGS if candidate == code), None)
        if lang is None:
            return self.engine.notice("stale_button", "en", menu=True)
        await self.store.set_language(chat_id, lang)
        self._changed(chat_id)
        menu = self.engine.menu(lang, edit=True)
        text = f"{self._text('language_set', lang)}\n\n{menu.text}"
        return Reply(text, lang, ReplyKind.MENU, menu.keyboard, edit=True)

    def is_admin(self, user_id: int) -> bool:
        """Whether ``user_id`` may publish and read statistics (``BOT_ADMIN_IDS``)."""
        return user_id in self._admins

    async def publish(self, user_id: int, args: Sequence[str], text: str, lang: Lang) -> Reply:
        """``/publish <topic_id|all> <text>``: queue an update for the matching subscribers."""
        if not self.is_admin(user_id):
            logger.warning("Refused /publish from user %s (not in BOT_ADMIN_IDS)", user_id)
            return self.engine.notice("not_admin", lang)
        target = args[0] if args else ""
        topic = None if target == ALL else self._interview_topic(target)
        if (target != ALL and topic is None) or not text.strip():
            ids = ", ".join(t.id for t in self.engine.content.interview_topics)
            return self.engine.notice("publish_usage", lang, topics=ids)
        if not fits(self.engine.content, topic, text.strip()):
            size = longest_message(self.engine.content, topic, text.strip())
            return self.engine.notice("publish_too_long", lang, size=str(size))
        result = await self.store.publish(topic, text.strip(), user_id)
        logger.info("User %s published update %s to %s", user_id, result.update_id, target)
        name = self._title(topic, lang) if topic else ALL
        return self.engine.notice(
            "published", lang, count=str(result.queued), topic=name, update=str(result.update_id)
        )

    async def stats(self, user_id: int, lang: Lang) -> Reply:
        """``/stats`` for editors: subscribers, deliveries, questions."""
        if not self.is_admin(user_id):
            logger.warning("Refused /stats from user %s (not in BOT_ADMIN_IDS)", user_id)
            return self.engine.notice("not_admin", lang)
        await self.flush_questions()
        text = format_stats(await self.store.stats(), self.engine.content, lang, html=True)
        return Reply(text, lang, ReplyKind.NOTICE)

    async def _unfollow_one(self, chat_id: int, topic: str) -> Following:
        """Stop one topic; under "all" that means every other interview topic instead."""
        state = await self.store.chat_state(chat_id)
        if state.following.all:
            others = [t.id for t in self.engine.content.interview_topics if t.id != topic]
            following = await self.store.follow_only(chat_id, others, state.language or "en")
        else:
            following = await self.store.unfollow(chat_id, topic)
        self._changed(chat_id, following)
        return following

    def _interview_topic(self, topic_id: str) -> str | None:
        topic = self.engine.content.topic(topic_id)
        return topic.id if topic is not None and topic.kind == "interview" else None

    def _unknown_topic(self, arg: str, lang: Lang) -> Reply:
        return self.engine.notice("unknown_topic", lang, menu=True, topic=markup.escape(arg[:64]))

    def _title(self, topic_id: str, lang: Lang) -> str:
        return self.engine.topic_title(topic_id, lang) or topic_id

    def _text(self, key: str, lang: Lang, **fields: str) -> str:
        return self.engine.content.text(key, lang, **fields)


def format_stats(stats: Stats, content: Content, lang: Lang, *, html: bool) -> str:
    """Statistics as text (Telegram HTML or plain) in ``lang``."""
    per_topic = ", ".join(
        f"{topic.id} {stats.followers.get(topic.id, 0)}" for topic in content.interview_topics
    )
    asked = ", ".join(
        f"{topic or 'out_of_scope'} {count}"
        for topic, count in sorted(stats.questions.items(), key=lambda item: -item[1])
    )
    recent = "\n".join(
        f"• {question.created_at:%Y-%m-%d %H:%M} {markup.escape(question.text)}"
        for question in stats.recent_questions
    )
    text = content.text(
        "stats",
        lang,
        active=str(stats.active),
        inactive=str(stats.inactive),
        all=str(stats.follows_all),
        per_topic=per_topic or "-",
        updates=str(stats.updates),
        deliveries=", ".join(f"{status.value} {n}" for status, n in stats.deliveries.items()),
        questions=asked or "-",
        unanswered=recent or "-",
    )
    return text if html else markup.to_plain(text)
