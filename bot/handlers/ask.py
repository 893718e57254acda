"""Typed questions, and polite answers to everything that is not text."""

from __future__ import annotations

import logging
import re

from telegram import Message, MessageEntity, Update
from telegram.ext import Application, MessageHandler, filters

from bot import rendering
from bot.handlers.common import NEW_MESSAGES, Context, handle, send
from bot.replies import Command, Other, Quoted, Text

logger = logging.getLogger(__name__)


class _AddressedToBot(filters.MessageFilter):
    """Private messages, and group messages that mention the bot or reply to it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == "private":
            return True
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        mention = f"@{bot.username}".casefold()
        return any(
            text.casefold() == mention
            for text in message.parse_entities([MessageEntity.MENTION]).values()
        )


ADDRESSED = _AddressedToBot(name="addressed_to_bot")


async def question(update: Update, context: Context) -> None:
    """Answer a typed question with its topic, suggestions, or the out-of-scope line."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text
    if message.chat.type != "private":
        text = re.sub(re.escape(f"@{context.bot.username}"), " ", text, flags=re.IGNORECASE)
    logger.debug("Question in chat %s: %r", message.chat_id, text)
    reply = await handle(update, context, Text(text, _quoted(message)))
    context.bot_data.metrics.question(reply.kind)
    await send(message, reply)


def _quoted(message: Message) -> Quoted | None:
    """The bot's own message this one replies to, as the chat service reads it."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != message.get_bot().id:
        return None
    heading = (replied.text or "").split("\n", 1)[0]
    return Quoted(heading, rendering.parse_keyboard(replied.reply_markup))


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice and the like: a polite line and the menu."""
    if update.effective_message:
        await send(update.effective_message, await handle(update, context, Other()))


async def unknown_command(update: Update, context: Context) -> None:
    """A command this bot does not have: the chat service points to /help."""
    message = update.effective_message
    if message and message.text:
        name = message.text.split(maxsplit=1)[0].lstrip("/").split("@")[0]
        await send(message, await handle(update, context, Command(name)))


def register(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """Add this feature's handlers to ``group``; edited messages are ignored."""
    new = NEW_MESSAGES
    application.add_handler(
        MessageHandler(new & filters.TEXT & ~filters.COMMAND & ADDRESSED, question), group
    )
    application.add_handler(
        MessageHandler(new & filters.COMMAND & filters.ChatType.PRIVATE, unknown_command), group
    )
    application.add_handler(
        MessageHandler(
            new & ~filters.TEXT & ~filters.StatusUpdate.ALL & filters.ChatType.PRIVATE, not_text
        ),
        group,
    )
