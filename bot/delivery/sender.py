"""The Telegram side of deliveries: a Bot API sender and the message a subscriber reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Final

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Defaults, ExtBot
from telegram.request import HTTPXRequest

from bot import bulletins
from bot.content import Content
from bot.delivery.worker import (
    DeliveryWorker,
    Limits,
    Outbox,
    Rejected,
    RetryLater,
    TemporaryFailure,
    Unreachable,
)
from bot.storage.records import Delivery
from bot.values import DEFAULT_LANG

logger = logging.getLogger(__name__)

WORKER_CONNECTIONS: Final = 8  # the worker's own pool; also how many sends it has in flight

# BadRequest descriptions meaning the chat is gone for good, not that our message is wrong.
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "have no rights")


class TelegramSender:
    """Sends deliveries through ``bot``, translating Bot API errors for the worker."""

    def __init__(self, bot: Bot, on_flood_wait: Callable[[float], None] | None = None) -> None:
        self._bot = bot
        self._on_flood_wait = on_flood_wait

    async def send(self, chat_id: int, text: str) -> None:
        """Send ``text`` to ``chat_id``; raise one of the worker's failure kinds."""
        try:
            await self._bot.send_message(chat_id, text)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            if self._on_flood_wait is not None:
                self._on_flood_wait(seconds)
            raise RetryLater(seconds) from exc
        except (Forbidden, ChatMigrated) as exc:
            # A group that became a supergroup has a new id: this subscription is over.
            raise Unreachable(exc.message) from exc
        except BadRequest as exc:
            if any(reason in exc.message.casefold() for reason in _GONE):
                raise Unreachable(exc.message) from exc
            raise Rejected(exc.message) from exc
        except TelegramError as exc:  # timeouts, 5xx, conflicts: try again
            raise TemporaryFailure(exc.message) from exc


def worker_bot(token: str, base_url: str, defaults: Defaults | None) -> ExtBot[None]:
    """A bot of the worker's own, so bulk sends never take the connections replies use."""
    return ExtBot(
        token,
        base_url=base_url,
        request=HTTPXRequest(connection_pool_size=WORKER_CONNECTIONS),
        defaults=defaults,
    )


def telegram_worker(
    outbox: Outbox,
    bot: Bot,
    content: Content,
    name: str,
    limits: Limits,
    on_flood_wait: Callable[[float], None] | None = None,
) -> DeliveryWorker:
    """The delivery worker sending through ``bot``, each subscriber in their language;
    ``on_flood_wait`` hears of every RetryAfter."""
    sender = TelegramSender(bot, on_flood_wait)
    return DeliveryWorker(outbox, sender, lambda delivery: render(content, delivery), name, limits)


def render(content: Content, delivery: Delivery) -> str:
    """The message a subscriber gets, in their language (English when they have none)."""
    return bulletins.message(content, delivery.topic, delivery.text, delivery.lang or DEFAULT_LANG)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
