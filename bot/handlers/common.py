"""What every handler shares: the typed context, the call to the chat service, showing."""

from __future__ import annotations

import logging
from typing import Any, Final, TypeAlias

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackContext, ExtBot, filters

from bot import rendering
from bot.replies import Display, Incoming, Origin, Reply
from bot.services import BotData

logger = logging.getLogger(__name__)

# Edited messages are ignored everywhere: an edited /publish must not broadcast twice.
NEW_MESSAGES: Final = filters.UpdateType.MESSAGE

Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


def origin(update: Update) -> Origin:
    """Who sent ``update``: chat, user and their Telegram language."""
    chat, user = update.effective_chat, update.effective_user
    user_id = user.id if user else 0
    return Origin(chat.id if chat else user_id, user_id, user.language_code if user else None)


async def handle(update: Update, context: Context, incoming: Incoming) -> Reply:
    """Hand ``incoming`` to the chat service and return its reply."""
    return await context.bot_data.chats.handle(origin(update), incoming)


async def send(message: Message, reply: Reply) -> None:
    """Send ``reply`` as a new message in ``message``'s chat."""
    await message.reply_text(
        rendering.text(reply), reply_markup=rendering.keyboard(reply), do_quote=False
    )
    if reply.photo is not None:
        # After the text: a caption holds only 1024 characters, the figures may need more.
        await message.reply_photo(reply.photo, do_quote=False)


async def show(query: CallbackQuery, reply: Reply) -> None:
    """Show ``reply`` for a button press: in place when it says so, else as a new message."""
    message = query.message
    if message is None or not isinstance(message, Message):
        # The pressed message is too old to touch; the chat still gets the answer.
        if query.from_user and reply.display is not Display.BUTTONS:
            await query.get_bot().send_message(
                query.from_user.id, rendering.text(reply), reply_markup=rendering.keyboard(reply)
            )
        return
    if reply.display is Display.NEW:
        await send(message, reply)
        return
    try:
        if reply.display is Display.BUTTONS:
            await message.edit_reply_markup(rendering.keyboard(reply))
        else:
            await message.edit_text(rendering.text(reply), reply_markup=rendering.keyboard(reply))
    except BadRequest as exc:
        # A double tap asks for the same text again; Telegram refuses that and nothing is lost.
        if "not modified" not in exc.message:
            raise
