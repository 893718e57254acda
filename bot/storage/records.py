"""What the store hands out: frozen records with no database objects inside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.values import Context, Following, Lang


class DeliveryStatus(StrEnum):
    """A delivery's state; the values are stored in ``deliveries.status``."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Outcome(StrEnum):
    """How a question was met; the values are stored in ``questions.outcome``."""

    ANSWERED = "answered"
    SUGGESTED = "suggested"  # a "did you mean" list of topics
    REFUSED = "refused"  # out of scope

    @staticmethod
    def by_topic(topic: str | None) -> Outcome:
        """A question whose outcome was not recorded: answered when it has a topic."""
        return Outcome.ANSWERED if topic else Outcome.REFUSED


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
    """A question to count: its topic (None: unanswered, text kept), language, time and
    outcome (None: read from the topic, answered or refused)."""

    topic: str | None
    lang: Lang
    text: str | None
    at: datetime
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Trends:
    """Figures per day for the charts, over ``days`` (oldest first, UTC dates).

    ``asked`` counts the questions per topic per day (None: out of scope), one number per
    day; ``outcomes`` counts the period's questions by outcome; ``subscribers`` is the number
    of chats subscribed at the end of each day, by when they first came (the store keeps no
    date of leaving, so a chat that left counts on no day).
    """

    days: tuple[date, ...]
    asked: Mapping[str | None, tuple[int, ...]]
    outcomes: Mapping[Outcome, int]
    subscribers: tuple[int, ...]
