"""Every ``/command``: the chat service answers them all through the same door."""

from __future__ import annotations

from typing import Final

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.handlers.common import NEW_MESSAGES, Context, handle, send
from bot.replies import Command

# Shown in Telegram's command menu, in this order; editors' commands are not advertised.
READER_COMMANDS: Final = (
    "start", "topics", "help", "news", "subscribe", "unsubscribe", "subscriptions", "language",
    "forget",
)  # fmt: skip
EDITOR_COMMANDS: Final = ("publish", "stats")


async def command(update: Update, context: Context) -> None:
    """Answer a command; its text keeps its own spacing and line breaks (``/publish``)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    word, *rest = message.text.split(maxsplit=1)
    name = word.lstrip("/").split("@")[0].casefold()
    incoming = Command(name, tuple(context.args or ()), rest[0] if rest else "")
    await send(message, await handle(update, context, incoming))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add a handler for every command to ``group``; edited messages are ignored."""
    names = READER_COMMANDS + EDITOR_COMMANDS
    application.add_handler(CommandHandler(names, command, filters=NEW_MESSAGES), group)
