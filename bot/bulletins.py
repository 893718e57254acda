"""Bulletins: what an editor may publish, and the message each subscriber reads.

One rule for what may be published, used by ``/publish`` in Telegram and ``python -m bot
publish`` alike: a known interview topic (or everyone), some text, and a message that fits
in one Telegram message in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from bot import markup
from bot.content import TELEGRAM_MESSAGE_LIMIT, Content
from bot.values import LANGS, Lang

EVERYONE: Final = "all"  # the target that reaches every subscriber


class Refusal(StrEnum):
    """Why a bulletin cannot be published."""

    UNKNOWN_TOPIC = "unknown_topic"
    EMPTY = "empty"
    TOO_LONG = "too_long"


class Refused(ValueError):
    """A bulletin that breaks the publishing rule; ``size`` is set for ``TOO_LONG``."""

    def __init__(self, reason: Refusal, size: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.size = size


@dataclass(frozen=True)
class Bulletin:
    """A bulletin ready to queue: its topic (None: everyone) and its text."""

    topic: str | None
    text: str


def prepare(content: Content, target: str, text: str) -> Bulletin:
    """Check a bulletin for ``target`` (a topic id or ``all``); raise ``Refused`` if it breaks
    the rule."""
    topic = None if target == EVERYONE else content.topic(target)
    if target != EVERYONE and (topic is None or topic.kind != "interview"):
        raise Refused(Refusal.UNKNOWN_TOPIC)
    text = text.strip()
    if not text:
        raise Refused(Refusal.EMPTY)
    topic_id = topic.id if topic else None
    # Checked before queueing: Telegram would refuse every subscriber's copy.
    size = max(len(message(content, topic_id, text, lang)) for lang in LANGS)
    if size > TELEGRAM_MESSAGE_LIMIT:
        raise Refused(Refusal.TOO_LONG, size)
    return Bulletin(topic_id, text)


def message(content: Content, topic_id: str | None, text: str, lang: Lang) -> str:
    """The message for a bulletin on ``topic_id`` (None: to everyone), in Telegram HTML."""
    topic = content.topic(topic_id) if topic_id else None
    if topic is None:
        header = content.text("update_header_all", lang)
    else:
        header = content.text("update_header", lang, topic=topic.title[lang])
    return f"{header}\n\n{markup.escape(text)}"
