"""Choosing the thresholds by cross-validation on the training examples, per language.

Each example is scored by a model fitted without it (stratified folds); then, per language,
the pair of thresholds that serves readers best wins. An answer on the right topic, or an
off-topic message refused, counts one; a real question refused costs one (the reader got
nothing), a "did you mean" on it ``SUGGEST_COST`` (one more tap, and it reads as unsure), a
"did you mean" on an off-topic message one, and a wrong answer ``WRONG_COST`` (it misleads).
Evaluation sets are never used, so their figures stay honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from bot.classifier import NONE_CLASS, fit_texts, sklearn_features
from bot.content import Content
from bot.normalise import fold
from bot.thresholds import Thresholds
from bot.values import LANGS, Lang

FOLDS: Final = 4
# Rounds of cross-validation, each with its own split: one split's luck moved the chosen
# thresholds by 0.15 when four examples changed; three agree far more often.
ROUNDS: Final = 3
WRONG_COST: Final = 3  # a wrong answer misleads; a "did you mean" only slows the reader
SUGGEST_COST: Final = 0.5  # a reader asked a clear question and got asked one back
REJECTS: Final = tuple(round(0.15 + 0.05 * i, 2) for i in range(10))  # 0.15 … 0.60
CLOSES: Final = tuple(round(0.25 + 0.05 * i, 2) for i in range(12))  # 0.25 … 0.80


@dataclass(frozen=True)
class Calibration:
    """The chosen thresholds of one language and what they gave on held-out examples."""

    lang: Lang
    thresholds: Thresholds
    right: int
    suggested: int
    wrong: int
    refused_off: int
    total: int


def calibrate(content: Content, folds: int = FOLDS, rounds: int = ROUNDS) -> list[Calibration]:
    """Cross-validate the classifier on ``content``'s examples (``rounds`` times, each split
    its own way) and choose thresholds on every held-out score together."""
    from sklearn.model_selection import StratifiedKFold

    texts, labels, langs = _examples(content)
    classes = sorted(set(labels))
    held_out = []
    for seed in range(rounds):
        probabilities = np.zeros((len(texts), len(classes)))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for train, held in splitter.split(texts, labels):
            word, char, model = fit_texts([texts[i] for i in train], [labels[i] for i in train])
            scores = model.predict_proba(sklearn_features(word, char, [texts[i] for i in held]))
            columns = [classes.index(str(label)) for label in model.classes_]
            probabilities[np.ix_(held, columns)] = scores
        held_out.append(probabilities)
    none = classes.index(NONE_CLASS)
    result = []
    for lang in LANGS:
        rows = [i for i, example_lang in enumerate(langs) if example_lang == lang]
        if rows:
            gold = [labels[i] for i in rows] * rounds
            scores = np.vstack([probabilities[rows] for probabilities in held_out])
            result.append(_best(lang, scores, gold, classes, none))
    return result


def _examples(content: Content) -> tuple[list[str], list[str], list[Lang]]:
    texts: list[str] = []
    labels: list[str] = []
    langs: list[Lang] = []
    sources = [(topic.id, topic.examples) for topic in content.topics]
    for label, per_language in [*sources, (NONE_CLASS, content.negatives)]:
        for lang, examples in per_language.items():
            texts.extend(fold(text) for text in examples)
            labels.extend([label] * len(examples))
            langs.extend([lang] * len(examples))
    return texts, labels, langs


def _best(
    lang: Lang,
    probabilities: npt.NDArray[np.float64],
    gold: Sequence[str],
    classes: Sequence[str],
    none: int,
) -> Calibration:
    topics = np.delete(probabilities, none, axis=1)
    names = [name for i, name in enumerate(classes) if i != none]
    order = np.argsort(-topics, axis=1)
    best = topics[np.arange(len(topics)), order[:, 0]]
    second = topics[np.arange(len(topics)), order[:, 1]]
    guessed = [names[i] for i in order[:, 0]]
    off = np.array([label == NONE_CLASS for label in gold])
    hit = np.array([guess == label for guess, label in zip(guessed, gold, strict=True)])
    candidates = []
    for reject in REJECTS:
        refused = (probabilities[:, none] >= best) | (best < reject)
        for close in CLOSES:
            suggested = ~refused & (second >= best * close)
            answered = ~refused & ~suggested
            right = int((answered & hit & ~off).sum())
            wrong = int((answered & ~hit).sum() + (answered & off).sum())
            refused_off = int((refused & off).sum())
            refused_real = int((refused & ~off).sum())
            suggested_off = int((suggested & off).sum())
            suggested_real = int((suggested & ~off).sum())
            score = (
                right + refused_off - refused_real - suggested_off
                - WRONG_COST * wrong - SUGGEST_COST * suggested_real
            )  # fmt: skip
            candidates.append(
                (score, -abs(reject - 0.35) - abs(close - 0.45), reject, close, right, wrong,
                 int(suggested.sum()), refused_off)
            )  # fmt: skip
    score, _, reject, close, right, wrong, suggested_count, refused_off = max(candidates)
    thresholds = Thresholds(reject, close)
    return Calibration(lang, thresholds, right, suggested_count, wrong, refused_off, len(gold))


def as_yaml(calibrations: Sequence[Calibration]) -> str:
    """The ``thresholds.yaml`` that keeps these thresholds, with how they were chosen."""
    lines = [
        "# Chosen by `python -m bot calibrate`: cross-validation on the training examples",
        f"# ({ROUNDS} rounds of {FOLDS} folds); per language, right answers and refused off-topic",
        "# messages count one, a refused real question or a 'did you mean' on an off-topic",
        f"# message costs one, a 'did you mean' on a real question {SUGGEST_COST}, a wrong one "
        f"{WRONG_COST}.",
        "# Run it again after editing examples.",
    ]
    for item in calibrations:
        reject, close = item.thresholds.reject, item.thresholds.close
        lines.append(f"{item.lang}: {{reject: {reject}, close: {close}}}")
    return "\n".join(lines) + "\n"


def describe(item: Calibration) -> str:
    """One line per language: the thresholds and what held-out examples got with them."""
    return (
        f"{item.lang}: reject below {item.thresholds.reject:.2f}, 'did you mean' when the "
        f"runner-up is {item.thresholds.close:.0%} of the best; held-out examples: "
        f"{item.right} right, {item.suggested} 'did you mean', {item.wrong} wrong, "
        f"{item.refused_off} off-topic refused (of {item.total}: each example once a round)"
    )
