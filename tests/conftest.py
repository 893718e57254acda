"""Shared fixtures: the real content, one fitted engine per session, the fake Bot API."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.classifier import Classifier
from bot.content import Content, load
from bot.conversation import Conversation
from testkit.fakebotapi import FakeBotAPI

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
def engine(content: Content, classifier: Classifier) -> Conversation:
    """The conversation engine on the real content."""
    return Conversation(content, classifier)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    """A started fake Bot API server."""
    async with FakeBotAPI() as fake:
        yield fake
