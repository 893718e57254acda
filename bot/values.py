"""Value types every layer shares: the languages, what a chat follows, its context.

This is the bottom of the package: it imports nothing from ``bot``, so storage, the
conversation and the front ends can all depend on it without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

Lang = Literal["en", "az", "ru", "ko"]
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "en"
# Each language is named in itself: a reader looking for theirs must recognise it.
LANGUAGE_NAMES: Final[dict[Lang, str]] = {
    "en": "English",
    "az": "Azərbaycanca",
    "ru": "Русский",
    "ko": "한국어",
}


def parse_lang(value: object) -> Lang | None:
    """Return ``value`` as a supported language code, or None when it is not one."""
    return next((lang for lang in LANGS if value == lang), None)


def from_code(code: str | None) -> Lang:
    """Map Telegram's ``language_code`` (e.g. ``ru``, ``az-AZ``) to a supported language."""
    return parse_lang((code or "").split("-")[0].casefold()) or DEFAULT_LANG


@dataclass(frozen=True)
class Following:
    """Which bulletins a chat follows: everything, or a set of topics."""

    all: bool = False
    topics: frozenset[str] = frozenset()

    def covers(self, topic_id: str) -> bool:
        """Return whether bulletins on ``topic_id`` reach this chat."""
        return self.all or topic_id in self.topics


@dataclass(frozen=True)
class Context:
    """What a chat was last told: the topic, whether its longer answer was shown, the
    language it was in, and when (a follow-up such as "when?" is answered on it)."""

    topic: str
    long: bool
    lang: Lang
    at: datetime
