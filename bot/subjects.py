"""The interview's subject: Korea and Azerbaijan. A message about another country is not
about the interview, whatever the classifier thinks ("relations with Japan?")."""

from __future__ import annotations

import re
from typing import Final

from bot.content import Content
from bot.normalise import fold

# A long message tells a story before it asks ("I always change in Istanbul, it takes
# hours... is a direct flight coming?"): only its last words say what it is about.
LONG_WORDS: Final = 14
ASKING_WORDS: Final = 10
_HANGUL: Final = re.compile(r"[\uac00-\ud7a3]")


class Subjects:
    """Tells messages about other countries (declared in ``subjects.yaml``) apart."""

    def __init__(self, content: Content) -> None:
        self._others = _stems_pattern(content.others)

    def elsewhere(self, text: str) -> bool:
        """Whether ``text`` is about a country other than Korea and Azerbaijan."""
        if self._others is None:
            return False
        words = fold(text).split()
        asking = words[-ASKING_WORDS:] if len(words) > LONG_WORDS else words
        return self._others.search(" ".join(asking)) is not None


def _stems_pattern(stems: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for every stem: short ones ("usa", "çin") match whole words only, longer
    ones the start of a word ("росси" in "России"). A Korean name always matches the start
    of a word, as Korean writes its particles onto the name (일본과, 중국의)."""
    if not stems:
        return None
    longest_first = sorted(stems, key=len, reverse=True)
    prefix = [stem for stem in longest_first if len(stem) >= 4 or _HANGUL.search(stem)]
    # In a phrase each word is the start of a word too: "северн коре" is Северной Кореи.
    starts = "|".join(r"\w*\s+".join(map(re.escape, stem.split())) for stem in prefix)
    words = "|".join(re.escape(stem) for stem in longest_first if stem not in prefix)
    alternatives = [f"(?<!\\w)(?:{starts})"] if starts else []
    alternatives += [f"(?<!\\w)(?:{words})(?!\\w)"] if words else []
    return re.compile("|".join(alternatives))
