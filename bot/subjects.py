"""The interview's subject: Korea and Azerbaijan. A message about another country is not
about the interview, whatever the classifier thinks ("relations with Japan?")."""

from __future__ import annotations

import re

from bot.content import Content
from bot.normalise import fold


class Subjects:
    """Tells messages about other countries (declared in ``subjects.yaml``) apart."""

    def __init__(self, content: Content) -> None:
        self._others = _stems_pattern(content.others)

    def elsewhere(self, text: str) -> bool:
        """Whether ``text`` is about a country other than Korea and Azerbaijan."""
        return self._others is not None and self._others.search(fold(text)) is not None


def _stems_pattern(stems: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for every stem: short ones ("usa", "çin") match whole words only, longer
    ones the start of a word ("росси" in "России")."""
    if not stems:
        return None
    longest_first = sorted(stems, key=len, reverse=True)
    # In a phrase each word is the start of a word too: "северн коре" is Северной Кореи.
    starts = "|".join(
        r"\w*\s+".join(map(re.escape, stem.split())) for stem in longest_first if len(stem) >= 4
    )
    words = "|".join(re.escape(stem) for stem in longest_first if len(stem) < 4)
    alternatives = [f"(?<!\\w)(?:{starts})"] if starts else []
    alternatives += [f"(?<!\\w)(?:{words})(?!\\w)"] if words else []
    return re.compile("|".join(alternatives))
