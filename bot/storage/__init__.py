"""Subscriptions storage: subscribers, the update outbox, delivery state and questions.

``Store`` is the whole public surface the bot needs; ``migrate`` and ``LATEST_VERSION`` are
for tools and tests. Nothing here imports ``telegram``: the Telegram front end and the CLI
both drive this package.

Modules, one job each: ``columns`` (shared column types), ``tables`` (the current schema),
``migrations`` (versioned upgrades), ``database`` (engine set-up), ``records`` (what the
store returns), ``store`` (the queries).
"""

from bot.storage.migrations import LATEST_VERSION, SchemaError, migrate
from bot.storage.records import (
    ChatState,
    Delivery,
    DeliveryStatus,
    PublishResult,
    Question,
    RecentQuestion,
    Stats,
)
from bot.storage.store import Store

__all__ = [
    "LATEST_VERSION",
    "ChatState",
    "Delivery",
    "DeliveryStatus",
    "PublishResult",
    "Question",
    "RecentQuestion",
    "SchemaError",
    "Stats",
    "Store",
    "migrate",
]
