"""What the application holds, kept in its typed ``bot_data``.

Handlers use one thing from it, ``chats`` (the chat service); the composition root in
``app.py`` opens the rest in ``post_init`` and closes it in ``post_shutdown``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.chat.service import ChatService
from bot.config import Settings
from bot.conversation import Conversation
from bot.metrics import Metrics
from bot.storage import Storage


@dataclass
class BotData:
    """Services opened in ``post_init`` and closed in ``post_shutdown``."""

    settings: Settings = field(default_factory=Settings)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)  # replaced by the application's own
    stop_serving_metrics: Callable[[], Awaitable[None]] | None = None
    _conversation: Conversation | None = None
    _storage: Storage | None = None
    _chats: ChatService | None = None

    @property
    def conversation(self) -> Conversation:
        """The conversation; set when the application is built."""
        if self._conversation is None:
            raise RuntimeError("the conversation is not set yet")
        return self._conversation

    @property
    def chats(self) -> ChatService:
        """The chat service (conversation + storage); opened in ``post_init``."""
        if self._chats is None:
            raise RuntimeError("the chat service is not open yet (post_init has not run)")
        return self._chats

    @property
    def storage(self) -> Storage | None:
        """The storage, while it is open."""
        return self._storage

    def serve(self, conversation: Conversation) -> None:
        """Set the conversation the bot serves."""
        self._conversation = conversation

    def open(self, storage: Storage) -> ChatService:
        """Open the chat service on ``storage``; return it."""
        self._storage = storage
        self._chats = ChatService(
            self.conversation,
            storage,
            self.settings.admin_ids,
            context_minutes=self.settings.context_minutes,
        )
        return self._chats

    def close(self) -> tuple[ChatService, Storage] | None:
        """Take the chat service and storage out of use; None when they were never opened."""
        if self._chats is None or self._storage is None:
            return None
        opened = self._chats, self._storage
        self._chats = self._storage = None
        return opened
