"""Scoring two-message conversations: follow-ups, topic switches and refusals after an answer.

A dialogue file is a YAML list of ``{lang, first, first_topic, second, kind, expected}``
(``kind``: followup, new_topic or off_topic; ``expected: none`` for a refusal). Each
dialogue runs through the conversation the way the chat service does: the first reply
leaves a context, the second message is read in it. The interface language is English, so
every reply's language comes from the messages themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bot.conversation import Conversation
from bot.evaluation import NONE_LABEL, EvaluationFileError
from bot.replies import Reply, ReplyKind
from bot.values import LANGS, Lang, parse_lang

KINDS: Final = ("followup", "new_topic", "off_topic")
_FIELDS: Final = frozenset({"lang", "first", "first_topic", "second", "kind", "expected"})
_ANSWERED: Final = (ReplyKind.ANSWER, ReplyKind.MORE)


@dataclass(frozen=True)
class Dialogue:
    """Two messages from one reader and what the second should get."""

    lang: Lang
    first: str
    first_topic: str
    second: str
    kind: str
    expected: str | None


@dataclass
class DialogueReport:
    """Per kind: dialogues and how many went right; and replies in the message's language."""

    name: str
    total: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    replies: int = 0
    in_language: int = 0
    misses: list[str] = field(default_factory=list)


def is_dialogue_file(data: Any) -> bool:
    """Whether parsed YAML looks like a dialogue file rather than a list of messages."""
    return (
        isinstance(data, list) and bool(data) and isinstance(data[0], dict) and "second" in data[0]
    )


def read_dialogues(path: Path, data: Any, known_topics: set[str]) -> list[Dialogue]:
    """Check parsed YAML ``data`` from ``path`` and return its dialogues."""
    dialogues = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict) or not _FIELDS <= set(item):
            raise EvaluationFileError(
                f"{path}: dialogue {number} needs {', '.join(sorted(_FIELDS))}"
            )
        lang = parse_lang(item["lang"])
        expected = None if item["expected"] == NONE_LABEL else str(item["expected"])
        if lang is None or item["kind"] not in KINDS:
            raise EvaluationFileError(f"{path}: dialogue {number} has an unknown lang or kind")
        if {item["first_topic"], expected} - known_topics - {None}:
            raise EvaluationFileError(f"{path}: dialogue {number} names an unknown topic")
        first, second = str(item["first"]), str(item["second"])
        topic, kind = str(item["first_topic"]), str(item["kind"])
        dialogues.append(Dialogue(lang, first, topic, second, kind, expected))
    return dialogues


def evaluate_dialogues(
    name: str, dialogues: list[Dialogue], conversation: Conversation
) -> DialogueReport:
    """Run every dialogue and score its second reply (and both replies' language)."""
    report = DialogueReport(name)
    ui: Lang = LANGS[0]
    for dialogue in dialogues:
        first = conversation.ask(dialogue.first, ui)
        context = conversation.context_after(first, datetime.now(UTC))
        second = conversation.ask(dialogue.second, ui, None, context)
        report.total[dialogue.kind] += 1
        if _right(dialogue, second):
            report.right[dialogue.kind] += 1
        else:
            got = second.topic if second.kind in _ANSWERED else second.kind.value
            report.misses.append(
                f"{dialogue.kind}: {dialogue.first!r} -> {dialogue.second!r}: {got}"
            )
        for reply in (first, second):
            report.replies += 1
            report.in_language += reply.lang == dialogue.lang
    return report


def _right(dialogue: Dialogue, reply: Reply) -> bool:
    if dialogue.expected is None:
        return reply.kind is ReplyKind.OUT_OF_SCOPE
    return reply.kind in _ANSWERED and reply.topic == dialogue.expected


def format_dialogue_report(report: DialogueReport) -> str:
    """Render a dialogue report as ``evaluate`` prints it."""
    labels = {
        "followup": "follow-ups answered on the right topic",
        "new_topic": "new questions answered on their topic",
        "off_topic": "off-topic second messages refused",
    }
    lines = [f"== {report.name} ({sum(report.total.values())} dialogues)"]
    for kind in KINDS:
        total, right = report.total[kind], report.right[kind]
        share = right / total if total else 0.0
        lines.append(f"{labels[kind] + ':':<42}{share:6.1%}  ({right}/{total})")
    share = report.in_language / report.replies if report.replies else 0.0
    counts = f"({report.in_language}/{report.replies})"
    lines.append(f"{'replies in the message language:':<42}{share:6.1%}  {counts}")
    if report.misses:
        lines.extend(["", "misses:", *(f"  {miss}" for miss in report.misses)])
    return "\n".join(lines)
