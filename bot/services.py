"""What the handlers share, kept in the application's typed ``bot_data``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.chats import ChatService
from bot.config import Settings
from bot.conversation import Conversation


@dataclass
class BotData:
    """Services opened in ``post_init`` and closed in ``post_shutdown``."""

    settings: Settings = field(default_factory=Settings)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _engine: Conversation | None = None
    _chats: ChatService | None = None

    @property
    def engine(self) -> Conversation:
        """The conversation engine; set when the application is built."""
        if self._engine is None:
            raise RuntimeError("the engine is not open yet")
        return self._engine

    @property
    def chats(self) -> ChatService:
        """The per-chat service (engine + store); opened in ``post_init``."""
        if self._chats is None:
            raise RuntimeError("the chat service is not open yet (post_init has not run)")
        return self._chats

    def open(self, engine: Conversation) -> None:
        """Make ``engine`` available to the handlers."""
        self._engine = engine

    def open_chats(self, chats: ChatService | None) -> None:
        """Make ``chats`` available to the handlers (None once it is closed)."""
        self._chats = chats
