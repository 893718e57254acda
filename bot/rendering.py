"""Reply model -> Telegram message parts: HTML text, inline keyboards, inline-query results."""

from __future__ import annotations

import re
from typing import Final

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.constants import ParseMode

from bot import callback_data
from bot.content import TELEGRAM_MESSAGE_LIMIT
from bot.replies import Action, ActionKind, Article, Button, Keyboard, Reply

_ELLIPSIS = "…"
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
INLINE_CACHE_SECONDS: Final = 300  # answers are the same for everyone; content rarely changes


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the reply's buttons as an inline keyboard, or None when it has none."""
    if not reply.keyboard:
        return None
    return InlineKeyboardMarkup([[_button(button) for button in row] for row in reply.keyboard])


def _button(button: Button) -> InlineKeyboardButton:
    if button.action.kind is ActionKind.SHARE:
        # Opens "@bot <topic id>" in a chat of the reader's choosing: inline mode does the rest.
        return InlineKeyboardButton(button.label, switch_inline_query=button.action.arg)
    return InlineKeyboardButton(button.label, callback_data=callback_data.encode(button.action))


def text(reply: Reply) -> str:
    """Return the reply's HTML text within Telegram's length limit."""
    if len(reply.text) <= TELEGRAM_MESSAGE_LIMIT:
        return reply.text
    # Only user-supplied text can get here (content is validated); cut at a line break so
    # no HTML tag is split.
    cut = reply.text.rfind("\n", 0, TELEGRAM_MESSAGE_LIMIT - len(_ELLIPSIS))
    return reply.text[: max(cut, 0)] + _ELLIPSIS


def articles(reply: Reply, bot_username: str) -> list[InlineQueryResultArticle]:
    """The reply's articles as inline-query results, each with a button back into the bot."""
    return [_article(article, bot_username) for article in reply.articles]


def _article(article: Article, bot_username: str) -> InlineQueryResultArticle:
    link = f"https://t.me/{bot_username}" + (f"?start={article.link}" if article.link else "")
    return InlineQueryResultArticle(
        id=article.id,
        title=article.title,
        description=article.description,
        input_message_content=InputTextMessageContent(
            article.text[:TELEGRAM_MESSAGE_LIMIT], parse_mode=ParseMode.HTML
        ),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(article.button, url=link)]]),
    )


def parse_keyboard(markup: InlineKeyboardMarkup | None) -> Keyboard:
    """Return a sent message's inline keyboard as the reply model (foreign buttons dropped)."""
    if markup is None:
        return ()
    rows = []
    for row in markup.inline_keyboard:
        buttons = []
        for button in row:
            query = button.switch_inline_query
            if query is not None and _TOPIC_ID.match(query):
                buttons.append(Button(button.text, Action(ActionKind.SHARE, query)))
                continue
            try:
                action = callback_data.decode(button.callback_data)
            except callback_data.ForgedButton:
                continue
            buttons.append(Button(button.text, action))
        if buttons:
            rows.append(tuple(buttons))
    return tuple(rows)
