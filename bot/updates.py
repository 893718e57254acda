"""A published update as subscribers read it: a header in their language, then the text."""

from __future__ import annotations

from bot import markup
from bot.content import TELEGRAM_MESSAGE_LIMIT, Content
from bot.values import LANGS, Lang


def update_message(content: Content, topic_id: str | None, text: str, lang: Lang) -> str:
    """The message for an update on ``topic_id`` (None: to everyone), in Telegram HTML."""
    topic = content.topic(topic_id) if topic_id else None
    if topic is None:
        header = content.text("update_header_all", lang)
    else:
        header = content.text("update_header", lang, topic=topic.title[lang])
    return f"{header}\n\n{markup.escape(text)}"


def longest_message(content: Content, topic_id: str | None, text: str) -> int:
    """The length of the longest message this update makes in any language."""
    return max(len(update_message(content, topic_id, text, lang)) for lang in LANGS)


def fits(content: Content, topic_id: str | None, text: str) -> bool:
    """Whether every subscriber's copy fits in one Telegram message (checked before queueing,
    since Telegram would refuse each copy)."""
    return longest_message(content, topic_id, text) <= TELEGRAM_MESSAGE_LIMIT
