"""Button presses: every callback query is answered, forged or stale data politely."""

from __future__ import annotations

import logging
from typing import Final

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callback_data, markup, rendering
from bot.conversation import ReplyKind
from bot.handlers.common import Context, show, ui_lang

logger = logging.getLogger(__name__)

TOAST_LIMIT: Final = 200  # Telegram's limit for a callback answer's text


async def pressed(update: Update, context: Context) -> None:
    """Decode the button, let the chat service answer, and show the reply."""
    query = update.callback_query
    if query is None:
        return
    lang = await ui_lang(update, context)
    try:
        action = callback_data.decode(query.data)
    except callback_data.ForgedButton as exc:
        logger.info("Callback data refused from user %s: %s", query.from_user.id, exc)
        reply = context.bot_data.engine.notice("stale_button", lang, menu=True)
    else:
        message = query.message if isinstance(query.message, Message) else None
        keyboard = rendering.parse_keyboard(message.reply_markup if message else None)
        chat_id = message.chat_id if message else query.from_user.id
        reply = await context.bot_data.chats.press(chat_id, action, lang, keyboard)
    # A notice (stale or forged button) also shows as a toast; other presses just stop the
    # button's spinner.
    toast = reply.toast
    if toast is None and reply.kind is ReplyKind.NOTICE:
        toast = markup.to_plain(reply.text)
    await query.answer(toast[:TOAST_LIMIT] if toast else None)
    await show(query, reply)


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CallbackQueryHandler(pressed), group)
