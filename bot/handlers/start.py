"""``/start`` (with deep links), ``/topics`` and ``/help``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import Context, send, ui_lang


async def start(update: Update, context: Context) -> None:
    """Welcome with the topic menu; ``/start <topic_id>`` opens that topic directly."""
    message = update.effective_message
    if message is None:
        return
    engine = context.bot_data.engine
    lang = ui_lang(update)
    if context.args:
        await send(message, engine.open_link(context.args[0], lang))
        return
    await send(message, engine.welcome(lang))


async def topics(update: Update, context: Context) -> None:
    """The topic menu."""
    if update.effective_message:
        await send(update.effective_message, context.bot_data.engine.menu(ui_lang(update)))


async def help_command(update: Update, context: Context) -> None:
    """How to use the bot and its commands."""
    if update.effective_message:
        await send(update.effective_message, context.bot_data.engine.help(ui_lang(update)))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    application.add_handler(CommandHandler("start", start), group)
    application.add_handler(CommandHandler("topics", topics), group)
    application.add_handler(CommandHandler("help", help_command), group)
