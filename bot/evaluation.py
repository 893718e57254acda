"""Scoring the classifier on a labelled list of messages."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.conversation import Conversation
from bot.replies import Reply, ReplyKind
from bot.values import Lang

NONE_LABEL = "none"


class EvaluationFileError(Exception):
    """The evaluation file is not a list of ``{text, topic}``; the message says where."""


SUGGESTED = "?"  # a "did you mean" reply, in the confusion counts


@dataclass(frozen=True)
class Sample:
    """One labelled message (``topic`` None when out of scope); ``lang`` and ``kind``
    (keyword, paraphrase, typo, near-miss…) group the scores when the file gives them."""

    text: str
    topic: str | None
    lang: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Outcomes:
    """What readers of one group of messages got: answered directly and rightly, offered a
    "did you mean", answered on a wrong topic, refused."""

    right: int = 0
    suggested: int = 0
    wrong: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        return self.right + self.suggested + self.wrong + self.refused

    def add(self, outcome: str) -> Outcomes:
        counts = {field: getattr(self, field) for field in _OUTCOMES}
        counts[outcome] += 1
        return Outcomes(**counts)


_OUTCOMES = ("right", "suggested", "wrong", "refused")


@dataclass(frozen=True)
class Report:
    """The scores of one set of samples."""

    name: str
    langs: tuple[Lang, ...]  # the languages the messages were read in, most used first
    total: int
    in_scope: int
    in_scope_correct: int
    out_of_scope: int
    rejected: int
    per_topic: dict[str, tuple[float, float, int]]  # precision, recall, support
    confusions: list[tuple[str, str, int]]
    groups: dict[str, Outcomes]  # "in-scope en", "off-topic typo"…
    matrix: dict[tuple[str, str], int]  # (expected, got) -> count; got "?" for a suggestion

    @property
    def accuracy(self) -> float:
        """Share of in-scope messages answered directly on the right topic."""
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
        gold = None if topic == NONE_LABEL else topic
        samples.append(
            Sample(item["text"], gold, str(item.get("lang", "")), str(item.get("kind", "")))
        )
    return samples


def evaluate(name: str, samples: Sequence[Sample], conversation: Conversation) -> Report:
    """Ask every sample as a reader would and score what the replies gave."""
    replies = [conversation.ask(sample.text, "en") for sample in samples]
    predicted = [
        reply.topic if reply.kind in (ReplyKind.ANSWER, ReplyKind.MORE) else None
        for reply in replies
    ]
    outcomes = [
        _outcome(sample.topic, reply) for sample, reply in zip(samples, replies, strict=True)
    ]
    langs = Counter(reply.lang for reply in replies)
    pairs = list(zip((sample.topic for sample in samples), predicted, strict=True))
    per_topic: dict[str, tuple[float, float, int]] = {}
    for topic in sorted({gold for gold, _ in pairs if gold}):
        true_pos = sum(1 for gold, guess in pairs if gold == topic and guess == topic)
        guessed = sum(1 for _, guess in pairs if guess == topic)
        support = sum(1 for gold, _ in pairs if gold == topic)
        per_topic[topic] = (true_pos / guessed if guessed else 0.0, true_pos / support, support)
    matrix = Counter(
        (gold or NONE_LABEL, SUGGESTED if outcome == "suggested" else guess or NONE_LABEL)
        for (gold, guess), outcome in zip(pairs, outcomes, strict=True)
    )
    groups: dict[str, Outcomes] = {}
    for sample, reply, outcome in zip(samples, replies, outcomes, strict=True):
        scope = "in-scope" if sample.topic else "off-topic"
        for key in (f"{scope} {sample.lang or reply.lang}", f"{scope} {sample.kind}"):
            if not key.endswith(" "):
                groups[key] = groups.get(key, Outcomes()).add(outcome)
    in_scope = [outcome for sample, outcome in zip(samples, outcomes, strict=True) if sample.topic]
    off_topic = [
        outcome for sample, outcome in zip(samples, outcomes, strict=True) if not sample.topic
    ]
    return Report(
        name=name,
        langs=tuple(lang for lang, _ in langs.most_common()),
        total=len(samples),
        in_scope=len(in_scope),
        in_scope_correct=in_scope.count("right"),
        out_of_scope=len(off_topic),
        rejected=off_topic.count("refused"),
        per_topic=per_topic,
        confusions=[
            (gold, got, count) for (gold, got), count in matrix.most_common() if gold != got
        ][:8],
        groups=dict(sorted(groups.items())),
        matrix=dict(matrix),
    )


def _outcome(gold: str | None, reply: Reply) -> str:
    """What a reader got: ``right`` (for an off-topic message, nothing: ``refused`` is right)."""
    if reply.kind is ReplyKind.SUGGESTIONS:
        return "suggested"
    if reply.kind in (ReplyKind.ANSWER, ReplyKind.MORE):
        return "right" if gold is not None and reply.topic == gold else "wrong"
    return "refused"


def format_report(report: Report) -> str:
    """Render a report as the text ``evaluate`` prints."""
    lines = [
        f"== {report.name} ({_languages(report.langs)}, {report.total} messages)",
        f"answered directly and rightly: {report.accuracy:6.1%}  "
        f"({report.in_scope_correct}/{report.in_scope})",
        f"off-topic refused:             {report.rejection:6.1%}  "
        f"({report.rejected}/{report.out_of_scope})",
        "",
        f"{'what readers got':<24}{'n':>5}{'right':>8}{'did you mean':>14}"
        f"{'wrong':>8}{'refused':>9}",
        *(
            f"{group:<24}{counts.total:>5}{_share(counts.right, counts):>8}"
            f"{_share(counts.suggested, counts):>14}{_share(counts.wrong, counts):>8}"
            f"{_share(counts.refused, counts):>9}"
            for group, counts in report.groups.items()
        ),
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


def _languages(langs: Sequence[Lang]) -> str:
    return f"language{'s' if len(langs) > 1 else ''}: {', '.join(langs) or '-'}"


def _share(count: int, outcomes: Outcomes) -> str:
    return f"{count / outcomes.total:.1%}" if outcomes.total else "-"
