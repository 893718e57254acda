"""Shared fixtures: the real content and one fitted conversation per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.classifier import Classifier
from bot.content import Content, load
from bot.conversation import Conversation

# RetryAfter.retry_after as a timedelta: the int form raises a deprecation warning, which
# pytest's warnings-as-errors would turn into the exception the bot sees instead.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"


@pytest.fixture(scope="session")
def content() -> Content:
    """The project's real content, validated."""
    return load(INTENTS)


@pytest.fixture(scope="session")
def classifier(content: Content) -> Classifier:
    """A classifier fitted from scratch (no cache) on the real content."""
    return Classifier.fit(content)


@pytest.fixture(scope="session")
def conversation(content: Content, classifier: Classifier) -> Conversation:
    """The conversation conversation on the real content."""
    return Conversation(content, classifier)
