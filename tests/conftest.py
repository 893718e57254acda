"""Shared fixtures: the real content, one fitted conversation per session, the fake Bot API,
and a fresh database per test (SQLite always, PostgreSQL too when ``TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.classifier import Classifier
from bot.content import Content, load
from bot.conversation import Conversation
from bot.storage import Storage
from bot.storage.database import create_engine
from testkit.bench import postgres_database
from testkit.fakebotapi import FakeBotAPI
from tests.models import conversation_with

# RetryAfter.retry_after as a timedelta: the int form raises a deprecation warning, which
# pytest's warnings-as-errors would turn into the exception the bot sees instead.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ROOT = Path(__file__).resolve().parent.parent
INTENTS = ROOT / "intents"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
NO_PG = "TEST_DATABASE_URL not set: PostgreSQL tests need a server"
needs_postgresql = pytest.mark.skipif(not PG_URL, reason=NO_PG)


@pytest.fixture(scope="session")
def content() -> Content:
    """The project's real content, validated."""
    return load(INTENTS)


@pytest.fixture(scope="session")
def classifier(content: Content) -> Classifier:
    """A classifier fitted from scratch (no cache) on the real content."""
    return Classifier.fit(content)


@pytest.fixture(scope="session")
def model_cache(
    tmp_path_factory: pytest.TempPathFactory, content: Content, classifier: Classifier
) -> Path:
    """A model cache folder holding the session's classifier, so that a bot process started
    on it (``BOT_STATE_DIR``'s ``model``) reads the arrays instead of fitting."""
    path = tmp_path_factory.mktemp("model-cache")
    classifier.save(Classifier.cache_stem(content, path))
    return path


@pytest.fixture(scope="session")
def conversation(content: Content, classifier: Classifier) -> Conversation:
    """The conversation conversation on the real content."""
    return conversation_with(content, classifier)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    """A started fake Bot API server."""
    async with FakeBotAPI() as fake:
        yield fake


@dataclass
class Database:
    """One empty database for one test, and how to open stores and raw engines on it."""

    url: str
    stores: list[Storage] = field(default_factory=list)
    engines: list[AsyncEngine] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return make_url(self.url).get_backend_name()

    async def open(self) -> Storage:
        """Open storage on it (closed at the end of the test)."""
        store = await Storage.open(self.url)
        self.stores.append(store)
        return store

    def engine(self) -> AsyncEngine:
        """A raw engine set up as the store's, for building old schemas (disposed at the end)."""
        engine = create_engine(self.url)
        self.engines.append(engine)
        return engine

    async def close(self) -> None:
        """Close every store and engine this test opened."""
        for store in self.stores:
            await store.close()
        for engine in self.engines:
            await engine.dispose()


def pg_database() -> contextlib.AbstractAsyncContextManager[str]:
    """A new PostgreSQL database, dropped afterwards; yields its URL.

    A database rather than a schema per test: the bot and its processes take only a URL.
    """
    return postgres_database(PG_URL, "test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgresql)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database: a SQLite file in a folder not yet created, or a new PostgreSQL one."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'bot.sqlite3'}"
        else:
            url = await stack.enter_async_context(pg_database())
        db = Database(url)
        stack.push_async_callback(db.close)
        yield db


@pytest.fixture
def database_url(database: Database) -> str:
    """The fresh database's URL (what the bot takes)."""
    return database.url


@pytest.fixture
async def pg_database_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, for tests that only make sense there (they carry
    ``needs_postgresql``)."""
    async with pg_database() as url:
        yield url


@pytest.fixture
async def store(database: Database) -> Storage:
    """A store on the fresh database, schema at the latest version (closed after the test)."""
    return await database.open()
