"""Storage: chats and what they follow, the bulletin outbox, asked questions, statistics.

``Storage.open(url)`` is the way in: it upgrades the schema in place and hands out one
store per concern over one shared ``Database``. Nothing here imports ``telegram`` or the
conversation; value types shared with the layers above come from ``bot.values``.

Modules, one job each: ``database`` (engine set-up, transactions), ``tables`` (the current
schema), ``columns`` (shared column types), ``schema`` (upgrades by Alembic; its revisions
are in ``migrations``), ``failures`` (why a database cannot be opened), ``leadership``
(the one process that delivers), ``records``
(what the stores return), ``checks`` (values refused before they are stored), and the
stores: ``chats``, ``outbox``, ``questions``, ``statistics``, ``trends`` (per day, for
charts).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.chats import ChatStore
from bot.storage.database import Database, create_engine
from bot.storage.failures import StorageError, describe
from bot.storage.outbox import OutboxStore
from bot.storage.questions import QuestionStore
from bot.storage.records import (
    ChatState,
    Delivery,
    DeliveryStatus,
    Outcome,
    PublishResult,
    Question,
    RecentQuestion,
    Stats,
    Trends,
)
from bot.storage.schema import SchemaError, head, upgrade
from bot.storage.statistics import read_stats
from bot.storage.trends import read_trends

logger = logging.getLogger(__name__)


class Storage:
    """The stores over one database, opened together and closed together."""

    def __init__(self, db: Database) -> None:
        """Use ``db``, its schema already upgraded; ``Storage.open`` is the usual way in."""
        self.db = db
        self.chats = ChatStore(db)
        self.outbox = OutboxStore(db)
        self.questions = QuestionStore(db)

    @classmethod
    async def open(cls, url: str, **engine_kwargs: Any) -> Storage:
        """Connect to ``url``, upgrade its schema in place, and return the storage.

        ``engine_kwargs`` go to ``create_async_engine`` (e.g. ``connect_args`` to pick a
        PostgreSQL ``search_path``).
        """
        try:
            engine = create_engine(url, **engine_kwargs)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise StorageError(describe(url, exc)) from exc
        try:
            db = Database(engine)
            revision = await upgrade(engine)
        except (SQLAlchemyError, OSError, ImportError, ValueError) as exc:
            await engine.dispose()
            raise StorageError(describe(url, exc)) from exc
        except BaseException:
            await engine.dispose()
            raise
        # The dialect only: the URL may carry a password.
        logger.info("storage open (%s, schema %s)", engine.dialect.name, revision)
        return cls(db)

    async def stats(self, recent: int = 10) -> Stats:
        """Subscriber, bulletin, delivery and question figures, from one snapshot."""
        return await read_stats(self.db, recent)

    async def trends(self, days: int = 14) -> Trends:
        """Questions per topic per day, their outcomes and subscribers, for the charts."""
        return await read_trends(self.db, days)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.db.close()


__all__ = [
    "ChatState",
    "ChatStore",
    "Database",
    "Delivery",
    "DeliveryStatus",
    "OutboxStore",
    "Outcome",
    "PublishResult",
    "Question",
    "QuestionStore",
    "RecentQuestion",
    "SchemaError",
    "Stats",
    "Storage",
    "StorageError",
    "Trends",
    "head",
    "upgrade",
]
