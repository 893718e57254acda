"""Passing answers on and catching up: inline-query articles, and the published bulletins
(``/news``) as readers read them.

Pure, like the conversation that uses it: content and classifier in, replies out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from bot import bulletins, markup
from bot.content import TELEGRAM_MESSAGE_LIMIT, Content, Topic
from bot.replies import Action, ActionKind, Article, Button, Reply, ReplyKind
from bot.values import Lang

if TYPE_CHECKING:  # the database stays unimported here
    from bot.storage.records import Published

MAX_ARTICLES: Final = 5  # answers to a question
MAX_LISTED: Final = 50  # Telegram's limit: the topic list of an empty query
MIN_ARTICLE: Final = 0.08  # a runner-up below this is no answer to offer
DESCRIPTION_CHARS: Final = 120
NEWS_PAGE: Final = 5
EVERYTHING: Final = "all"


def article(content: Content, topic: Topic, lang: Lang) -> Article:
    """A topic's short answer as a message to post anywhere, with attribution and a link."""
    short = topic.short[lang]
    text = (
        f"<b>{topic.title[lang]}</b>\n\n{short}\n\n<i>{content.text('share_attribution', lang)}</i>"
    )
    plain = markup.to_plain(short).replace("\n", " ")
    description = plain if len(plain) <= DESCRIPTION_CHARS else plain[: DESCRIPTION_CHARS - 1] + "…"
    return Article(
        topic.id, topic.title[lang], description, text, topic.id, content.text("button_open", lang)
    )


def invitation(content: Content, lang: Lang) -> Article:
    """The one article offered when no answer fits: what the bot can tell, and a way in."""
    return Article(
        "ask",
        content.text("inline_ask_title", lang),
        content.text("inline_ask_description", lang),
        content.text("inline_ask_text", lang),
        "",
        content.text("button_open", lang),
    )


def articles(replies: Sequence[Article], lang: Lang, limit: int = MAX_ARTICLES) -> Reply:
    """The reply to an inline query: at most ``limit`` articles, best first."""
    return Reply("", lang, ReplyKind.ARTICLES, articles=tuple(replies[:limit]))


def news(
    content: Content,
    page: Sequence[Published],
    topic_id: str | None,
    ui: Lang,
    *,
    more: bool,
) -> Reply:
    """A page of published bulletins, newest first, as subscribers got them."""
    topic = content.topic(topic_id) if topic_id else None
    name = topic.title[ui] if topic else content.text("news_everything", ui)
    if not page:
        return Reply(content.text("news_empty", ui, topic=name), ui, ReplyKind.NEWS)
    parts = [content.text("news_header", ui, topic=name)]
    shown = 0
    for item in page:
        entry = f"<i>{item.created_at:%Y-%m-%d}</i>\n" + bulletins.message(
            content, item.topic, item.text, ui
        )
        if len("\n\n".join([*parts, entry])) > TELEGRAM_MESSAGE_LIMIT:
            break
        parts.append(entry)
        shown += 1
    keyboard: tuple[tuple[Button, ...], ...] = ()
    if more or shown < len(page):
        last = page[max(shown, 1) - 1].id
        arg = f"{topic_id or EVERYTHING}_{last}"
        keyboard = ((Button(content.text("button_news_more", ui), Action(ActionKind.NEWS, arg)),),)
    return Reply("\n\n".join(parts), ui, ReplyKind.NEWS, keyboard, topic_id)


def news_line(content: Content, topic: Topic, count: int, lang: Lang) -> str:
    """The line under a followed topic's answer: how many bulletins it has, how to read them."""
    return content.text("news_under_answer", lang, count=str(count), topic=topic.id)


def parse_page(arg: str) -> tuple[str | None, int] | None:
    """The topic (None: everything) and the bulletin id a "more" button continues before."""
    target, _, before = arg.rpartition("_")
    if not target or not before.isdigit():
        return None
    return (None if target == EVERYTHING else target), int(before)
