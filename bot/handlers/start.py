"""``/start`` (with deep links), ``/topics`` and ``/help``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import NEW_MESSAGES, Context, send, ui_lang


async def start(update: Update, context: Context) -> None:
    """Welcome with the topic menu; ``/start <topic_id>`` opens that topic directly."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    link = context.args[0] if context.args else None
    reply = await context.bot_data.chats.start(chat.id, link, await ui_lang(update, context))
    await send(message, reply)


async def topics(update: Update, context: Context) -> None:
    """The topic menu."""
    if update.effective_message:
        reply = context.bot_data.engine.menu(await ui_lang(update, context))
        await send(update.effective_message, reply)


async def help_command(update: Update, context: Context) -> None:
    """How to use the bot and its commands."""
    if update.effective_message:
        reply = context.bot_data.engine.help(await ui_lang(update, context))
        await send(update.effective_message, reply)


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CommandHandler("start", start, filters=NEW_MESSAGES), group)
    application.add_handler(CommandHandler("topics", topics, filters=NEW_MESSAGES), group)
    application.add_handler(CommandHandler("help", help_command, filters=NEW_MESSAGES), group)
