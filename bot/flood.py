"""Flood control for interactive replies: Telegram's per-group limit kept, ``RetryAfter``
waited out and the request sent again, so a reply is delayed rather than lost.

Telegram allows about 20 messages a minute into one group. Sends into a group (a negative
or ``@name`` chat id) take a place in that group's sliding window of the last minute and
wait while it is full. Private chats get one reply per message a reader sends, so they are
not limited here, and replies are not held back in normal traffic. When Telegram answers
``RetryAfter`` anyway, only that chat waits (other chats' replies go on) and the request is
retried, up to ``MAX_RETRIES`` times; a wait longer than ``MAX_WAIT`` seconds is not worth
holding an update for, and the error goes to the error handler.

The delivery worker has limits of its own (``bot.delivery.worker``); this is for the
application's bot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Final

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

GROUP_MESSAGES: Final = 20  # into one group ...
GROUP_WINDOW: Final = 60.0  # ... per this many seconds
MAX_RETRIES: Final = 5
MAX_WAIT: Final = 120.0  # seconds: a longer RetryAfter is given up on
_MAX_GROUPS: Final = 1024  # windows kept before idle ones are forgotten
_IN_FLIGHT_POLL: Final = 0.1  # seconds between looks at a window whose sends are all in flight

Callback = Callable[..., Coroutine[Any, Any, Any]]


class FloodControl(BaseRateLimiter[int]):
    """PTB's rate-limiter seam: per-group windows, per-chat waits after ``RetryAfter``."""

    def __init__(
        self,
        group_messages: int = GROUP_MESSAGES,
        group_window: float = GROUP_WINDOW,
        max_retries: int = MAX_RETRIES,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._group_messages = group_messages
        self._group_window = group_window
        self._max_retries = max_retries
        self._on_wait = on_wait
        self._sent: dict[int | str, list[_Place]] = {}  # group -> its sends of the last window
        self._paused_until: dict[int | str, float] = {}  # chat -> end of its RetryAfter

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Send the request when the chat may take it; after ``RetryAfter``, wait and resend."""
        chat = _chat_key(data.get("chat_id"))
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            place: _Place | None = None
            if chat is not None:
                await self._wait_for_chat(chat)
                if endpoint.startswith("send") and _is_group(chat):
                    place = await self._take_group_place(chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                if attempt == retries or wait > MAX_WAIT:
                    raise
                logger.warning("Flood control on %s: waiting %.1f s, then sending again",
                               endpoint, wait)  # fmt: skip
                if self._on_wait is not None:
                    self._on_wait(wait)
                if chat is None:
                    await asyncio.sleep(wait)
                else:
                    until = time.monotonic() + wait
                    self._paused_until[chat] = max(self._paused_until.get(chat, 0.0), until)
            finally:
                if place is not None:
                    # Counted from when the request is done: it reached Telegram by then,
                    # however long it waited for a connection.
                    place.at = time.monotonic()
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _wait_for_chat(self, chat: int | str) -> None:
        until = self._paused_until.get(chat)
        if until is None:
            return
        wait = until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        elif self._paused_until.get(chat) == until:
            del self._paused_until[chat]

    async def _take_group_place(self, group: int | str) -> _Place:
        """Wait for a place among the group's sends of the last window, and take it."""
        places = self._sent.get(group)
        if places is None:
            if len(self._sent) >= _MAX_GROUPS:
                self._forget_idle_groups()
            places = self._sent[group] = []
        while True:
            now = time.monotonic()
            places[:] = [p for p in places if p.at > now - self._group_window]
            if len(places) < self._group_messages:
                place = _Place()  # no await since the check: the place is ours
                places.append(place)
                return place
            oldest = min(p.at for p in places)
            # All in flight (oldest infinite): look again when one may have finished.
            await asyncio.sleep(min(oldest + self._group_window - now, _IN_FLIGHT_POLL))

    def _forget_idle_groups(self) -> None:
        cutoff = time.monotonic() - self._group_window
        self._sent = {
            group: places
            for group, places in self._sent.items()
            if any(p.at > cutoff for p in places)
        }


class _Place:
    """A send's place in its group's window: when it was done (infinite while in flight)."""

    __slots__ = ("at",)

    def __init__(self) -> None:
        self.at = math.inf


def _chat_key(chat_id: object) -> int | str | None:
    if isinstance(chat_id, int):
        return chat_id
    if isinstance(chat_id, str):
        try:
            return int(chat_id)
        except ValueError:
            return chat_id  # @channelname
    return None


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
