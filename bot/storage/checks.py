"""Checks on values before they are stored, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.storage.tables import MAX_TOPIC_CHARS


def utc(now: datetime | None) -> datetime:
    """Return ``now`` in UTC (the current time when None); refuse a naive datetime."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware time")
    return now.astimezone(UTC)


def check_topic(topic: str | None) -> None:
    """Refuse a topic id the column cannot hold."""
    # PostgreSQL would refuse a longer value and SQLite would keep it: refuse it on both.
    if topic is not None and not 0 < len(topic) <= MAX_TOPIC_CHARS:
        raise ValueError(f"a topic id has 1 to {MAX_TOPIC_CHARS} characters")


def clip(text: str, limit: int) -> str:
    """Return ``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def storable(text: str) -> str:
    """``text`` as every database stores it: no NUL (PostgreSQL refuses it) and no lone
    surrogate (not UTF-8 at all), each replaced rather than the whole text refused."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
