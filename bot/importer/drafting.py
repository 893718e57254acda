"""Each question/answer pair as a drafted topic: id, title, short and long answer, related
topics and first examples; the lead as the ``about`` topic."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.content import SHORT_LIMIT, TELEGRAM_MESSAGE_LIMIT
from bot.importer import wording
from bot.importer.transcript import Pair, Transcript
from bot.normalise import fold
from bot.values import Lang

ID_WORDS: Final = 3  # an id of three key words reads well and stays unique
MAX_ID: Final = 32
RELATED: Final = 3  # within the 2-4 the content rules ask for
DRAFT_EMOJI: Final = "📝"  # one emoji, as titles need; it also says "not reviewed yet"
ABOUT_ID: Final = "about"
ABOUT_ORDER: Final = 101
# What readers ask a bot about itself, in every language (the names of the lead are added).
_ABOUT_EXAMPLES: Final[dict[Lang, tuple[str, ...]]] = {
    "en": ("who are you", "what is this bot", "which interview is this",
           "who gave this interview", "what does the interview cover", "where was it published"),
    "ru": ("ты кто", "что это за бот", "что за интервью", "кто дал интервью",
           "о чем это интервью", "где опубликовано интервью"),
    "az": ("sən kimsən", "bu bot nədir", "bu hansı müsahibədir", "müsahibəni kim verib",
           "bu müsahibə nə haqqındadır", "müsahibə harada dərc olunub"),
}  # fmt: skip
_ABOUT_TITLE: Final[dict[Lang, str]] = {
    "en": "ℹ️ About this interview",
    "ru": "ℹ️ Об этом интервью",
    "az": "ℹ️ Müsahibə haqqında",
}


@dataclass(frozen=True)
class Draft:
    """One topic file's fields, in the order they are written."""

    fields: dict[str, Any]

    @property
    def id(self) -> str:
        """The topic id (and file name without ``.yaml``)."""
        return str(self.fields["id"])


def draft_topics(transcript: Transcript, taken: Sequence[str] = ()) -> list[Draft]:
    """One interview topic per pair, in the interview's order, then ``about`` from the lead.

    ``taken`` are ids already used by the copied conversation topics; every example is
    unique across the drafts and these (the content refuses an example under two topics).
    """
    lang = transcript.lang
    pairs = transcript.pairs
    texts = [f"{pair.question}\n{' '.join(pair.answer)}" for pair in pairs]
    ids = _ids(pairs, lang, set(taken) | {ABOUT_ID})
    phrases = wording.key_phrases([" ".join(pair.answer) for pair in pairs], lang)
    similar = wording.similarities(texts, lang)
    examples = [_examples(pair, lang, phrases[i]) for i, pair in enumerate(pairs)]
    examples = _unique(examples)
    drafts = []
    for index, pair in enumerate(pairs):
        title = _title(pair, lang)
        drafts.append(
            Draft(
                {
                    "id": ids[index],
                    "kind": "interview",
                    "order": index + 1,
                    "draft": True,
                    "title": {lang: title},
                    "short": {lang: short_answer(pair.answer)},
                    "long": {lang: long_answer(pair.answer, len(title))},
                    "related": _related(index, similar, ids),
                    "examples": {lang: examples[index]},
                }
            )
        )
    drafts.append(_about(transcript, ids))
    return drafts


def short_answer(answer: Sequence[str]) -> str:
    """What fits a phone screen: whole sentences of the answer up to SHORT_LIMIT characters."""
    return _html(_cut(" ".join(answer), SHORT_LIMIT))


def long_answer(answer: Sequence[str], title_size: int) -> str:
    """The whole answer, paragraphs kept, within one Telegram message under its title."""
    room = TELEGRAM_MESSAGE_LIMIT - title_size - 2
    return _html(_cut("\n\n".join(answer), room))


def _cut(text: str, limit: int) -> str:
    """``text`` if it fits, else its first sentences that fit (at least a cut one)."""
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in wording.sentences(text):
        joined = f"{kept} {sentence}".strip()
        if len(joined) > limit:
            break
        kept = joined
    return kept or text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _html(text: str) -> str:
    """Telegram HTML: the transcript's own <, > and & as text."""
    return html.escape(text, quote=False)


