"""Follow-ups: which short messages ask for more on the previous answer, and which answer
a reader's Telegram reply points at.

Content-driven: the cue words and fillers come from ``intents/followups.yaml``, and each
interview topic's own words (title, long answer, examples, every language; less any word
the out-of-scope examples use) count as on the subject, so "how many students?" after the
education answer is a follow-up while "and the weather?" is a question of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot import markup
from bot.content import Content
from bot.normalise import fold
from bot.replies import ActionKind, Quoted
from bot.values import LANGS, Context, Lang

# Buttons that only an answer on their topic carries.
_TOPIC_OWN: Final = frozenset({ActionKind.MORE, ActionKind.FOLLOW, ActionKind.UNFOLLOW})


class FollowUps:
    """Tells follow-ups from questions of their own, for one content set."""

    def __init__(self, content: Content) -> None:
        self._content = content
        # Words off-topic messages use too ("hava" is both air and weather) say nothing sure.
        off_topic = frozenset(
            word
            for items in content.negatives.values()
            for text in items
            for word in fold(text).split()
        )
        self._subjects = {
            topic.id: frozenset(
                word
                for lang in LANGS
                for text in (
                    topic.title[lang],
                    markup.to_plain(topic.long[lang]),
                    *topic.examples.get(lang, ()),
                )
                for word in fold(text).split()
            )
            - off_topic
            for topic in content.interview_topics
        }

    def asks_more(self, text: str, context: Context | None) -> bool:
        """Whether ``text`` reads as a follow-up (to ``context``'s topic, when there is one)."""
        followups = self._content.followups
        words = fold(text).split()
        if not words or len(words) > followups.max_words:
            return False
        if not any(word in followups.cues for word in words):
            return False
        subject = self._subjects.get(context.topic, frozenset()) if context else frozenset()
        # A word about something else ("and the weather?") makes it a question of its own.
        return all(
            word in followups.cues or word in followups.fillers or word in subject for word in words
        )

    def context_of(self, quoted: Quoted, at: datetime) -> Context | None:
        """The context a reply to one of the bot's answers carries: that answer's topic."""
        buttons = [button for row in quoted.keyboard for button in row]
        shown_short = any(button.action.kind is ActionKind.MORE for button in buttons)
        for button in buttons:
            topic = self._content.topic(button.action.arg)
            if button.action.kind in _TOPIC_OWN and topic and topic.kind == "interview":
                shown = self._heading_language(quoted.heading, topic.id) or LANGS[0]
                return Context(topic.id, not shown_short, shown, at)
        for topic in self._content.interview_topics:
            lang = self._heading_language(quoted.heading, topic.id)
            if lang is not None:
                return Context(topic.id, not shown_short, lang, at)
        return None

    def _heading_language(self, heading: str, topic_id: str) -> Lang | None:
        """The language in which ``heading`` is the topic's title, if it is."""
        topic = self._content.topic(topic_id)
        return next(
            (lang for lang in LANGS if topic and heading.strip() == topic.title[lang]), None
        )
