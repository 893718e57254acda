"""The topic classifier: TF-IDF word and character n-grams with a linear model.

scikit-learn fits the model from ``intents/`` (fixed random state, deterministic). The
hot path does not go through scikit-learn: the fitted vocabularies, idf weights and
coefficients become plain arrays, and a message is scored by building its few n-grams and
taking a sparse dot product — the same scores (a test checks it) at a fraction of the cost.
The arrays are cached as ``.npy``/``.npz`` files + JSON keyed by a hash of the content; a
pickle is never written or loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from bot.content import Content
from bot.fitting import FittingError, fit_apart
from bot.normalise import fold
from bot.tablecache import reuse
from bot.thresholds import DEFAULT, Thresholds

logger = logging.getLogger(__name__)

NONE_CLASS: Final = "__none__"
MODEL_VERSION: Final = "7"
RANDOM_STATE: Final = 0
_WORD_PATTERN: Final = r"(?u)\b\w+\b"
_WORD_TOKENS = re.compile(_WORD_PATTERN)
_WORD_NGRAMS: Final = (1, 2)
_CHAR_NGRAMS: Final = (2, 5)
_CHAR_WEIGHT: Final = 1.0
_WORD_WEIGHT: Final = 1.0
_C: Final = 20.0
# Words whose character n-grams a classifier remembers: readers' words repeat, so most of a
# message's n-grams are found without building them; a bound keeps odd input from growing it.
CACHED_WORDS: Final = 20_000

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Prediction:
    """What a message is about: the topic (None when out of scope) and how sure we are."""

    topic: str | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    ambiguous: bool
    none: float = 0.0  # the out-of-scope class's probability

    @property
    def clear(self) -> bool:
        """A topic, with no runner-up close to it."""
        return self.topic is not None and not self.ambiguous


class Vocabulary:
    """One block's n-grams in scikit-learn's numbering, which is their sorted order, so a
    gram's index is its place in one sorted array. ``indexed``: also a dict, for a block
    looked up on every message; without it a gram is found by binary search, and a start
    maps the array from the cache instead of building a dict of many thousand strings."""

    def __init__(self, grams: npt.NDArray[np.str_], *, indexed: bool) -> None:
        self.grams = grams
        self._index = dict(zip(grams.tolist(), range(len(grams)), strict=True)) if indexed else None

    @classmethod
    def of(cls, numbering: dict[str, int], *, indexed: bool) -> Vocabulary:
        """The vocabulary scikit-learn fitted (``vocabulary_``)."""
        grams = _in_order(numbering)
        if grams != sorted(grams) or any(gram.endswith("\0") for gram in grams):
            raise ValueError("a vocabulary not numbered in sorted order cannot be searched")
        return cls(np.array(grams, dtype=np.str_), indexed=indexed)

    def __len__(self) -> int:
        return len(self.grams)

    def find(self, grams: Sequence[str]) -> list[int]:
        """The index of each of ``grams``, -1 for one not in the vocabulary."""
        if self._index is not None:
            return [self._index.get(gram, -1) for gram in grams]
        if not grams or not len(self.grams):
            return [-1] * len(grams)
        # A gram longer than any in the vocabulary is cut short here, and so never found.
        at = np.searchsorted(self.grams, np.array(grams, dtype=self.grams.dtype))
        at[at == len(self.grams)] = 0  # past the end: compared below, never equal
        return [
            index if gram == found else -1
            for index, found, gram in zip(at.tolist(), self.grams[at].tolist(), grams, strict=True)
        ]


@dataclass(frozen=True)
class _Block:
    """One TF-IDF feature block: vocabulary, idf weights and its offset in the coefficients."""

    vocabulary: Vocabulary
    idf: FloatArray
    offset: int
    weight: float


class Classifier:
    """Scores messages against the topics of one content set."""

    def __init__(
        self,
        classes: Sequence[str],
        word: _Block,
        char: _Block,
        coef: FloatArray,
        intercept: FloatArray,
    ) -> None:
        self.classes: tuple[str, ...] = tuple(classes)
        self._word = word
        self._char = char
        self._coef = coef  # (n_features, n_classes), rows gathered per message
        self._intercept = intercept
        self._none = self.classes.index(NONE_CLASS)
        self._char_cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def fit(cls, content: Content) -> Classifier:
        """Fit a classifier on ``content``'s examples with scikit-learn."""
        return cls.fit_folded(*training_set(content))

    @classmethod
    def fit_folded(cls, texts: Sequence[str], labels: Sequence[str]) -> Classifier:
        """Fit a classifier on folded ``texts`` and their ``labels`` with scikit-learn."""
        return _fit(texts, labels)

    @classmethod
    def load_or_fit(cls, content: Content, cache_dir: Path | None) -> Classifier:
        """Return the cached model for this content; when absent, fit it in a child process
        (``bot.fitting``), which caches it, or here if that fails."""
        if cache_dir is None:
            return cls.fit(content)
        stem = cls.cache_stem(content, cache_dir)
        written: list[Classifier] = []  # the model the child wrote and this process read

        def build() -> Classifier:
            try:
                fit_apart(*training_set(content), stem)
                written.append(_load(stem))
                return written[0]
            except (FittingError, OSError, ValueError, KeyError) as exc:
                logger.warning("Could not fit in a child process (%s); fitting here", exc)
                return cls.fit(content)

        def save(model: Classifier, stem: Path) -> None:
            if model not in written:  # fitted here: also replaces a broken cache
                model.save(stem)

        return reuse(stem, build, _load, save)

    @staticmethod
    def cache_stem(content: Content, cache_dir: Path) -> Path:
        """Where in ``cache_dir`` the model of ``content`` is kept (files without endings)."""
        return cache_dir / f"model-{_cache_key(content)}"

    def probabilities(self, text: str) -> FloatArray:
        """Return the class probabilities for ``text`` in the order of ``classes``."""
        folded = fold(text)
        scores = self._intercept.copy()
        for block, found in (
            (self._word, self._word.vocabulary.find(_word_ngrams(folded))),
            (self._char, self._char_indices(folded)),
        ):
            features = self._features(block, found)
            if features is not None:
                rows, values = features
                scores += values @ self._coef[rows]
        scores -= scores.max()
        exp = np.exp(scores)
        result: FloatArray = exp / exp.sum()
        return result

    def predict(self, text: str, thresholds: Thresholds = DEFAULT) -> Prediction:
        """Classify ``text``: a topic, None when out of scope, and ranked alternatives."""
        probabilities = self.probabilities(text)
        ranked = [
            (self.classes[i], float(probabilities[i]))
            for i in np.argsort(-probabilities, kind="stable")
            if i != self._none
        ]
        best_topic, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        none = float(probabilities[self._none])
        if none >= best or best < thresholds.reject:
            # how sure we are that no topic fits: the out-of-scope class, or the gap above the best
            confidence = max(none, 1.0 - best)
            return Prediction(None, confidence, tuple(ranked[:3]), False, none)
        ambiguous = second >= best * thresholds.close
        return Prediction(best_topic, best, tuple(ranked[:3]), ambiguous, none)

    def _features(
        self, block: _Block, found: Iterable[int]
    ) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
        """Return ``block``'s coefficient rows and values for the vocabulary indices ``found``
        (-1: not in the vocabulary): sublinear tf, idf, l2 norm, as TfidfVectorizer; None
        when nothing was found."""
        counts = Counter(found)  # runs in C
        counts.pop(-1, None)
        if not counts:
            return None
        indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weighted: FloatArray = (1.0 + np.log(tf)) * block.idf[indices]
        weighted *= block.weight / math.sqrt(float(weighted @ weighted))
        return indices + block.offset, weighted

    def _char_indices(self, folded: str) -> list[int]:
        """The character block's vocabulary indices of ``folded``'s n-grams, word by word;
        the words not remembered yet are searched for together."""
        words = folded.split()
        cache = self._char_cache
        fresh: dict[str, tuple[int, ...]] = {}
        new = [word for word in dict.fromkeys(words) if word not in cache]
        if new:
            grams = [_char_wb_grams(word) for word in new]
            found = iter(self._char.vocabulary.find([gram for own in grams for gram in own]))
            for word, own in zip(new, grams, strict=True):
                # ``found`` holds every new word's grams: this word takes as many as it has
                fresh[word] = tuple(
                    index for _, index in zip(own, found, strict=False) if index >= 0
                )
            cache.update(islice(fresh.items(), max(0, CACHED_WORDS - len(cache))))
        indices: list[int] = []
        for word in words:
            known = fresh.get(word)
            indices.extend(cache[word] if known is None else known)
        return indices

    def save(self, stem: Path) -> None:
        """Write the model as ``stem``.npz, .coef.npy, .words.npy, .chars.npy and .json (read
        back by ``load_or_fit``)."""
        meta = {"classes": list(self.classes)}
        for part, array in (
            ("coef", self._coef),
            ("words", self._word.vocabulary.grams),
            ("chars", self._char.vocabulary.grams),
        ):
            tmp = stem.with_suffix(f".{part}.tmp.npy")
            np.save(tmp, array)
            tmp.replace(stem.with_suffix(f".{part}.npy"))
        stem.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        arrays_path = stem.with_suffix(".npz")
        tmp = arrays_path.with_suffix(".tmp.npz")
        np.savez(tmp, word_idf=self._word.idf, char_idf=self._char.idf, intercept=self._intercept)
        tmp.replace(arrays_path)  # the arrays land last: a half-written cache is never read


