"""The chat service: one door for every message, around the conversation.

``handle(origin, incoming)`` resolves the chat's interface language once, then adds what
the bot remembers about the chat (its follows, its language choice, question statistics)
to what the pure ``Conversation`` answers. Nothing here imports ``telegram``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.chat.editors import Editors
from bot.chat.memory import Chat, ChatMemory
from bot.chat.question_log import QuestionLog
from bot.chat.readers import Readers
from bot.conversation import Conversation
from bot.replies import (
    ActionKind,
    Command,
    Incoming,
    Inline,
    Origin,
    Other,
    Press,
    Quoted,
    Reply,
    Text,
)
from bot.storage import Storage
from bot.values import Context, from_code

CommandHandler = Callable[[Chat, Command], Awaitable[Reply]]
CONTEXT_MINUTES: Final = 30.0  # how long a chat's last answer stays its context


class ChatService:
    """Answers a chat's messages, commands and button presses, remembering what it must."""

    def __init__(
        self,
        conversation: Conversation,
        storage: Storage,
        admins: frozenset[int],
        context_minutes: float = CONTEXT_MINUTES,
    ) -> None:
        self.conversation = conversation
        self._context_for = timedelta(minutes=context_minutes)
        self._memory = ChatMemory(storage.chats.state, storage.chats.remember)
        self._questions = QuestionLog(storage.questions)
        self._readers = Readers(conversation, storage, self._memory)
        editors = Editors(conversation, storage, self._questions, admins)
        self._commands: Mapping[str, CommandHandler] = {
            "start": self._start,
            "topics": self._topics,
            "help": self._help,
            "language": self._language,
            "subscribe": self._readers.subscribe,
            "unsubscribe": self._readers.unsubscribe,
            "subscriptions": self._readers.subscriptions,
            "forget": self._readers.forget,
            "news": self._readers.news,
            "publish": editors.publish,
            "stats": editors.stats,
        }

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands ``handle`` answers."""
        return tuple(self._commands)

    async def handle(self, origin: Origin, incoming: Incoming) -> Reply:
        """Answer one incoming message, command or button press from ``origin``."""
        state = await self._memory.state(origin.chat_id)
        chat = Chat(origin, state.language or from_code(origin.language_code), state)
        match incoming:
            case Text(text, quoted):
                context = self._context(state.context, quoted)
                reply = self.conversation.ask(text, chat.ui, state.following, context)
                self._questions.note(text, reply)
                return await self._with_news(chat, self._remembered(chat, reply))
            case Press(action, keyboard):
                if action is not None and action.kind is ActionKind.LANGUAGE:
                    return await self._readers.choose_language(chat, action.arg)
                if action is not None and action.kind in (ActionKind.FOLLOW, ActionKind.UNFOLLOW):
                    return await self._readers.toggle(chat, action, keyboard)
                if action is not None and action.kind is ActionKind.NEWS:
                    return await self._readers.news_page(chat, action.arg)
                reply = self.conversation.press(action, chat.ui, state.following)
                return await self._with_news(chat, self._remembered(chat, reply))
            case Command(name):
                command = self._commands.get(name)
                if command is None:
                    return self.conversation.notice("unknown_command", chat.ui)
                return await command(chat, incoming)
            case Other():
                return self.conversation.notice("non_text", chat.ui, menu=True)
            case Inline(query):
                # Results are not personal (cached by Telegram for everyone): Telegram's
                # language, not the chat's stored choice.
                return self.conversation.share(query, from_code(origin.language_code))

    def apology(self, language_code: str | None) -> Reply:
        """What a reader is told when answering failed; reads nothing (storage may be down)."""
        return self.conversation.notice("error", from_code(language_code))

    async def flush(self) -> None:
        """Store what is written behind: chats' contexts and question statistics."""
        try:
            await self._memory.flush()
        finally:
            await self._questions.flush()

    def _context(self, remembered: Context | None, quoted: Quoted | None) -> Context | None:
        """The context a message is read in: the answer it replies to, else the chat's last
        answer while it is fresh."""
        now = datetime.now(UTC)
        if quoted is not None:
            replied = self.conversation.followups.context_of(quoted, now)
            if replied is not None:
                return replied
        if remembered is not None and now - remembered.at <= self._context_for:
            return remembered
        return None

    async def _with_news(self, chat: Chat, reply: Reply) -> Reply:
        """Under an answer on a topic the chat follows: how many bulletins it has."""
        if reply.topic is None or not chat.state.following.covers(reply.topic):
            return reply
        return self.conversation.with_news(reply, await self._readers.bulletins_on(reply.topic))

    def _remembered(self, chat: Chat, reply: Reply) -> Reply:
        """Make an interview answer the chat's context; return the reply."""
        context = self.conversation.context_after(reply, datetime.now(UTC))
        if context is not None:
            self._memory.remember(chat.id, context)
        return reply

    async def _start(self, chat: Chat, command: Command) -> Reply:
        """``/start``: the welcome, or the deep-linked topic."""
        if not command.args:
            return self.conversation.welcome(chat.ui)
        return self.conversation.open_link(command.args[0], chat.ui, chat.state.following)

    async def _topics(self, chat: Chat, command: Command) -> Reply:
        """``/topics``: the topic menu."""
        return self.conversation.menu(chat.ui)

    async def _help(self, chat: Chat, command: Command) -> Reply:
        """``/help``: how to use the bot."""
        return self.conversation.help(chat.ui)

    async def _language(self, chat: Chat, command: Command) -> Reply:
        """``/language``: one button per language."""
        return self.conversation.language_menu(chat.ui)
