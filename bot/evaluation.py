"""Scoring the classifier on a labelled list of messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conversation import Conversation
from bot.replies import ReplyKind
from bot.values import Lang

NONE_LABEL = "none"


class EvaluationFileError(Exception):
    """The evaluation file is not a list of ``{text, topic}``; the message says where."""


@dataclass(frozen=True)
class Sample:
    """One labelled message (``topic`` None when out of scope)."""

    text: str
    topic: str | None


@dataclass(frozen=True)
class Report:
    """The scores of one set of samples."""

    name: str
    lang: Lang
    total: int
    in_scope: int
    in_scope_correct: int
    out_of_scope: int
    rejected: int
    per_topic: dict[str, tuple[float, float, int]]  # precision, recall, support
    confusions: list[tuple[str, str, int]]

    @property
    def accuracy(self) -> float:
        """Share of in-scope messages given the right topic."""
        return self.in_scope_correct / self.in_scope if self.in_scope else 0.0

    @property
    def rejection(self) -> float:
        """Share of out-of-scope messages the classifier declined."""
        return self.rejected / self.out_of_scope if self.out_of_scope else 0.0


def read_yaml(path: Path) -> Any:
    """Parse an evaluation file; raise EvaluationFileError when it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvaluationFileError(f"{path}: cannot read: {exc}") from exc


def read_samples(path: Path, known_topics: set[str]) -> list[Sample]:
    """Read a YAML list of ``{text, topic}``; raise EvaluationFileError on a bad entry."""
    data = read_yaml(path)
    if not isinstance(data, list):
        raise EvaluationFileError(f"{path}: expected a list of {{text, topic}}")
    samples = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise EvaluationFileError(f"{path}: item {number} needs a text")
        if not isinstance(item.get("topic"), str):
            raise EvaluationFileError(f"{path}: item {number} needs a topic (an id, or none)")
        topic = item["topic"]
        if topic != NONE_LABEL and topic not in known_topics:
            raise EvaluationFileError(f"{path}: item {number} has unknown topic {topic!r}")
        samples.append(Sample(item["text"], None if topic == NONE_LABEL else topic))
    return samples


def evaluate(name: str, samples: Sequence[Sample], conversation: Conversation) -> Report:
    """Ask every sample as a reader would and score the topics the replies were on."""
    replies = [conversation.ask(sample.text, "en") for sample in samples]
    predicted = [
        None
        if reply.kind is ReplyKind.OUT_OF_SCOPE or reply.prediction is None
        else reply.prediction.topic
        for reply in replies
    ]
    langs = Counter(reply.lang for reply in replies)
    pairs = list(zip((sample.topic for sample in samples), predicted, strict=True))
    in_scope = [(gold, guess) for gold, guess in pairs if gold is not None]
    out_scope = [(gold, guess) for gold, guess in pairs if gold is None]
    per_topic: dict[str, tuple[float, float, int]] = {}
    for topic in sorted({gold for gold, _ in in_scope if gold}):
        true_pos = sum(1 for gold, guess in pairs if gold == topic and guess == topic)
        guessed = sum(1 for _, guess in pairs if guess == topic)
        support = sum(1 for gold, _ in pairs if gold == topic)
        per_topic[topic] = (true_pos / guessed if guessed else 0.0, true_pos / support, support)
    confusions = Counter(
        (gold or NONE_LABEL, guess or NONE_LABEL) for gold, guess in pairs if gold != guess
    )
    return Report(
        name=name,
        lang=langs.most_common(1)[0][0] if langs else "en",
        total=len(samples),
        in_scope=len(in_scope),
        in_scope_correct=sum(1 for gold, guess in in_scope if gold == guess),
        out_of_scope=len(out_scope),
        rejected=sum(1 for _, guess in out_scope if guess is None),
        per_topic=per_topic,
        confusions=[(gold, guess, count) for (gold, guess), count in confusions.most_common(8)],
    )


def format_report(report: Report) -> str:
    """Render a report as the text ``evaluate`` prints."""
    lines = [
        f"== {report.name} (language: {report.lang}, {report.total} messages)",
        f"in-scope accuracy:      {report.accuracy:6.1%}  "
        f"({report.in_scope_correct}/{report.in_scope})",
        f"out-of-scope rejection: {report.rejection:6.1%}  "
        f"({report.rejected}/{report.out_of_scope})",
        "",
        f"{'topic':<24}{'precision':>10}{'recall':>10}{'support':>9}",
    ]
    for topic, (precision, recall, support) in report.per_topic.items():
        lines.append(f"{topic:<24}{precision:>10.1%}{recall:>10.1%}{support:>9}")
    lines.append("")
    lines.append("most confused (expected -> predicted):")
    if not report.confusions:
        lines.append("  none")
    lines.extend(f"  {gold} -> {guess}: {count}" for gold, guess, count in report.confusions)
    return "\n".join(lines)
