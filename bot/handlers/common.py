"""What every handler needs: the typed context, the user's language, sending a reply."""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackContext, ExtBot

from bot import rendering
from bot.conversation import Reply
from bot.language import Lang, from_code
from bot.services import BotData

logger = logging.getLogger(__name__)

Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


def ui_lang(update: Update) -> Lang:
    """The language of the user's buttons and menus: Telegram's ``language_code``."""
    user = update.effective_user
    return from_code(user.language_code if user else None)


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
        if query.from_user:
            await query.get_bot().send_message(
                query.from_user.id, rendering.text(reply), reply_markup=rendering.keyboard(reply)
            )
        return
    if not reply.edit:
        await send(message, reply)
        return
    try:
        await message.edit_text(rendering.text(reply), reply_markup=rendering.keyboard(reply))
    except BadRequest as exc:
        # A double tap asks for the same text again; Telegram refuses that and nothing is lost.
        if "not modified" not in exc.message:
            raise