def _ids(pairs: Sequence[Pair], lang: Lang, taken: set[str]) -> list[str]:
    """A readable unique id per question from its rarest key words, in the question's order."""
    questions = [wording.content_words(pair.question, lang) for pair in pairs]
    spread = Counter(word for words in questions for word in set(words))
    ids: list[str] = []
    for position, words in enumerate(questions):
        ranked = sorted(dict.fromkeys(words), key=lambda word: (spread[word], words.index(word)))
        chosen = sorted(ranked[:ID_WORDS], key=words.index)
        base = "_".join(part for word in chosen if (part := wording.latin(word)))
        base = _fit_id(base or f"topic_{position + 1}")
        topic_id, suffix = base, 2
        while topic_id in taken:
            topic_id = f"{base[: MAX_ID - 3]}_{suffix}"
            suffix += 1
        taken.add(topic_id)
        ids.append(topic_id)
    return ids


def _fit_id(base: str) -> str:
    """An id the content accepts: a letter first, at most MAX_ID characters, whole words."""
    if not base[0].isalpha():
        base = f"q_{base}"
    while len(base) > MAX_ID and "_" in base:
        base = base.rsplit("_", 1)[0]
    return base[:MAX_ID]


def _title(pair: Pair, lang: Lang) -> str:
    """The emoji and the question's first key words: a draft for the editor to reword."""
    words = list(dict.fromkeys(wording.content_words(pair.question, lang)))[:4]
    text = " ".join(words) or pair.question[:40]
    return f"{DRAFT_EMOJI} {text[:1].upper()}{text[1:]}"


def _examples(pair: Pair, lang: Lang, phrases: Sequence[str]) -> list[str]:
    """The question, its key words, and the answer's names, figures and key phrases."""
    answer = " ".join(pair.answer)
    found = [pair.question.strip(), " ".join(wording.content_words(pair.question, lang))]
    found += wording.names(answer) + wording.figures(answer, lang) + list(phrases)
    # The answer's own sentences: until answer evidence reaches the classifier, they are
    # what lets a reader's wording of a fact ("how many stops") meet the fact ("19 stops").
    found += [sentence for part in pair.answer for sentence in wording.sentences(part)]
    found += wording.figure_questions(answer, lang)
    kept: dict[str, str] = {}  # by folded text: "Santa Lucia" and "santa lucia" are one
    for item in found:
        if wording.words(item):
            kept.setdefault(fold(item), item)
    return list(kept.values())


def _unique(examples: list[list[str]]) -> list[list[str]]:
    """Drop an example that two topics share: it would teach the classifier a contradiction
    (and the content refuses it); a topic keeps at least its question."""
    counts = Counter(key for items in examples for key in {fold(item) for item in items})
    return [
        [item for index, item in enumerate(items) if index == 0 or counts[fold(item)] == 1]
        for items in examples
    ]


def _related(index: int, similar: list[list[float]], ids: Sequence[str]) -> list[str]:
    """The most similar other topics, best first (2-4 as the content asks, when there are)."""
    others = sorted(
        (other for other in range(len(ids)) if other != index),
        key=lambda other: -similar[index][other],
    )
    return [ids[other] for other in others[:RELATED]]


def _about(transcript: Transcript, ids: Sequence[str]) -> Draft:
    """The ``about`` topic: the lead as its answer, what readers ask a bot about itself."""
    lang = transcript.lang
    lead = transcript.lead or (transcript.pairs[0].question,)
    title = _ABOUT_TITLE[lang]
    examples = list(_ABOUT_EXAMPLES[lang]) + [
        name for name in wording.names(" ".join(lead)) if len(name.split()) > 1
    ]
    return Draft(
        {
            "id": ABOUT_ID,
            "kind": "conversation",
            "order": ABOUT_ORDER,
            "draft": True,
            "title": {lang: title},
            "short": {lang: short_answer(lead)},
            "long": {lang: long_answer(lead, len(title))},
            "related": list(ids[:RELATED]),
            "examples": {lang: list(dict.fromkeys(examples))},
        }
    )
