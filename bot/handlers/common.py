"""What every handler needs: the typed context, the user's language, sending a reply."""

from __future__ import annotations

import logging
from typing import Any, Final, TypeAlias

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackContext, ExtBot, filters

from bot import rendering
from bot.conversation import Reply
from bot.services import BotData
from bot.values import Lang

logger = logging.getLogger(__name__)

# Edited messages are ignored everywhere: an edited /publish must not broadcast twice.
NEW_MESSAGES: Final = filters.UpdateType.MESSAGE

Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


async def ui_lang(update: Update, context: Context) -> Lang:
    """The language of the chat's buttons and menus: its /language, else Telegram's."""
    chat, user = update.effective_chat, update.effective_user
    code = user.language_code if user else None
    return await context.bot_data.chats.ui_lang(chat.id if chat else 0, code)


async def send(message: Message, reply: Reply) -> None:
    """Send ``reply`` as a new message in ``message``'s chat."""
    await message.reply_text(
        rendering.text(reply), reply_markup=rendering.keyboard(reply), do_quote=False
    )


async def show(query: CallbackQuery, reply: Reply) -> None:
    """Show ``reply`` for a button press: in place when it says so, else as a new message."""
    message = query.message
    if message is None or not isinstance(message, Message):
        # The pressed message is too old to touch; the chat still gets the answer.
        if query.from_user and not reply.markup_only:
            await query.get_bot().send_message(
                query.from_user.id, rendering.text(reply), reply_markup=rendering.keyboard(reply)
            )
        return
    if not (reply.edit or reply.markup_only):
        await send(message, reply)
        return
    try:
        if reply.markup_only:
            await message.edit_reply_markup(rendering.keyboard(reply))
        else:
            await message.edit_text(rendering.text(reply), reply_markup=rendering.keyboard(reply))
    except BadRequest as exc:
        # A double tap asks for the same text again; Telegram refuses that and nothing is lost.
        if "not modified" not in exc.message:
            raise
