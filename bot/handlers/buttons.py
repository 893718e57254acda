"""Button presses: every callback query is answered, forged or stale data politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callback_data, markup
from bot.conversation import ReplyKind
from bot.handlers.common import Context, show, ui_lang

logger = logging.getLogger(__name__)

TOAST_LIMIT = 200  # Telegram's limit for a callback answer's text


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
        reply = engine.notice("stale_button", lang, menu=True)
    else:
        reply = engine.press(action, lang)
    # A notice (stale or forged button) also shows as a toast; everything else just stops
    # the button's spinner.
    toast = markup.to_plain(reply.text)[:TOAST_LIMIT] if reply.kind is ReplyKind.NOTICE else None
    await query.answer(toast)
    await show(query, reply)


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CallbackQueryHandler(pressed), group)
