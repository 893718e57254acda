"""Button presses: every callback query is answered, forged or stale data politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callback_data
from bot.handlers.common import Context, show, ui_lang

logger = logging.getLogger(__name__)


async def pressed(update: Update, context: Context) -> None:
    """Decode the button, let the engine answer, and show the reply."""
    query = update.callback_query
    if query is None:
        return
    engine = context.bot_data.engine
    lang = ui_lang(update)
    try:
        action = callback_data.decode(query.data)
    except callback_data.ForgedButton as exc:
        logger.info("Callback data refused from user %s: %s", query.from_user.id, exc)
        notice = engine.notice("stale_button", lang, menu=True)
        await query.answer(notice.text)
        await show(query, notice)
        return
    await query.answer()
    await show(query, engine.press(action, lang))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CallbackQueryHandler(pressed), group)
