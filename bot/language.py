"""Which language a message is written in, as readers in Baku actually type.

The script settles most messages: Hangul is Korean, Cyrillic is Russian, Azerbaijani letters
(ə, ğ, ı, ş…) are Azerbaijani. Latin letters alone may be English, Azerbaijani typed without
diacritics, or Russian typed in Latin letters ("reisy v seul est?"). For those a small naive Bayes
model over character n-grams decides, trained on the content itself (every example and
answer, the Russian ones transliterated into Latin letters), so it knows the words readers
use about this interview. A Russian message typed in Latin letters is also given a Cyrillic
reading for the topic classifier, which learned Russian in Cyrillic.

A language-identification library was measured first: lingua (high accuracy) costs 139 MB
for our languages and, like any general model, reads Russian typed in Latin letters as
Azerbaijani or English; in its low-accuracy mode (23 MB) it splits "kpop musabiqesi"
51/49. The in-domain model costs well under a megabyte and a few microseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from bot import markup
from bot.content import Content
from bot.normalise import fold
from bot.tablecache import reuse
from bot.values import Lang

MODEL_VERSION: Final = "5"
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")  # syllables and jamo
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# Letters English never uses; ö and ü are shared with German and Turkish but in a chat
# about Azerbaijan they almost always mean Azerbaijani.
_AZ_LETTERS = re.compile(r"[əƏğĞıİşŞçÇöÖüÜ]")
_LETTERS = re.compile(r"[^\W\d_]+")
_NGRAMS: Final = (1, 2, 3, 4)
_SMOOTHING: Final = 0.5
MIN_LETTERS: Final = 3  # shorter Latin messages ("ok", "a?") do not say their language
SURE: Final = 0.8  # posterior the best language needs on Latin text
# The language the chat was just using is likelier than another: a message has to be that
# much (in nats) more like another language to switch. Clear messages differ by 30 or more;
# two short words ("bes futbol?") by a few.
EXPECTED_BONUS: Final = 10.0

# Russian as typed in Latin letters: the common informal spellings, longest first.
_TO_CYRILLIC: Final = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("yu", "ю"), ("ju", "ю"), ("ya", "я"), ("ja", "я"), ("yo", "ё"), ("jo", "ё"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"),
    ("z", "з"), ("i", "и"), ("j", "й"), ("k", "к"), ("q", "к"), ("l", "л"), ("m", "м"),
    ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"),
    ("f", "ф"), ("h", "х"), ("c", "ц"), ("x", "кс"), ("y", "ы"), ("'", "ь"),
)  # fmt: skip
_TO_LATIN: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_LATIN_SPELLING = re.compile("|".join(re.escape(latin) for latin, _ in _TO_CYRILLIC))
_CYRILLIC_SPELLING: Final = dict(_TO_CYRILLIC)
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Reading:
    """A message as the bot reads it: its language (None: it does not say) and the text to
    classify (a Cyrillic reading when Russian was typed in Latin letters)."""

    lang: Lang | None
    text: str


class LanguageModel:
    """Tells English, Azerbaijani and Russian apart in Latin letters; fitted on content."""

    def __init__(self, grams: Sequence[str], weights: FloatArray, priors: Sequence[float]) -> None:
        """``weights`` has one row per n-gram of ``grams``, one column per Latin language."""
        self._grams = grams
        self._weights = weights
        self._priors = np.asarray(priors, dtype=np.float64)
        # One row per n-gram and a last row of zeros for the unseen: a message is scored
        # by summing its rows, in one numpy call.
        self._index = dict(zip(grams, range(len(grams)), strict=True))
        self._matrix = np.vstack([weights, np.zeros((1, len(priors)))])

    @classmethod
    def fit(cls, content: Content) -> LanguageModel:
        """Count character n-grams in every text of ``content``, per language."""
        counts: dict[Lang, Counter[str]] = {lang: Counter() for lang in _LATIN_LANGS}
        for lang in _LATIN_LANGS:
            for text in _texts(content, lang):
                latin = to_latin(text) if lang == "ru" else text
                counts[lang].update(_ngrams(fold(latin)))
        # An n-gram seen once says little and costs start-up time: keep the rest.
        vocabulary = {
            gram
            for gram in set().union(*counts.values())
            if sum(c[gram] for c in counts.values()) > 1
        }
        totals = {
            lang: sum(counts[lang].values()) + _SMOOTHING * len(vocabulary) for lang in counts
        }
        # Weights are log-probabilities relative to an unseen n-gram, so n-grams no language
        # has seen cost nothing and are left out.
        grams = sorted(vocabulary)
        weights = np.array(
            [
                [math.log((counts[lang][gram] + _SMOOTHING) / _SMOOTHING) for lang in _LATIN_LANGS]
                for gram in grams
            ],
            dtype=np.float64,
        ).reshape(-1, len(_LATIN_LANGS))
        priors = tuple(-math.log(totals[lang]) for lang in _LATIN_LANGS)
        return cls(grams, weights, priors)

    @classmethod
    def load_or_fit(cls, content: Content, cache_dir: Path | None) -> LanguageModel:
        """The cached model for this content (plain arrays and its n-grams as lines), fitting
        and caching it when absent."""
        stem = cache_dir and cache_dir / f"languages-{MODEL_VERSION}-{content.digest}"
        return reuse(stem, lambda: cls.fit(content), _load, LanguageModel._save)

    def _save(self, stem: Path) -> None:
        stem.with_suffix(".grams").write_text("\n".join(self._grams), encoding="utf-8")
        tmp = stem.with_suffix(".tmp.npz")
        np.savez(tmp, weights=self._weights, priors=self._priors)
        # the arrays land last: a half-written cache is never read
        tmp.replace(stem.with_suffix(".npz"))

    def read(self, text: str, expected: Lang | None = None) -> Reading:
        """Return ``text``'s language and the reading of it to classify; ``expected`` is the
        language the chat was using, which a short ambiguous message is taken to be in."""
        if _HANGUL.search(text):  # "KOICA 카흐리즈": any Hangul is a Korean reader
            return Reading("ko", text)
        if _CYRILLIC.search(text):
            return Reading("ru", text)
        if _AZ_LETTERS.search(text):
            return Reading("az", text)
        letters = sum(len(word) for word in _LETTERS.findall(text))
        if letters < MIN_LETTERS or not _LATIN.search(text):
            return Reading(None, text)
        lang = self._latin_language(fold(text), expected)
        if lang == "ru":
            return Reading("ru", to_cyrillic(text))
        return Reading(lang, text)

    def _latin_language(self, folded: str, expected: Lang | None) -> Lang | None:
        grams = _ngrams(folded)
        # map and Counter run in C; an unseen n-gram (None) scores as the matrix's zero row
        counts = Counter(map(self._index.get, grams))
        counts.pop(None, None)
        rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        times = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        scores = times @ self._matrix[rows] + self._priors * len(grams)
        if expected in _LATIN_LANGS:
            scores[_LATIN_LANGS.index(expected)] += EXPECTED_BONUS
        exp = np.exp(scores - scores.max())
        best = int(exp.argmax())
        return _LATIN_LANGS[best] if exp[best] / exp.sum() >= SURE else None


_LATIN_LANGS: Final[tuple[Lang, ...]] = ("en", "az", "ru")


def _load(stem: Path) -> LanguageModel:
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
        weights, priors = arrays["weights"], arrays["priors"]
    grams = stem.with_suffix(".grams").read_text(encoding="utf-8").split("\n")
    if len(grams) != len(weights):
        raise ValueError("the n-grams do not match the weights")
    return LanguageModel(grams, weights, priors.tolist())


def to_cyrillic(text: str) -> str:
    """Read Latin-typed Russian in Cyrillic ("kogda budut reisy" -> "когда будут реисы")."""
    return _LATIN_SPELLING.sub(lambda match: _CYRILLIC_SPELLING[match.group()], text.casefold())


def to_latin(text: str) -> str:
    """Write Russian in Latin letters as readers type it ("когда" -> "kogda")."""
    return "".join(_TO_LATIN.get(char, char) for char in text.casefold())


def _texts(content: Content, lang: Lang) -> Iterable[str]:
    yield from content.negatives.get(lang, ())
    yield from content.followups.words.get(lang, ())
    for topic in content.topics:
        yield from topic.examples.get(lang, ())
        yield topic.title[lang]
        yield markup.to_plain(topic.short[lang])
        yield markup.to_plain(topic.long[lang])


def _ngrams(folded: str) -> list[str]:
    grams: list[str] = []
    for word in folded.split():
        grams.append(f"<{word}>")  # the whole word: short words say most as themselves
        padded = f" {word} "
        for n in _NGRAMS:
            grams.extend(padded[i : i + n] for i in range(n == 1, len(padded) - n + 1 - (n == 1)))
    return grams
