"""What the store hands out: frozen records with no database objects inside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.values import Context, Following, Lang


class DeliveryStatus(StrEnum):
    """A delivery's state; the values are stored in ``deliveries.status``."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """One bulletin to send into one chat, as claimed by a worker."""

    id: int
    bulletin_id: int
    chat_id: int
    topic: str | None
    text: str
    lang: Lang | None
    attempts: int


@dataclass(frozen=True)
class Published:
    """A bulletin as it was published: its topic (None: everyone), text and time."""

    id: int
    topic: str | None
    text: str
    created_at: datetime


@dataclass(frozen=True)
class PublishResult:
    """The stored bulletin and how many deliveries it queued."""

    bulletin_id: int
    queued: int


@dataclass(frozen=True)
class RecentQuestion:
    """An unanswered (out-of-scope) question, kept until pruned."""

    text: str
    lang: Lang | None
    created_at: datetime


@dataclass(frozen=True)
class Stats:
    """Figures for ``stats``: subscribers, bulletins, deliveries and questions.

    ``active``/``inactive`` count chats; ``follows_all`` counts active chats following
    everything and ``followers`` active chats per followed topic (beyond "all").
    ``deliveries`` has every status, zeros included. ``questions`` counts every recorded
    question per topic, None meaning out of scope; ``recent_questions`` are the newest
    unanswered ones whose text has not been pruned yet.
    """

    active: int
    inactive: int
    follows_all: int
    followers: Mapping[str, int]
    bulletins: int
    deliveries: Mapping[DeliveryStatus, int]
    questions: Mapping[str | None, int]
    recent_questions: tuple[RecentQuestion, ...]


@dataclass(frozen=True)
class ChatState:
    """What the bot needs to answer a chat: its language choice, what it follows, and what
    it was last told (its context)."""

    language: Lang | None
    following: Following
    context: Context | None = None


@dataclass(frozen=True)
class Question:
    """A question to count: its topic (None: unanswered, text kept), language and time."""

    topic: str | None
    lang: Lang
    text: str | None
    at: datetime
