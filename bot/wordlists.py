"""Lists in the content: the off-topic examples (``out_of_scope.yaml``, and the interview's
own ``near_misses.yaml``), follow-up cues (``followups.yaml``) and the subjects that are not
the interview's (``subjects.yaml``), checked like the rest (``file: problem``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.normalise import fold
from bot.places import Places
from bot.values import LANGS, Lang

NEGATIVE_ID: Final = "out_of_scope"
# Off-topic examples of this interview only: an import copies out_of_scope.yaml, not these.
NEAR_MISSES_ID: Final = "near_misses"
NEAR_MISSES_FILE: Final = f"{NEAR_MISSES_ID}.yaml"
FOLLOWUPS_FILE: Final = "followups.yaml"
SUBJECTS_FILE: Final = "subjects.yaml"
MAX_FOLLOWUP_WORDS: Final = 20


@dataclass(frozen=True)
class Followups:
    """What makes a short message a follow-up to the previous answer ("when?", "а сколько?").

    Folded words: ``refers`` point back at the answer ("it", "это"), ``cues`` ask for more,
    ``fillers`` say nothing about a subject; see ``bot.followups`` for how they combine.
    """

    refers: frozenset[str]
    cues: frozenset[str]
    fillers: frozenset[str]
    max_words: int
    words: Mapping[Lang, tuple[str, ...]] = field(default_factory=dict)  # as written, per language


NO_FOLLOWUPS: Final = Followups(frozenset(), frozenset(), frozenset(), 0)


_WHAT: Final = {
    "examples": "training examples",
    "others": "other subjects",
    "unlike": "words alike but not places",
    "passing": "words that pass through a place",
    "refers": "words that refer back",
    "cues": "follow-up cues",
    "fillers": "fillers",
}


def lists_per_language(
    name: str,
    value: Any,
    problems: list[str],
    field_name: str = "examples",
    *,
    every_language: bool = True,
    folded: dict[str, str] | None = None,
) -> dict[Lang, tuple[str, ...]]:
    """Check a mapping of language to a non-empty list of texts (of every language unless
    told otherwise); report ``file: problem``. ``folded`` keeps each text's folded form, for
    the checks after this one (start-up folds thousands of examples)."""
    memo: dict[str, str] = {} if folded is None else folded

    def fold_once(text: str) -> str:
        if (form := memo.get(text)) is None:
            form = memo[text] = fold(text)
        return form

    if not isinstance(value, dict):
        problems.append(f"{name}: {field_name} must map each language to a list of messages")
        return {}
    examples: dict[Lang, tuple[str, ...]] = {}
    for key in sorted(set(value) - set(LANGS), key=str):
        problems.append(f"{name}: {field_name} has unknown language {key!r}")
    for lang in LANGS:
        items = value.get(lang)
        if lang not in value and not every_language:
            continue
        if not isinstance(items, list) or not items:
            problems.append(f"{name}: {field_name}.{lang} is missing (no {_WHAT[field_name]})")
            continue
        bad = [item for item in items if not isinstance(item, str) or not fold_once(item)]
        if bad:
            problems.append(
                f"{name}: {field_name}.{lang} has an empty or non-text item: {bad[0]!r}"
            )
            continue
        examples[lang] = tuple(items)
    return examples


def read_negatives(
    out_of_scope: Any, near_misses: Any, problems: list[str], folded: dict[str, str]
) -> dict[Lang, tuple[str, ...]]:
    """The off-topic examples per language: ``out_of_scope.yaml``'s (required, every
    language), then ``near_misses.yaml``'s (optional, any languages)."""
    negatives: dict[Lang, tuple[str, ...]] = {}
    for ident, data, required in (
        (NEGATIVE_ID, out_of_scope, True),
        (NEAR_MISSES_ID, near_misses, False),
    ):
        name = f"{ident}.yaml"
        if data is None:
            if required:
                problems.append(f"{name}: missing (out-of-scope examples are required)")
            continue
        if not isinstance(data, dict) or data.get("id") != ident or data.get("kind") != "negative":
            problems.append(f"{name}: expected id: {ident}, kind: negative and examples")
            continue
        lists = lists_per_language(
            name, data.get("examples"), problems, every_language=required, folded=folded
        )
        for lang, items in lists.items():
            negatives[lang] = negatives.get(lang, ()) + items
    return negatives


def read_followups(data: Any, problems: list[str]) -> Followups:
    """Read ``followups.yaml``; report what is wrong with it."""
    name = FOLLOWUPS_FILE
    if not isinstance(data, dict) or set(data) != {"refers", "cues", "fillers", "max_words"}:
        problems.append(f"{name}: expected refers, cues, fillers (each per language) and max_words")
        return NO_FOLLOWUPS
    max_words = data["max_words"]
    if not isinstance(max_words, int) or not 1 <= max_words <= MAX_FOLLOWUP_WORDS:
        problems.append(f"{name}: max_words must be a whole number from 1 to {MAX_FOLLOWUP_WORDS}")
        max_words = 0
    keys = ("refers", "cues", "fillers")
    lists = {key: lists_per_language(name, data[key], problems, key) for key in keys}
    # Any language's cue counts in any message: readers mix them ("ok, a kogda?").
    refers, cues, fillers = (
        frozenset(
            word for items in lists[key].values() for item in items for word in fold(item).split()
        )
        for key in keys
    )
    words = {lang: sum((lists[key].get(lang, ()) for key in keys), ()) for lang in LANGS}
    return Followups(refers, cues, fillers, max_words, words)


def check_places(
    places: Places, examples: Iterable[tuple[str, str, str]], problems: list[str]
) -> None:
    """A topic's example (topic id, text, folded text) that reads as about another country
    would be declined: the content contradicts itself until the word is declared ``unlike``
    or ``passing``."""
    for topic_id, text, folded in examples:
        if (place := places.subject_of_folded(folded)) is not None:
            problems.append(
                f"{SUBJECTS_FILE}: {place!r} declines {topic_id}'s example {text!r} "
                "(list the word under unlike, or its companion under passing)"
            )


def read_places(data: Any, problems: list[str]) -> Places:
    """Read ``subjects.yaml``: the folded stems of other countries' names, every language (a
    name of several words is written with ``_``, "north_korea", and kept as one phrase), and
    optionally the words alike but not names (``unlike``) and those that pass through a
    place (``passing``)."""
    keys = {"others", "unlike", "passing"}
    if not isinstance(data, dict) or "others" not in data or not set(data) <= keys:
        problems.append(f"{SUBJECTS_FILE}: expected others, unlike and passing (per language)")
        return Places()
    stems = {
        key: frozenset(
            stem
            for items in lists_per_language(SUBJECTS_FILE, data[key], problems, key).values()
            for item in items
            for token in item.split()
            if (stem := fold(token))
        )
        for key in keys
        if key in data
    }
    return Places(**stems)