def _word_ngrams(text: str) -> list[str]:
    tokens = _WORD_TOKENS.findall(text)
    grams = list(tokens)
    low, high = _WORD_NGRAMS
    for n in range(max(low, 2), high + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_wb_ngrams(text: str) -> list[str]:
    """Character n-grams inside word boundaries, exactly as scikit-learn's ``char_wb``."""
    return [gram for word in text.split() for gram in _char_wb_grams(word)]


def _char_wb_grams(word: str) -> list[str]:
    """One word's ``char_wb`` n-grams: the word padded with a space on each side."""
    low, high = _CHAR_NGRAMS
    padded = f" {word} "
    length = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if length <= n:  # a short word counts once, as in scikit-learn
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(length - n + 1))
    return grams


def training_set(content: Content) -> tuple[list[str], list[str]]:
    """Return the folded training texts and their labels (out of scope as ``NONE_CLASS``)."""
    texts: list[str] = []
    labels: list[str] = []
    for topic in content.topics:
        for examples in topic.examples.values():
            texts.extend(examples)
            labels.extend([topic.id] * len(examples))
    for examples in content.negatives.values():
        texts.extend(examples)
        labels.extend([NONE_CLASS] * len(examples))
    return [fold(text) for text in texts], labels


def vectorizers() -> tuple[Any, Any]:
    """Return unfitted word and char_wb TfidfVectorizers matching the fast path."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    word = TfidfVectorizer(
        analyzer="word",
        ngram_range=_WORD_NGRAMS,
        token_pattern=_WORD_PATTERN,
        lowercase=False,
        sublinear_tf=True,
        dtype=np.float32,  # half the memory of a fit; the fast path keeps float64
    )
    char = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=_CHAR_NGRAMS,
        lowercase=False,
        sublinear_tf=True,
        dtype=np.float32,  # half the memory of a fit; the fast path keeps float64
    )
    return word, char


def fit_sklearn(content: Content) -> tuple[Any, Any, Any]:
    """Fit the word and char vectorizers and the logistic regression on ``content``."""
    return fit_texts(*training_set(content))


def fit_texts(texts: Sequence[str], labels: Sequence[str]) -> tuple[Any, Any, Any]:
    """Fit the vectorizers and the logistic regression on folded ``texts``."""
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    word, char = vectorizers()
    features = hstack(
        [word.fit_transform(texts) * _WORD_WEIGHT, char.fit_transform(texts) * _CHAR_WEIGHT],
        format="csr",
    )
    # saga with a loose tolerance fits in well under a second with the same accuracy as lbfgs
    model = LogisticRegression(
        C=_C, solver="saga", tol=1e-2, max_iter=1000, random_state=RANDOM_STATE
    )
    model.fit(features, labels)
    return word, char, model


def sklearn_features(word: Any, char: Any, texts: Sequence[str]) -> Any:
    """Transform raw ``texts`` the way the fitted scikit-learn pipeline sees them."""
    from scipy.sparse import hstack

    folded = [fold(text) for text in texts]
    return hstack(
        [word.transform(folded) * _WORD_WEIGHT, char.transform(folded) * _CHAR_WEIGHT]
    ).tocsr()


def _fit(texts: Sequence[str], labels: Sequence[str]) -> Classifier:
    word, char, model = fit_texts(texts, labels)
    word_size = len(word.vocabulary_)
    return Classifier(
        classes=[str(label) for label in model.classes_],
        word=_Block(Vocabulary.of(word.vocabulary_, indexed=True), word.idf_, 0, _WORD_WEIGHT),
        char=_Block(
            Vocabulary.of(char.vocabulary_, indexed=False), char.idf_, word_size, _CHAR_WEIGHT
        ),
        coef=np.ascontiguousarray(model.coef_.T, dtype=np.float64),
        intercept=np.asarray(model.intercept_, dtype=np.float64),
    )


def _in_order(vocabulary: dict[str, int]) -> list[str]:
    """The n-grams of ``vocabulary`` by their index."""
    grams = [""] * len(vocabulary)
    for gram, index in vocabulary.items():
        grams[int(index)] = str(gram)
    return grams


def _cache_key(content: Content) -> str:
    settings = (MODEL_VERSION, _WORD_NGRAMS, _CHAR_NGRAMS, _C, _WORD_WEIGHT, _CHAR_WEIGHT)
    return hashlib.sha256(f"{content.digest}{settings}".encode()).hexdigest()[:16]


def _load(stem: Path) -> Classifier:
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
        word_idf, char_idf = arrays["word_idf"], arrays["char_idf"]
        intercept = arrays["intercept"]
    # Mapped, not read: a message touches a few rows and n-grams, and a start reads none of
    # their megabytes.
    # (Plain arrays over the mapping: numpy's memmap class indexes through Python code.)
    coef, words, chars = (
        np.asarray(np.load(stem.with_suffix(f".{part}.npy"), mmap_mode="r", allow_pickle=False))
        for part in ("coef", "words", "chars")
    )
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    # Every message looks its words up; its characters mostly through the words remembered.
    word = _Block(Vocabulary(words, indexed=True), word_idf, 0, _WORD_WEIGHT)
    char = _Block(Vocabulary(chars, indexed=False), char_idf, len(words), _CHAR_WEIGHT)
    shapes = (len(word_idf), len(char_idf))
    if shapes != (len(words), len(chars)) or coef.shape != (sum(shapes), len(meta["classes"])):
        raise ValueError("model cache arrays do not match its vocabulary")
    return Classifier(meta["classes"], word, char, coef, intercept)
