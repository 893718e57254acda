"""Subscriptions storage: subscribers, the update outbox, delivery state and questions.

``Store`` is the whole public surface the bot needs; ``upgrade`` and ``head`` (the schema
revision) are for tools and tests. Nothing here imports ``telegram``: the Telegram front end
and the CLI both drive this package.

Modules, one job each: ``columns`` (shared column types), ``tables`` (the current schema),
``schema`` (upgrades by Alembic; its revisions are in ``migrations``), ``database`` (engine
set-up), ``records`` (what the store returns), ``store`` (the queries).
"""

from bot.storage.records import (
    ChatState,
    Delivery,
    DeliveryStatus,
    PublishResult,
    Question,
    RecentQuestion,
    Stats,
)
from bot.storage.schema import SchemaError, head, upgrade
from bot.storage.store import Store

__all__ = [
    "ChatState",
    "Delivery",
    "DeliveryStatus",
    "PublishResult",
    "Question",
    "RecentQuestion",
    "SchemaError",
    "Stats",
    "Store",
    "head",
    "upgrade",
]
