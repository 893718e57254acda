"""Question/answer pairs and the lead paragraph out of an interview transcript.

Three forms, as news sites print interviews:

- dashes: lines starting "- " alternate question and answer; lines without a dash continue
  the answer above them;
- ``Q:`` / ``A:`` lines, an answer going on until the next ``Q:``;
- a question line ending in "?" followed by its answer paragraphs.

Whatever comes before the first question is the lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.values import Lang

_QA_QUESTION: Final = re.compile(r"^(?:Q|В|S)\s*[:.]\s*(.+)$", re.IGNORECASE)
_QA_ANSWER: Final = re.compile(r"^(?:A|О|C)\s*[:.]\s*(.+)$", re.IGNORECASE)
_DASH: Final = re.compile(r"^[-–—]\s+(.+)$")
_CYRILLIC: Final = re.compile(r"[\u0400-\u04FF]")
# Letters Azerbaijani has and English lacks; ə alone is decisive, the others add up.
_AZERBAIJANI: Final = re.compile(r"[əğıİşçöüƏĞŞÇÖÜ]")


class TranscriptError(ValueError):
    """The text holds no question/answer pairs in a form the importer reads."""


@dataclass(frozen=True)
class Pair:
    """One question and its answer, as paragraphs."""

    question: str
    answer: tuple[str, ...]


@dataclass(frozen=True)
class Transcript:
    """An interview: its lead paragraphs, its pairs in order, and the language it is in."""

    lead: tuple[str, ...]
    pairs: tuple[Pair, ...]
    lang: Lang


def read_transcript(text: str) -> Transcript:
    """Read ``text`` in whichever form it is written; TranscriptError when none fits."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    if sum(bool(_QA_QUESTION.match(line)) for line in lines) >= 1 and any(
        _QA_ANSWER.match(line) for line in lines
    ):
        lead, pairs = _labelled(lines)
    elif sum(bool(_DASH.match(line)) for line in lines) >= 2:
        lead, pairs = _dashes(lines)
    else:
        lead, pairs = _question_marks(lines)
    pairs = [pair for pair in pairs if pair.question and pair.answer]
    if not pairs:
        raise TranscriptError(
            'no questions and answers found: write them as "- " lines, as "Q:"/"A:" lines, '
            'or as question lines ending in "?" each followed by its answer'
        )
    return Transcript(tuple(lead), tuple(pairs), language_of(text))


def language_of(text: str) -> Lang:
    """The transcript's language by its letters: Cyrillic is Russian, ə Azerbaijani."""
    letters = sum(char.isalpha() for char in text) or 1
    if len(_CYRILLIC.findall(text)) / letters > 0.3:
        return "ru"
    if "ə" in text.lower() or len(_AZERBAIJANI.findall(text)) / letters > 0.02:
        return "az"
    return "en"


def _labelled(lines: list[str]) -> tuple[list[str], list[Pair]]:
    lead: list[str] = []
    pairs: list[Pair] = []
    question: list[str] | None = None
    answer: list[str] = []
    in_answer = False
    for line in lines:
        if asked := _QA_QUESTION.match(line):
            if question is not None:
                pairs.append(Pair(" ".join(question), tuple(answer)))
            question, answer, in_answer = [asked[1].strip()], [], False
        elif (said := _QA_ANSWER.match(line)) and question is not None:
            answer.append(said[1].strip())
            in_answer = True
        elif line and question is None:
            lead.append(line)
        elif line and in_answer:
            answer.append(line)
        elif line and question is not None:
            question.append(line)  # a question running over two lines
    if question is not None:
        pairs.append(Pair(" ".join(question), tuple(answer)))
    return lead, pairs


def _dashes(lines: list[str]) -> tuple[list[str], list[Pair]]:
    lead: list[str] = []
    turns: list[list[str]] = []  # question, answer, question, answer...
    for line in lines:
        if dash := _DASH.match(line):
            turns.append([dash[1].strip()])
        elif line and turns:
            turns[-1].append(line)
        elif line:
            lead.append(line)
    pairs = [Pair(" ".join(turns[i]), tuple(turns[i + 1])) for i in range(0, len(turns) - 1, 2)]
    return lead, pairs


def _question_marks(lines: list[str]) -> tuple[list[str], list[Pair]]:
    lead: list[str] = []
    pairs: list[tuple[str, list[str]]] = []
    for line in lines:
        if not line:
            continue
        if line.endswith("?") and pairs and not pairs[-1][1]:
            pairs[-1] = (f"{pairs[-1][0]} {line}", [])  # a question in two lines
        elif line.endswith("?"):
            pairs.append((line, []))
        elif pairs:
            pairs[-1][1].append(line)
        else:
            lead.append(line)
    return lead, [Pair(question, tuple(answer)) for question, answer in pairs]
