"""The one error handler: log with the update id, apologise to the user, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.handlers.common import Context

logger = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the error and tell the user politely, if there is a user to tell."""
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("Error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        user = update.effective_user
        text = context.bot_data.chats.apology(user.language_code if user else None).text
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    except (TelegramError, RuntimeError) as exc:
        logger.warning("Could not apologise for update %s: %s", update_id, exc)
