"""``/subscribe``, ``/unsubscribe``, ``/subscriptions``, ``/language`` and ``/forget``."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import NEW_MESSAGES, Context, send, ui_lang


async def subscribe(update: Update, context: Context) -> None:
    """Follow one topic, or every update."""
    message = update.effective_message
    if message:
        arg = context.args[0] if context.args else None
        lang = await ui_lang(update, context)
        await send(message, await context.bot_data.chats.subscribe(message.chat_id, arg, lang))


async def unsubscribe(update: Update, context: Context) -> None:
    """Stop one topic, or everything."""
    message = update.effective_message
    if message:
        arg = context.args[0] if context.args else None
        lang = await ui_lang(update, context)
        await send(message, await context.bot_data.chats.unsubscribe(message.chat_id, arg, lang))


async def subscriptions(update: Update, context: Context) -> None:
    """What the chat follows."""
    message = update.effective_message
    if message:
        lang = await ui_lang(update, context)
        await send(message, await context.bot_data.chats.subscriptions(message.chat_id, lang))


async def language(update: Update, context: Context) -> None:
    """Offer the three languages as buttons."""
    message = update.effective_message
    if message:
        await send(message, context.bot_data.chats.language_menu(await ui_lang(update, context)))


async def forget(update: Update, context: Context) -> None:
    """Delete everything the bot keeps about this chat."""
    message = update.effective_message
    if message:
        lang = await ui_lang(update, context)
        await send(message, await context.bot_data.chats.forget(message.chat_id, lang))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``."""
    commands = {
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
        "subscriptions": subscriptions,
        "language": language,
        "forget": forget,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES), group)
