"""Follow-ups: which short messages ask for more on the previous answer, and which answer
a reader's Telegram reply points at.

Content-driven: the cue words and fillers come from ``intents/followups.yaml``, and each
interview topic's own words (title, long answer, examples, every language; less any word
the out-of-scope examples use) count as on the subject, so "how many students?" after the
education answer is a follow-up while "and the weather?" is a question of its own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from bot.content import Content
from bot.normalise import fold
from bot.replies import ActionKind, Quoted
from bot.tablecache import cached
from bot.values import LANGS, Context, Lang

# Buttons that only an answer on their topic carries.
_TOPIC_OWN: Final = frozenset({ActionKind.MORE, ActionKind.FOLLOW, ActionKind.UNFOLLOW})
VERSION: Final = "1"  # of the cached word tables
STEM: Final = 6  # letters; long enough to keep "корей" and "корм" apart
_WORDS = re.compile(r"[\s'-]+")  # "kakie-to", "what's": the parts are the words


class FollowUps:
    """Tells follow-ups from questions of their own, for one content set."""

    def __init__(self, content: Content) -> None:
        self._content = content

    @classmethod
    def load_or_build(cls, content: Content, cache_dir: Path | None) -> FollowUps:
        """Follow-ups for ``content`` with the topics' words read from the cache, worked out and
        cached when absent: the first follow-up after a start-up does not pay for them."""
        followups = cls(content)

        def build() -> dict[str, Any]:
            own = {topic: sorted(words) for topic, words in followups._own.items()}
            return {"negative": sorted(followups._negative), "own": own}

        data = cached(cache_dir, f"followups-{VERSION}-{content.digest}.json", build)
        try:
            followups.__dict__["_negative"] = frozenset(map(str, data["negative"]))
            followups.__dict__["_own"] = {
                str(topic): frozenset(map(str, words)) for topic, words in data["own"].items()
            }
        except (KeyError, TypeError, AttributeError):
            return cls(content)
        return followups

    @functools.cached_property
    def _negative(self) -> frozenset[str]:
        """Words of the out-of-scope examples (worked out on first use: start-up stays quick)."""
        return frozenset(
            word
            for items in self._content.negatives.values()
            for text in items
            for word in fold(text).split()
        )

    @functools.cached_property
    def _own(self) -> dict[str, frozenset[str]]:
        """Each interview topic's words as readers use them (title, examples), ambiguous
        words included: "hava" is air after the flights answer."""
        return {
            topic.id: frozenset(
                word
                for lang in LANGS
                for text in (topic.title[lang], *topic.examples.get(lang, ()))
                for word in fold(text).split()
            )
            for topic in self._content.factual_topics
        }

    @functools.cached_property
    def _subjects(self) -> dict[str, frozenset[str]]:
        """Each interview topic's sure words: a word off-topic messages use too ("hava" is both
        air and weather) says nothing sure and is left out."""
        return {topic: words - self._negative for topic, words in self._own.items()}

    @functools.cached_property
    def _stems(self) -> dict[str, frozenset[str]]:
        """Each topic's sure words cut to their stems, so that "освобождённым" names the topic
        whose examples say "освобождённых"."""
        return {topic: frozenset(map(_stem, words)) for topic, words in self._subjects.items()}

    def asks_more(
        self, text: str, context: Context | None, switch_to: str | None, sure: bool = True
    ) -> bool:
        """Whether ``text`` reads as a follow-up (to ``context``'s topic, when there is one).

        ``switch_to`` is the interview topic the classifier sees in ``text`` (``sure`` or not):
        a message that asks for more but names that other topic is a question of its own ("and
        the students?"), unless it refers back ("and would they pay for it?"). An unsure guess
        needs two of its words ("а по освобождённым территориям?"): one can be chance.
        """
        rules = self._content.followups
        words = _WORDS.split(fold(text))
        words = [word for word in words if word]
        if not words or len(words) > rules.max_words:
            return False
        asking = rules.refers | rules.cues | rules.fillers
        if context is None:  # "and when?" out of the blue: only asking words
            return all(_near(word, asking) for word in words)
        if any(self._leaves(word, context.topic, asking) for word in words):
            return False  # "and the weather?", "а погода там какая?", "qiymeti nece?"
        if any(word in rules.refers for word in words):  # exact: "what" is one typo from "that"
            return True
        if not any(_near(word, rules.cues) for word in words):
            return False
        if not switch_to:
            return True
        other, own_stems = self._stems[switch_to], self._stems[context.topic]
        naming = sum(
            _stem(word) in other and _stem(word) not in own_stems and word not in asking
            for word in words
        )
        return naming < (1 if sure else 2)

    def _leaves(self, word: str, topic: str, asking: frozenset[str]) -> bool:
        """Whether ``word`` takes the message off ``topic``: off-topic messages use it (in any
        form: "qiymətədir" is "qiymət") and the topic's readers never do."""
        if word in asking or word in self._own.get(topic, frozenset()):
            return False
        if word in self._negative:
            return True
        stem = _stem(word)
        own_stems = self._own_stems.get(topic, frozenset())
        return stem != word and stem in self._negative_stems and stem not in own_stems

    @functools.cached_property
    def _negative_stems(self) -> frozenset[str]:
        return frozenset(map(_stem, self._negative))

    @functools.cached_property
    def _own_stems(self) -> dict[str, frozenset[str]]:
        return {topic: frozenset(map(_stem, words)) for topic, words in self._own.items()}

    def context_of(self, quoted: Quoted, at: datetime) -> Context | None:
        """The context a reply to one of the bot's answers carries: that answer's topic."""
        buttons = [button for row in quoted.keyboard for button in row]
        shown_short = any(button.action.kind is ActionKind.MORE for button in buttons)
        for button in buttons:
            topic = self._content.topic(button.action.arg)
            if button.action.kind in _TOPIC_OWN and topic and topic.kind == "interview":
                shown = self._heading_language(quoted.heading, topic.id) or LANGS[0]
                return Context(topic.id, not shown_short, shown, at)
        for topic in self._content.factual_topics:
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


def _stem(word: str) -> str:
    """The start of a long word: endings differ between forms in Azerbaijani and Russian."""
    return word[:STEM] if len(word) > STEM else word


def _near(word: str, known: frozenset[str]) -> bool:
    """Whether ``word`` is in ``known``, allowing one typo ("wen", "whos") past two letters."""
    if word in known:
        return True
    if len(word) < 3:
        return False
    return any(variant in known for variant in _one_edit(word))


def _one_edit(word: str) -> Iterator[str]:
    """Every string one deletion, substitution or insertion away from ``word``."""
    letters = set(word) | set("aeiouhy")
    for i in range(len(word) + 1):
        if i < len(word):
            yield word[:i] + word[i + 1 :]
            for letter in letters:
                yield word[:i] + letter + word[i + 1 :]
        for letter in letters:
            yield word[:i] + letter + word[i:]
