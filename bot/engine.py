"""Opening the engine: validated content plus a fitted classifier, ready to converse."""

from __future__ import annotations

from pathlib import Path

from bot import content as content_module
from bot.classifier import Classifier
from bot.conversation import Conversation


def open_engine(content_dir: Path, cache_dir: Path | None) -> Conversation:
    """Load and validate ``content_dir`` and fit (or load the cached) classifier.

    Raises ``content.ContentError`` on broken content: nothing starts on it.
    """
    content = content_module.load(content_dir)
    return Conversation(content, Classifier.load_or_fit(content, cache_dir))
