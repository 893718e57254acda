"""A conversation over some content with a classifier the test chose (fitted, or fixed)."""

from __future__ import annotations

from typing import Any

from bot.content import Content
from bot.conversation import Conversation
from bot.evidence import Evidence
from bot.followups import FollowUps
from bot.language import LanguageModel


def conversation_with(content: Content, classifier: Any) -> Conversation:
    """``content``'s conversation, its other models built without a cache."""
    return Conversation(
        content, classifier, LanguageModel.fit(content), Evidence(content), FollowUps(content)
    )
