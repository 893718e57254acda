"""The interview's subject: Korea and Azerbaijan. A message about another country is not
about the interview, whatever the classifier thinks ("relations with Japan?")."""

from __future__ import annotations

from bot.content import Content


class Subjects:
    """Tells messages about other countries (declared in ``subjects.yaml``) apart."""

    def __init__(self, content: Content) -> None:
        self._places = content.places

    def elsewhere(self, text: str) -> bool:
        """Whether ``text`` is about a country other than Korea and Azerbaijan."""
        return self._places.subject(text) is not None
