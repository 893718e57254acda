"""What the handlers share, kept in the application's typed ``bot_data``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.config import Settings
from bot.conversation import Conversation


@dataclass
class BotData:
    """Services opened in ``post_init`` and closed in ``post_shutdown``."""

    settings: Settings = field(default_factory=Settings)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _engine: Conversation | None = None

    @property
    def engine(self) -> Conversation:
        """The conversation engine; opened before the first update is handled."""
        if self._engine is None:
            raise RuntimeError("the engine is not open yet (post_init has not run)")
        return self._engine

    def open(self, engine: Conversation) -> None:
        """Make ``engine`` available to the handlers."""
        self._engine = engine
