"""Button presses: every callback query is answered, forged or stale data politely."""

from __future__ import annotations

import logging
from typing import Final

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callback_data, rendering
from bot.handlers.common import Context, handle, show
from bot.replies import Press

logger = logging.getLogger(__name__)

TOAST_LIMIT: Final = 200  # Telegram's limit for a callback answer's text


async def pressed(update: Update, context: Context) -> None:
    """Decode the button, let the chat service answer, and show the reply."""
    query = update.callback_query
    if query is None:
        return
    try:
        action = callback_data.decode(query.data)
    except callback_data.ForgedButton as exc:
        logger.info("Callback data refused from user %s: %s", query.from_user.id, exc)
        action = None
    message = query.message if isinstance(query.message, Message) else None
    keyboard = rendering.parse_keyboard(message.reply_markup if message else None)
    reply = await handle(update, context, Press(action, keyboard))
    # Without a toast, answering just stops the button's spinner.
    await query.answer(reply.toast[:TOAST_LIMIT] if reply.toast else None)
    await show(query, reply)


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CallbackQueryHandler(pressed), group)
