"""Statistics as editors read them, in Telegram (HTML) or a terminal (plain text)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import markup
from bot.content import Content
from bot.values import Lang

if TYPE_CHECKING:  # the conversation formats statistics without importing the database
    from bot.storage.records import Stats


def format_stats(stats: Stats, content: Content, lang: Lang, *, html: bool) -> str:
    """Statistics as text in ``lang``."""
    per_topic = ", ".join(
        f"{topic.id} {stats.followers.get(topic.id, 0)}" for topic in content.interview_topics
    )
    asked = ", ".join(
        f"{topic or 'out_of_scope'} {count}"
        for topic, count in sorted(stats.questions.items(), key=lambda item: -item[1])
    )
    recent = "\n".join(
        f"• {question.created_at:%Y-%m-%d %H:%M} {markup.escape(question.text)}"
        for question in stats.recent_questions
    )
    text = content.text(
        "stats",
        lang,
        active=str(stats.active),
        inactive=str(stats.inactive),
        all=str(stats.follows_all),
        per_topic=per_topic or "-",
        updates=str(stats.bulletins),
        deliveries=", ".join(f"{status.value} {n}" for status, n in stats.deliveries.items()),
        questions=asked or "-",
        unanswered=recent or "-",
    )
    return text if html else markup.to_plain(text)
