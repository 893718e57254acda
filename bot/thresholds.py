"""When to answer, ask "did you mean" or refuse: per language, chosen by cross-validation on
the training examples (``python -m bot calibrate``) and kept in ``intents/thresholds.yaml``.

Content without the file gets the defaults; another interview calibrates its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bot.values import LANGS, Lang

THRESHOLDS_FILE: Final = "thresholds.yaml"


@dataclass(frozen=True)
class Thresholds:
    """``reject``: below this best score a message is out of scope; ``close``: a runner-up
    scoring at least this share of the best makes a "did you mean"."""

    reject: float = 0.35
    close: float = 0.45


DEFAULT: Final = Thresholds()


def read_thresholds(data: Any, problems: list[str]) -> Mapping[Lang, Thresholds]:
    """Read ``thresholds.yaml`` (absent: the defaults); report ``file: problem``."""
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - set(LANGS):
        problems.append(f"{THRESHOLDS_FILE}: expected per language: reject and close")
        return {}
    result: dict[Lang, Thresholds] = {}
    for lang in LANGS:
        value = data.get(lang)
        if value is None:
            continue
        if not isinstance(value, dict) or set(value) != {"reject", "close"}:
            problems.append(f"{THRESHOLDS_FILE}: {lang} needs reject and close")
            continue
        numbers = [value["reject"], value["close"]]
        if not all(isinstance(n, int | float) and 0 < n < 1 for n in numbers):
            problems.append(f"{THRESHOLDS_FILE}: {lang}: reject and close are between 0 and 1")
            continue
        result[lang] = Thresholds(float(value["reject"]), float(value["close"]))
    return result
