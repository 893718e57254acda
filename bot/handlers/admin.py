"""Editors' commands: ``/publish <topic_id|all> <text>`` and ``/stats``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import NEW_MESSAGES, Context, send, ui_lang


async def publish(update: Update, context: Context) -> None:
    """Queue an update for the subscribers (editors only)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    args = context.args or []
    # The text keeps its own spacing and line breaks: take it from the message, not args.
    parts = message.text.split(maxsplit=2)
    text = parts[2] if len(parts) == 3 else ""
    lang = await ui_lang(update, context)
    await send(message, await context.bot_data.chats.publish(user.id, args, text, lang))


async def stats(update: Update, context: Context) -> None:
    """Subscribers, deliveries and questions (editors only)."""
    message, user = update.effective_message, update.effective_user
    if message and user:
        lang = await ui_lang(update, context)
        await send(message, await context.bot_data.chats.stats(user.id, lang))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CommandHandler("publish", publish, filters=NEW_MESSAGES), group)
    application.add_handler(CommandHandler("stats", stats, filters=NEW_MESSAGES), group)
