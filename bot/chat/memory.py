"""The chat state cache: a question costs no database read.

This process updates its cache on every change it makes; the TTL bounds how long a change
made by another replica (or the delivery worker deactivating a chat) takes to show. A
read in flight across a change is not cached over it: each change bumps the chat's
generation, and a read only caches what it got if the generation is unchanged.

A chat's context (its last answer) changes with nearly every message, so it is written
behind: kept here at once, stored in batches by ``flush``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Final

from bot.replies import Origin
from bot.storage.records import ChatState
from bot.values import Context, Following, Lang

TTL: Final = 30.0  # seconds
SIZE: Final = 50_000  # chats cached at most


@dataclass(frozen=True)
class Chat:
    """A message's chat as the service knows it: who wrote, the interface language, the state.

    ``ui`` is resolved once per message: the chat's /language choice, else Telegram's.
    """

    origin: Origin
    ui: Lang
    state: ChatState

    @property
    def id(self) -> int:
        """The Telegram chat id."""
        return self.origin.chat_id


class ChatMemory:
    """Chat states read through ``load`` and kept for ``ttl`` seconds."""

    def __init__(
        self,
        load: Callable[[int], Awaitable[ChatState]],
        store: Callable[[Mapping[int, Context]], Awaitable[None]] | None = None,
        ttl: float = TTL,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._states: dict[int, tuple[float, ChatState]] = {}
        self._generations: dict[int, int] = {}
        self._store = store
        self._contexts: dict[int, Context] = {}  # remembered, not yet stored

    async def state(self, chat_id: int) -> ChatState:
        """The chat's state, from the cache while it is fresh."""
        cached = self._states.get(chat_id)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        generation = self._generations.get(chat_id, 0)
        state = await self._load(chat_id)
        if chat_id in self._contexts:  # newer than what storage has
            state = ChatState(state.language, state.following, self._contexts[chat_id])
        if self._generations.get(chat_id, 0) == generation:
            self._remember(chat_id, state)
        return state

    def changed(self, chat_id: int, following: Following | None = None) -> None:
        """Note a change this process made: what the chat now follows, or None to forget it."""
        self._generations[chat_id] = self._generations.get(chat_id, 0) + 1
        cached = self._states.pop(chat_id, None)
        if following is not None and cached is not None and cached[0] > self._clock():
            state = cached[1]
            self._remember(chat_id, ChatState(state.language, following, state.context))

    def forget(self, chat_id: int) -> None:
        """Drop all this process holds about the chat (``/forget``)."""
        self._contexts.pop(chat_id, None)
        self.changed(chat_id)

    def remember(self, chat_id: int, context: Context) -> None:
        """Note the chat's new context: seen at once here, stored by the next ``flush``."""
        self._contexts[chat_id] = context
        cached = self._states.get(chat_id)
        if cached is not None:
            state = cached[1]
            self._states[chat_id] = (cached[0], ChatState(state.language, state.following, context))

    async def flush(self) -> None:
        """Store the contexts remembered since the last flush."""
        if self._store is None or not self._contexts:
            return
        pending, self._contexts = self._contexts, {}
        try:
            await self._store(pending)
        except BaseException:
            # Kept for the next flush, unless a newer context replaced it meanwhile.
            self._contexts = {**pending, **self._contexts}
            raise

    def _remember(self, chat_id: int, state: ChatState) -> None:
        if len(self._states) >= self._size:
            self._states.clear()
            self._generations.clear()
        self._states[chat_id] = (self._clock() + self._ttl, state)
