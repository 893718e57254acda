"""Reply model -> Telegram message parts: HTML text and an inline keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callback_data
from bot.content import TELEGRAM_MESSAGE_LIMIT
from bot.replies import Button, Keyboard, Reply

_ELLIPSIS = "…"


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard, or None when it has none."""
    if not reply.keyboard:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button.label, callback_data=callback_data.encode(button.action)
                )
                for button in row
            ]
            for row in reply.keyboard
        ]
    )


def text(reply: Reply) -> str:
    """Return the reply's HTML text within Telegram's length limit."""
    if len(reply.text) <= TELEGRAM_MESSAGE_LIMIT:
        return reply.text
    # Only user-supplied text can get here (content is validated); cut at a line break so
    # no HTML tag is split.
    cut = reply.text.rfind("\n", 0, TELEGRAM_MESSAGE_LIMIT - len(_ELLIPSIS))
    return reply.text[: max(cut, 0)] + _ELLIPSIS


def parse_keyboard(markup: InlineKeyboardMarkup | None) -> Keyboard:
    """Return a sent message's inline keyboard as the reply model (foreign buttons dropped)."""
    if markup is None:
        return ()
    rows = []
    for row in markup.inline_keyboard:
        buttons = []
        for button in row:
            try:
                action = callback_data.decode(button.callback_data)
            except callback_data.ForgedButton:
                continue
            buttons.append(Button(button.text, action))
        if buttons:
            rows.append(tuple(buttons))
    return tuple(rows)
