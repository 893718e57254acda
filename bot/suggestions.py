"""``suggest``: readers' unanswered questions grouped by similarity, each group with a
proposal: the existing topic to add them to as examples, or a new topic.

The groups come from scikit-learn's agglomerative clustering on the classifier's own kind
of features (word and character n-grams, TF-IDF), cosine distance; a group goes to an
existing topic when the classifier already ranks that topic close behind "out of scope"
for most of its questions, so a few examples tip it over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple

import yaml

from bot.classifier import vectorizers
from bot.conversation import Conversation
from bot.importer.wording import content_words, latin
from bot.normalise import fold
from bot.values import Lang

# Average cosine distance under which questions are one group. On short questions (word and
# character n-grams together) rewordings of one question average about 0.75 apart, unrelated
# questions about 0.97.
DISTANCE: Final = 0.85
CLOSE: Final = 0.1  # the runner-up probability from which an existing topic is proposed
SNIPPET_EXAMPLES: Final = 12  # more than this adds little to a first round of examples


class Asked(NamedTuple):
    """One unanswered question: its text and language."""

    text: str
    lang: Lang


@dataclass(frozen=True)
class Suggestion:
    """A group of similar questions and what to do with them.

    ``questions`` are the different texts, ``asked`` how many times they were asked;
    ``topic`` is an existing topic to add them to, or None for a new one named ``new_id``;
    ``score`` is the classifier's mean probability for ``topic``; ``snippet`` is YAML to
    paste under that topic's file.
    """

    questions: tuple[Asked, ...]
    asked: int
    topic: str | None
    score: float
    new_id: str | None
    snippet: str


def suggest(conversation: Conversation, asked: Sequence[Asked]) -> list[Suggestion]:
    """Group ``asked`` and propose a topic per group, biggest group first."""
    unique = list({fold(item.text): item for item in asked if fold(item.text)}.values())
    counts = Counter(fold(item.text) for item in asked)
    suggestions = []
    for members in group(unique):
        questions = [unique[i] for i in members]
        times = sum(counts[fold(item.text)] for item in questions)
        suggestions.append(_propose(conversation, questions, times))
    return sorted(suggestions, key=lambda item: (-item.asked, item.snippet))


def group(asked: Sequence[Asked]) -> list[list[int]]:
    """Indices of ``asked`` in groups of similar questions (every question in one)."""
    if len(asked) < 2:
        return [[0]] if asked else []
    from scipy.sparse import hstack
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.preprocessing import normalize

    texts = [fold(item.text) for item in asked]
    word, char = vectorizers()
    features = normalize(hstack([word.fit_transform(texts), char.fit_transform(texts)]))
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=DISTANCE
    ).fit_predict(features.toarray())
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return list(groups.values())


def _propose(conversation: Conversation, questions: list[Asked], times: int) -> Suggestion:
    """An existing interview topic when it is the runner-up for most questions, else new."""
    votes: Counter[str] = Counter()
    scores: dict[str, list[float]] = {}
    interview = set(conversation.topic_ids())
    for item in questions:
        _, prediction = conversation.classify(item.text)
        ranked = [(t, p) for t, p in prediction.alternatives if t in interview]
        if ranked:
            votes[ranked[0][0]] += 1
        for topic, probability in ranked:
            scores.setdefault(topic, []).append(probability)
    best = votes.most_common(1)[0][0] if votes else None
    score = sum(scores.get(best, [])) / len(questions) if best else 0.0
    if best is not None and votes[best] * 2 > len(questions) and score >= CLOSE:
        snippet = _snippet(best, questions, new=False)
        return Suggestion(tuple(questions), times, best, score, None, snippet)
    new_id = _new_id(questions, interview | {topic.id for topic in conversation.content.topics})
    return Suggestion(
        tuple(questions), times, None, score, new_id, _snippet(new_id, questions, new=True)
    )


def _new_id(questions: Sequence[Asked], taken: set[str]) -> str:
    """A readable id from the words the group's questions share most."""
    words = Counter(word for item in questions for word in set(content_words(item.text, item.lang)))
    chosen = [latin(word) for word, _ in words.most_common(2) if latin(word)]
    base = ("_".join(chosen) or "new_topic")[:28]
    if not base[0].isalpha():
        base = f"t_{base}"
    topic_id, number = base, 2
    while topic_id in taken:
        topic_id, number = f"{base}_{number}", number + 1
    return topic_id


def _snippet(topic_id: str, questions: Sequence[Asked], *, new: bool) -> str:
    """YAML to paste: the examples per language, under the topic's file."""
    examples: dict[str, list[str]] = {}
    for item in questions[:SNIPPET_EXAMPLES]:
        examples.setdefault(item.lang, []).append(item.text.strip())
    body = yaml.safe_dump(
        {"examples": examples}, allow_unicode=True, sort_keys=False, default_flow_style=False
    )
    if new:
        head = (
            f"# a new topic: intents/{topic_id}.yaml (write its title, short, long and "
            f"related; each language needs examples)\nid: {topic_id}\n"
        )
    else:
        head = f"# add to intents/{topic_id}.yaml, under its examples:\n"
    return head + body


def format_suggestions(suggestions: Sequence[Suggestion], days: int) -> str:
    """The groups as an editor reads them in a terminal."""
    if not suggestions:
        return f"No unanswered questions kept from the last {days} days."
    parts = [f"{len(suggestions)} groups of unanswered questions (last {days} days):"]
    for number, item in enumerate(suggestions, 1):
        where = (
            f"add to {item.topic} (the classifier's runner-up, {item.score:.0%})"
            if item.topic
            else f"a new topic, {item.new_id}"
        )
        asked = "\n".join(f"  - {question.text}" for question in item.questions)
        parts.append(f"\n{number}. asked {item.asked} times: {where}\n{asked}\n\n{item.snippet}")
    return "\n".join(parts)
