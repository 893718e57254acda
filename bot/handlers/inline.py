"""Inline mode: ``@bot <question>`` in any chat lists the answers to post there."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, InlineQueryHandler

from bot import rendering
from bot.handlers.common import Context, handle
from bot.replies import Inline


async def query(update: Update, context: Context) -> None:
    """Answer an inline query with the matching topics' short answers, best first."""
    inline = update.inline_query
    if inline is None:
        return
    reply = await handle(update, context, Inline(inline.query))
    await inline.answer(
        rendering.articles(reply, context.bot.username),
        cache_time=rendering.INLINE_CACHE_SECONDS,
        is_personal=False,
    )


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handler to ``group``."""
    application.add_handler(InlineQueryHandler(query), group)
