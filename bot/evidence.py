"""The interview's own words as a second opinion next to the classifier.

Each interview topic's answers name things no example may mention yet: a company, a
university, a programme, a figure. A word that only one topic's answers use (in any
language, any form: words are cut to their stems) points at that topic, so "what is the
Kahriz project?" finds its answer with no example written for it. Content-driven: another
interview's answers give it the same behaviour.

Words that off-topic examples or chit-chat use ("price", "weather") are left out: they say
nothing sure.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bot.classifier import Prediction
from bot.content import Content
from bot.normalise import fold
from bot.tablecache import cached

logger = logging.getLogger(__name__)

VERSION: Final = "1"  # of the cached word tables
STEM: Final = 6  # letters kept of a long word: Russian and Azerbaijani endings vary
# Korean attaches particles to a word (코이카의, 인하대학교와): three syllables name it.
HANGUL_STEM: Final = 3
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
MIN_LETTERS: Final = 4  # shorter words are too common to say anything
SURE_CHAT: Final = 0.75  # chit-chat this sure ("thanks!") stays chit-chat
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Hint:
    """What the answers say about a message: the one topic its distinctive words point at."""

    topic: str
    words: tuple[str, ...]


class Evidence:
    """Distinctive words of each interview topic's answers, for one content set."""

    def __init__(self, content: Content) -> None:
        self._content = content

    @classmethod
    def load_or_build(cls, content: Content, cache_dir: Path | None) -> Evidence:
        """The evidence for ``content`` with its word tables read from the cache, worked out
        and cached when absent: the first question after a start-up does not pay for them."""
        evidence = cls(content)

        def build() -> dict[str, Any]:
            return {"owners": evidence._owners, "off_topic_only": sorted(evidence._off_topic_only)}

        data = cached(cache_dir, f"evidence-{VERSION}-{content.digest}.json", build)
        try:
            evidence.__dict__["_owners"] = {str(k): str(v) for k, v in data["owners"].items()}
            evidence.__dict__["_off_topic_only"] = frozenset(map(str, data["off_topic_only"]))
        except (KeyError, TypeError, AttributeError):
            logger.warning("Ignoring a malformed evidence cache in %s", cache_dir)
            return cls(content)
        return evidence

    @functools.cached_property
    def _owners(self) -> dict[str, str]:
        """Each distinctive stem and the one topic whose answers use it (worked out on first
        use: start-up stays quick)."""
        users: dict[str, set[str]] = {}
        for topic in self._content.interview_topics:
            texts = (*topic.short.values(), *topic.long.values(), *topic.title.values())
            for text in texts:
                for stem in _stems(_TAGS.sub(" ", text)):
                    users.setdefault(stem, set()).add(topic.id)
        # A word readers use when asking about other topics too ("나라", "people") is no
        # evidence, however few answers happen to use it.
        asked: dict[str, set[str]] = {}
        for topic in self._content.topics:
            for items in topic.examples.values():
                for text in items:
                    for stem in _stems(text):
                        asked.setdefault(stem, set()).add(topic.id)
        common = self._common
        return {
            stem: owner
            for stem, topics in users.items()
            if len(topics) == 1
            and stem not in common
            and asked.get(stem, set()) <= {owner := next(iter(topics))}
        }

    @functools.cached_property
    def _common(self) -> frozenset[str]:
        """Stems of chit-chat examples and follow-up words: never evidence. (Off-topic examples
        may share an answer's word, "ticket"; the classifier weighs those.)"""
        rules = self._content.followups
        texts: list[str] = []
        for topic in self._content.topics:
            if topic.kind != "interview":
                texts.extend(text for items in topic.examples.values() for text in items)
        stems = {stem for text in texts for stem in _stems(text)}
        stems.update(_stem(word) for word in rules.refers | rules.cues | rules.fillers)
        return frozenset(stems)

    def settle(self, text: str, prediction: Prediction) -> Prediction:
        """The classifier's ``prediction`` with the answers' second opinion on ``text``.

        Where the classifier is sure of an interview topic, or of chit-chat, or sure that no
        topic fits, it stands. Otherwise the topic the answers' words point at is taken when
        the classifier ranks it among its two best, or ranks only chit-chat above it (a
        freshly imported interview has few examples: "good" reads as a greeting). A refusal
        stands too, unless the evidence is strong (see ``_strong``): one name from an answer
        is how near misses read too ("where is the Samsung service centre?").
        """
        hint = self.hint(text)
        best = prediction.alternatives[0][0] if prediction.alternatives else None
        if hint is None or (prediction.topic is None and not self._strong(text, hint, best)):
            return prediction
        chat = {topic.id for topic in self._content.topics if topic.kind != "interview"}
        ranked = [topic for topic, _ in prediction.alternatives]
        if prediction.topic in chat:
            if prediction.confidence >= SURE_CHAT:
                return prediction
        elif prediction.topic is not None and (
            not prediction.ambiguous or not set(ranked[:2]) & chat
        ):
            # Sure; or two interview topics close: the message may name both ("students and
            # flights", where only "flights" is one answer's own word): "did you mean" is right.
            return prediction
        above = ranked[: ranked.index(hint.topic)] if hint.topic in ranked else ranked
        if hint.topic not in ranked[:2] and not set(above) <= chat:
            return prediction
        score = dict(prediction.alternatives).get(hint.topic, 0.0)
        others = tuple(item for item in prediction.alternatives if item[0] != hint.topic)
        return Prediction(
            hint.topic, score, ((hint.topic, score), *others[:2]), False, prediction.none
        )

    def _strong(self, text: str, hint: Hint, best: str | None) -> bool:
        """No word only off-topic messages use, and two or more of the topic's own words ("the
        budget of the tram project"); for a draft topic, whose few examples were made by
        ``import``, one word is enough when the classifier ranks that topic first too
        ("compensation for shopkeepers"): the out-of-scope examples outnumber its examples,
        and the answers' words are the better judge until an editor writes some."""
        if _stems(text) & self._off_topic_only:
            return False
        topic = self._content.topic(hint.topic)
        drafted = topic is not None and topic.draft
        return len(hint.words) >= 2 or (drafted and hint.topic == best)

    @functools.cached_property
    def _off_topic_only(self) -> frozenset[str]:
        """Stems that off-topic examples use and no topic does (title, answers, examples)."""
        used = {
            stem
            for topic in self._content.topics
            for field in (topic.title, topic.short, topic.long)
            for text in field.values()
            for stem in _stems(_TAGS.sub(" ", text))
        }
        used.update(
            stem
            for topic in self._content.topics
            for items in topic.examples.values()
            for text in items
            for stem in _stems(text)
        )
        negative = {
            stem
            for items in self._content.negatives.values()
            for text in items
            for stem in _stems(text)
        }
        return frozenset(negative - used)

    def hint(self, text: str) -> Hint | None:
        """The topic ``text``'s distinctive words point at, when they point at one only."""
        owners = self._owners
        found = {stem: owner for stem in _stems(text) if (owner := owners.get(stem))}
        if not found:
            return None
        votes = Counter(found.values()).most_common(2)
        if len(votes) > 1 and votes[1][1] == votes[0][1]:
            return None  # two topics' words in equal measure: no second opinion
        topic = votes[0][0]
        return Hint(topic, tuple(sorted(stem for stem, owner in found.items() if owner == topic)))


def _stems(text: str) -> set[str]:
    return {_stem(word) for word in fold(text).split() if _telling(word)}


def _telling(word: str) -> bool:
    """Words long enough to tell (a Hangul syllable is several letters), and figures of two
    digits or more (years, counts)."""
    if _HANGUL.match(word):
        return len(word) >= 2
    return len(word) >= MIN_LETTERS or (word.isdigit() and len(word) >= 2)


def _stem(word: str) -> str:
    cut = HANGUL_STEM if _HANGUL.match(word) else STEM
    return word[:cut] if len(word) > cut else word
