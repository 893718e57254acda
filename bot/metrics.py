"""What operators can measure, as Prometheus metrics in a registry the application owns.

No module-level registry: each application makes one ``Metrics`` (tests make as many as
they like) and passes it to what records into it. Delivery figures come from the database
when Prometheus scrapes (``refresh``), so every replica reports the same outbox.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.replies import ReplyKind

LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# A typed question's reply, as operators count them.
_OUTCOMES: Final = {
    ReplyKind.ANSWER: "answered",
    ReplyKind.MORE: "answered",
    ReplyKind.SUGGESTIONS: "suggested",
    ReplyKind.OUT_OF_SCOPE: "refused",
}
# What each metric means, as Prometheus shows it.
_HELP: Final = {
    "bot_updates": "Telegram updates received, by kind",
    "bot_reply_seconds": (
        "Seconds from an update reaching the bot until it was handled (reply sent)"
    ),
    "bot_questions": "Typed questions by outcome: answered, suggested (did you mean), refused",
    "bot_flood_waits": "RetryAfter answers from Telegram waited out, by sender (reply, delivery)",
    "bot_flood_wait_seconds": "Seconds Telegram's RetryAfter asked to wait, by sender",
    "bot_deliveries": "Deliveries of published updates by state (the whole outbox)",
    "bot_delivery_queue_depth": "Deliveries waiting to be sent (queued, not yet claimed)",
}

Metric = TypeVar("Metric", Counter, Gauge)


def _declare(kind: type[Metric], registry: CollectorRegistry, name: str, *labels: str) -> Metric:
    return kind(name, _HELP[name], labels, registry=registry)


class Metrics:
    """The bot's metrics; ``registry`` is what ``/metrics`` serves."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        counter = functools.partial(_declare, Counter, self.registry)
        gauge = functools.partial(_declare, Gauge, self.registry)
        self.updates = counter("bot_updates", "kind")
        self.reply_seconds = Histogram(
            "bot_reply_seconds",
            _HELP["bot_reply_seconds"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.questions = counter("bot_questions", "outcome")
        self.flood_waits = counter("bot_flood_waits", "sender")
        self.flood_wait_seconds = counter("bot_flood_wait_seconds", "sender")
        self.deliveries = gauge("bot_deliveries", "state")
        self.queue_depth = gauge("bot_delivery_queue_depth")

    def update(self, kind: str) -> None:
        """Count one Telegram update of ``kind`` (message, callback_query, ...)."""
        self.updates.labels(kind).inc()

    def question(self, kind: ReplyKind) -> None:
        """Count a typed question by how it was answered."""
        outcome = _OUTCOMES.get(kind)
        if outcome is not None:
            self.questions.labels(outcome).inc()

    def flood_wait(self, sender: str, seconds: float) -> None:
        """Count a RetryAfter of ``seconds`` met by ``sender``."""
        self.flood_waits.labels(sender).inc()
        self.flood_wait_seconds.labels(sender).inc(seconds)

    def outbox(self, by_status: Mapping[str, int]) -> None:
        """Set the delivery figures from the outbox's counts per status."""
        for state, count in by_status.items():
            self.deliveries.labels(state).set(count)
        self.queue_depth.set(by_status.get("queued", 0))
