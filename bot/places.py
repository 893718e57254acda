"""Other countries named in a message, as ``subjects.yaml`` declares them.

The interview is about Korea and Azerbaijan: a message whose subject is another country
("relations with Russia", "flights from Uzbekistan") is not about it. A country only passed
through ("via Istanbul", "через Стамбул", "이스탄불 경유") is not the subject, nor is a word
that merely begins like one ("Russian", the language; "cinema", not "çinə"); and a long
message tells a story before it asks, so only its last words say what it is about.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Final

from bot.normalise import fold

# A stem shorter than this matches whole words only ("usa", not "usability"); a Korean name
# of any length matches the start of a word, as Korean writes particles onto it (일본과).
MIN_PREFIX: Final = 4
PASSING_WINDOW: Final = 4  # words between a passing word and the place it passes through
LONG_WORDS: Final = 14  # a message longer than this tells a story before it asks
ASKING_WORDS: Final = 10  # of a longer message, the words that ask
REMEMBERED_WORDS: Final = 20_000
_MAYBE_PHRASE: Final = -1
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")
_TOKENS: Final = re.compile(r"\w+")


def _prefix(stem: str) -> bool:
    return len(stem) >= MIN_PREFIX or _HANGUL.search(stem) is not None


class _Starts:
    """Whether a word begins with one of ``stems``: most words are told apart by their
    first letters alone, before any longer look-up."""

    def __init__(self, stems: frozenset[str]) -> None:
        self._stems = stems
        self._lengths = sorted({len(stem) for stem in stems})
        self._head = self._lengths[0] if self._lengths else 1
        self._heads = frozenset(stem[: self._head] for stem in stems)

    def __call__(self, word: str) -> bool:
        return word[: self._head] in self._heads and any(
            word[:length] in self._stems for length in self._lengths if length <= len(word)
        )


@dataclass(frozen=True)
class Places:
    """Folded stems: other countries' names (``others``), words alike but not names
    (``unlike``) and words that pass through a place (``passing``), from every language."""

    others: frozenset[str] = frozenset()
    unlike: frozenset[str] = frozenset()
    passing: frozenset[str] = frozenset()
    _prefixes: frozenset[str] = field(init=False, repr=False, compare=False)
    _words: frozenset[str] = field(init=False, repr=False, compare=False)
    _phrases: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    # Words repeat from message to message: what each one is, found once (bounded).
    _seen: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        single = [tuple(_TOKENS.findall(stem)) for stem in self.others]
        words = {parts[0] for parts in single if len(parts) == 1}
        object.__setattr__(self, "_prefixes", frozenset(w for w in words if _prefix(w)))
        object.__setattr__(self, "_words", frozenset(w for w in words if not _prefix(w)))
        object.__setattr__(self, "_phrases", tuple(p for p in single if len(p) > 1))
        object.__setattr__(self, "_seen", {})

    def subject(self, text: str) -> str | None:
        """The other country ``text`` is about, as the word that names it; None when its
        subject is Korea and Azerbaijan (or nothing this knows)."""
        return self.subject_of_folded(fold(text))

    def subject_of_folded(self, folded: str) -> str | None:
        """``subject`` of a text already folded (``bot.normalise.fold``)."""
        words = _TOKENS.findall(folded)
        if len(words) > LONG_WORDS:
            words = words[-ASKING_WORDS:]
        for index in range(len(words)):
            length = self._named(words, index)
            if length and not self._passed(words, index, length):
                return " ".join(words[index : index + length])
        return None

    def _named(self, words: list[str], index: int) -> int:
        """How many words from ``index`` name another country (0: none)."""
        word = words[index]
        kind = self._seen.get(word)
        if kind is None:
            kind = self._kind(word)
            if len(self._seen) < REMEMBERED_WORDS:
                self._seen[word] = kind
        if kind != _MAYBE_PHRASE:
            return kind
        for phrase in self._phrases:
            tail = words[index : index + len(phrase)]
            if len(tail) == len(phrase) and all(
                w.startswith(p) for w, p in zip(tail, phrase, strict=True)
            ):
                return len(phrase)
        return 0

    def _kind(self, word: str) -> int:
        """1: the word names another country; 0: it does not; else a phrase may start here."""
        if self._starts_unlike(word):
            return 0
        if word in self._words or self._starts_name(word):
            return 1
        return _MAYBE_PHRASE if any(word.startswith(p[0]) for p in self._phrases) else 0

    @functools.cached_property
    def _starts_unlike(self) -> _Starts:
        return _Starts(self.unlike)

    @functools.cached_property
    def _starts_name(self) -> _Starts:
        return _Starts(self._prefixes)

    @functools.cached_property
    def _starts_passing(self) -> _Starts:
        return _Starts(self.passing)

    def _passed(self, words: list[str], index: int, length: int) -> bool:
        """Whether a passing word stands next to the place ("via X", "X üzərindən")."""
        near = (
            words[max(0, index - PASSING_WINDOW) : index]
            + words[index + length : index + length + PASSING_WINDOW]
        )
        return any(self._starts_passing(word) for word in near)
