"""The subscriptions store on real databases: SQLite always, PostgreSQL when configured.

Every test runs against a fresh SQLite file and, when ``TEST_DATABASE_URL`` names a
PostgreSQL server, against a fresh database there (dropped afterwards). Nothing is mocked:
the tests go through ``Storage`` and look at the rows with plain SQL where the API does not
show them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata, produce_migrations, render_python_code
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Text, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage import (
    ChatState,
    Delivery,
    DeliveryStatus,
    Question,
    SchemaError,
    Storage,
    head,
    upgrade,
)
from bot.storage.schema import (
    ADVISORY_LOCK_KEY,
    alembic_config,
    migration_connection,
    render_item,
)
from bot.storage.tables import bulletins, chats, deliveries, follows, metadata, questions
from bot.values import Following
from tests.conftest import PG_URL, Database
from tests.release_0_1 import create_version_1, load_release_0_1

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- helpers


async def add_subscribers(
    store: Storage,
    chat_ids: Iterable[int],
    topic: str | None,
    *,
    active: bool = True,
) -> None:
    """Insert many subscribers at once (a loop of follow() would take minutes for 10,000)."""
    ids = list(chat_ids)
    async with store.db.engine.begin() as conn:
        await conn.execute(
            insert(chats),
            [
                {
                    "chat_id": chat_id,
                    "language": "en",
                    "follows_all": topic is None,
                    "active": active,
                    "created_at": NOW,
                }
                for chat_id in ids
            ],
        )
        if topic is not None:
            await conn.execute(
                insert(follows), [{"chat_id": chat_id, "topic": topic} for chat_id in ids]
            )


async def delivery_rows(store: Storage) -> dict[int, dict[str, Any]]:
    """Every delivery row by id, as plain dicts."""
    async with store.db.engine.connect() as conn:
        result = await conn.execute(select(deliveries).order_by(deliveries.c.id))
        return {row.id: dict(row._mapping) for row in result}


async def queued_chats(store: Storage, update_id: int) -> set[int]:
    """The chats an update has a delivery row for."""
    async with store.db.engine.connect() as conn:
        result = await conn.execute(
            select(deliveries.c.chat_id).where(deliveries.c.bulletin_id == update_id)
        )
        return set(result.scalars())


async def drain(store: Storage, worker: str, limit: int, now: datetime) -> list[Delivery]:
    """Claim until nothing is due, as a worker loop would."""
    claimed: list[Delivery] = []
    while batch := await store.outbox.claim(worker, limit, now=now):
        claimed.extend(batch)
        await asyncio.sleep(0)  # let the other claimers in between batches
    return claimed


# --------------------------------------------------------------------------- following


async def test_follow_and_unfollow_topics(store: Storage) -> None:
    """Following adds topics; unfollowing the last one leaves the chat following nothing."""
    assert await store.chats.follow(1, "direct_flights", "en") == Following(
        topics=frozenset({"direct_flights"})
    )
    assert await store.chats.follow(1, "tourism", "en") == Following(
        topics=frozenset({"direct_flights", "tourism"})
    )
    assert await store.chats.follow(1, "tourism", "en") == Following(
        topics=frozenset({"direct_flights", "tourism"})
    ), "following twice is harmless"
    assert await store.chats.following(1) == Following(
        topics=frozenset({"direct_flights", "tourism"})
    )

    assert await store.chats.unfollow(1, "direct_flights") == Following(
        topics=frozenset({"tourism"})
    )
    assert await store.chats.unfollow(1, "tourism") == Following()
    assert await store.chats.following(1) == Following()
    stats = await store.stats()
    assert (stats.active, stats.inactive) == (0, 1)


async def test_follow_all_and_unfollow_one_topic_keeps_all(store: Storage) -> None:
    """Documented choice: unfollowing a topic under "all" drops its row but keeps "all"."""
    await store.chats.follow(1, "direct_flights", "en")
    following = await store.chats.follow(1, None, "en")
    assert following == Following(all=True, topics=frozenset({"direct_flights"}))

    following = await store.chats.unfollow(1, "direct_flights")
    assert following == Following(all=True)
    assert following.covers("direct_flights"), "still reached through 'all'"
    assert (await store.stats()).active == 1

    assert await store.chats.unfollow(1, None) == Following()
    assert await store.chats.following(1) == Following()
    assert (await store.stats()).inactive == 1


async def test_follow_only_replaces_all_with_exactly_these_topics(store: Storage) -> None:
    await store.chats.set_language(1, "az")
    await store.chats.follow(1, None, "en")
    following = await store.chats.follow_only(1, ["tourism", "culture"], "en")
    assert following == Following(topics=frozenset({"tourism", "culture"}))
    assert not following.covers("direct_flights")
    assert (await store.chats.state(1)).language == "az", "the language choice is kept"
    assert (await store.stats()).active == 1
    assert await store.chats.follow_only(1, [], "en") == Following()
    assert (await store.stats()).inactive == 1


async def test_unfollow_all_clears_every_topic(store: Storage) -> None:
    """Unfollowing everything clears the topics too, so following again starts empty."""
    await store.chats.follow(1, "tourism", "en")
    await store.chats.follow(1, "culture", "en")
    assert await store.chats.unfollow(1, None) == Following()
    assert await store.chats.follow(1, "economy", "en") == Following(topics=frozenset({"economy"}))


async def test_unknown_chat_follows_nothing_and_is_not_created(store: Storage) -> None:
    """Reading or unfollowing an unknown chat stores nothing about it."""
    assert await store.chats.following(42) == Following()
    assert (await store.chats.state(42)).language is None
    assert await store.chats.unfollow(42, "tourism") == Following()
    assert await store.chats.unfollow(42, None) == Following()
    assert await store.chats.forget(42) is False
    stats = await store.stats()
    assert (stats.active, stats.inactive) == (0, 0)


async def test_following_again_after_deactivation_starts_afresh(store: Storage) -> None:
    """A chat that blocked the bot and comes back does not silently get its old topics back."""
    await store.chats.follow(1, "tourism", "en")
    await store.chats.follow(1, None, "en")
    await store.outbox.deactivate(1, "Forbidden: bot was blocked by the user")
    assert await store.chats.following(1) == Following()

    assert await store.chats.follow(1, "culture", "en") == Following(topics=frozenset({"culture"}))
    async with store.db.engine.connect() as conn:
        reason = (
            await conn.execute(select(chats.c.deactivated_reason).where(chats.c.chat_id == 1))
        ).scalar_one()
    assert reason is None, "reactivation clears the reason"


async def test_topic_ids_are_checked(store: Storage) -> None:
    """A topic id longer than the column is refused on every database alike."""
    with pytest.raises(ValueError, match="topic id"):
        await store.chats.follow(1, "x" * 33, "en")
    with pytest.raises(ValueError, match="topic id"):
        await store.outbox.publish("", "text", None)


# --------------------------------------------------------------------------- language


async def test_language_persists_across_reopen(database: Database) -> None:
    """/language is stored, survives a restart, and creates an inactive chat row."""
    store = await database.open()
    assert (await store.chats.state(7)).language is None
    await store.chats.set_language(7, "az")
    await store.chats.set_language(7, "ru")
    assert (await store.chats.state(7)).language == "ru"
    assert await store.chats.following(7) == Following()
    stats = await store.stats()
    assert (stats.active, stats.inactive) == (0, 1)
    await store.close()

    reopened = await database.open()
    assert (await reopened.chats.state(7)).language == "ru"


async def test_follow_language_fills_in_but_never_overrides_a_choice(store: Storage) -> None:
    """follow()'s language is kept only for chats without an explicit /language choice."""
    await store.chats.set_language(1, "az")
    await store.chats.follow(1, "tourism", "ru")
    assert (await store.chats.state(1)).language == "az"

    await store.chats.follow(2, "tourism", "ru")
    assert (await store.chats.state(2)).language == "ru"


# --------------------------------------------------------------------------- forget


async def test_forget_deletes_everything_about_the_chat(store: Storage) -> None:
    """/forget removes the chat row, its follows and its deliveries, and nobody else's."""
    await store.chats.follow(1, "tourism", "en")
    await store.chats.follow(2, "tourism", "en")
    published = await store.outbox.publish(
        "tourism", "Visa-free travel from May", author=1, now=NOW
    )
    assert published.queued == 2

    assert await store.chats.forget(1) is True
    assert (await store.chats.state(1)).language is None
    assert await store.chats.following(1) == Following()
    assert await queued_chats(store, published.bulletin_id) == {2}
    async with store.db.engine.connect() as conn:
        assert (
            await conn.execute(select(func.count()).where(chats.c.chat_id == 1))
        ).scalar_one() == 0
        assert (
            await conn.execute(select(func.count()).where(follows.c.chat_id == 1))
        ).scalar_one() == 0
        author = (
            await conn.execute(
                select(bulletins.c.author).where(bulletins.c.id == published.bulletin_id)
            )
        ).scalar_one()
    assert author is None, "the update stays (others got it) but forgets who wrote it"
    assert await store.chats.following(2) == Following(topics=frozenset({"tourism"}))
    assert await store.chats.forget(1) is False


# --------------------------------------------------------------------------- publish


async def test_publish_reaches_exactly_the_matching_chats(store: Storage) -> None:
    """A topic reaches its followers and "all"; None reaches every active chat."""
    await store.chats.follow(1, "direct_flights", "en")
    await store.chats.follow(2, "tourism", "az")
    await store.chats.follow(3, None, "ru")
    await store.chats.follow(4, "direct_flights", "en")
    await store.outbox.deactivate(4, "Forbidden: bot was blocked by the user")
    await store.chats.follow(5, "direct_flights", "en")
    await store.chats.unfollow(5, "direct_flights")
    await store.chats.set_language(6, "en")

    flights = await store.outbox.publish(
        "direct_flights", "Baku–Seoul flights from June", 99, now=NOW
    )
    assert flights.queued == 2
    assert await queued_chats(store, flights.bulletin_id) == {1, 3}

    everyone = await store.outbox.publish(None, "New interview next week", 99, now=NOW)
    assert everyone.queued == 3
    assert await queued_chats(store, everyone.bulletin_id) == {1, 2, 3}

    nobody = await store.outbox.publish("culture", "Korean film week", None, now=NOW)
    assert nobody.queued == 1, "only the chat following everything"
    assert await queued_chats(store, nobody.bulletin_id) == {3}

    claimed = await store.outbox.claim("w", 10, now=NOW)
    assert {(d.bulletin_id, d.chat_id) for d in claimed} == {
        (flights.bulletin_id, 1),
        (flights.bulletin_id, 3),
        (everyone.bulletin_id, 1),
        (everyone.bulletin_id, 2),
        (everyone.bulletin_id, 3),
        (nobody.bulletin_id, 3),
    }
    by_chat = {d.chat_id: d for d in claimed if d.bulletin_id == flights.bulletin_id}
    assert by_chat[1] == Delivery(
        id=by_chat[1].id,
        bulletin_id=flights.bulletin_id,
        chat_id=1,
        topic="direct_flights",
        text="Baku–Seoul flights from June",
        lang="en",
        attempts=0,
    )
    assert by_chat[3].lang == "ru"
    assert {d.topic for d in claimed if d.bulletin_id == everyone.bulletin_id} == {None}


async def test_publish_to_ten_thousand_subscribers(store: Storage) -> None:
    """One INSERT ... SELECT queues 10,000 deliveries (timing printed, not asserted)."""
    await add_subscribers(store, range(1, 10_001), "direct_flights")
    await add_subscribers(store, range(10_001, 10_501), "tourism")
    await add_subscribers(store, range(10_501, 11_001), "direct_flights", active=False)

    started = time.perf_counter()
    result = await store.outbox.publish("direct_flights", "Flights start on 1 June", None, now=NOW)
    elapsed = time.perf_counter() - started

    print(f"\npublish to 10,000 subscribers on {store.db.engine.dialect.name}: {elapsed:.3f}s")
    assert result.queued == 10_000
    chats_queued = await queued_chats(store, result.bulletin_id)
    assert chats_queued == set(range(1, 10_001))
    stats = await store.stats()
    assert stats.deliveries[DeliveryStatus.QUEUED] == 10_000


# --------------------------------------------------------------------------- claim


async def test_claim_takes_due_rows_oldest_first_and_only_once(store: Storage) -> None:
    """claim() moves rows to sending with its worker name; a second claim gets the rest."""
    await add_subscribers(store, range(1, 4), None)
    first = await store.outbox.publish(None, "first", None, now=NOW)
    second = await store.outbox.publish(None, "second", None, now=NOW + timedelta(seconds=1))

    assert await store.outbox.claim("w1", 10, now=NOW - timedelta(seconds=1)) == [], (
        "nothing due yet"
    )
    batch = await store.outbox.claim("w1", 4, now=NOW + timedelta(seconds=5))
    assert [d.bulletin_id for d in batch] == [first.bulletin_id] * 3 + [second.bulletin_id]
    rest = await store.outbox.claim("w2", 10, now=NOW + timedelta(seconds=5))
    assert [d.bulletin_id for d in rest] == [second.bulletin_id] * 2
    assert not {d.id for d in batch} & {d.id for d in rest}
    assert await store.outbox.claim("w3", 10, now=NOW + timedelta(seconds=5)) == []
    assert await store.outbox.claim("w3", 0, now=NOW) == []

    rows = await delivery_rows(store)
    assert {rows[d.id]["claimed_by"] for d in batch} == {"w1"}
    assert {rows[d.id]["claimed_by"] for d in rest} == {"w2"}
    assert {row["status"] for row in rows.values()} == {"sending"}
    assert {row["claimed_at"] for row in rows.values()} == {NOW + timedelta(seconds=5)}


async def test_two_stores_claiming_at_once_never_share_a_row(database: Database) -> None:
    """Two processes' worth of claimers (two Stores, three loops each) split the work exactly."""
    first = await database.open()
    second = await database.open()
    await add_subscribers(first, range(1, 401), None)
    published = await first.outbox.publish(None, "Broadcast", None, now=NOW)
    assert published.queued == 400

    batches = await asyncio.gather(
        *(
            drain(store, f"{name}-{loop}", 7, NOW)
            for name, store in (("a", first), ("b", second))
            for loop in range(3)
        )
    )

    ids = [d.id for batch in batches for d in batch]
    assert len(ids) == 400
    assert len(set(ids)) == 400, "a delivery was claimed twice"
    rows = await delivery_rows(first)
    for index, batch in enumerate(batches):
        worker = f"{'ab'[index // 3]}-{index % 3}"
        assert {rows[d.id]["claimed_by"] for d in batch} <= {worker}
    assert sum(1 for batch in batches if batch) >= 2, "the work was shared"


# PostgreSQL only: SKIP LOCKED is PostgreSQL's, and SQLite has one writer at a time.
@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set: PostgreSQL tests need a server")
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_claim_skips_rows_another_replica_is_claiming(database: Database) -> None:
    """PostgreSQL: rows locked by another transaction are skipped at once, not waited for."""
    store = await database.open()
    await add_subscribers(store, range(1, 11), None)
    await store.outbox.publish(None, "Broadcast", None, now=NOW)

    other = database.engine()
    async with other.connect() as conn, conn.begin():
        locked = (
            (
                await conn.execute(
                    select(deliveries.c.id).order_by(deliveries.c.id).limit(4).with_for_update()
                )
            )
            .scalars()
            .all()
        )
        claimed = await asyncio.wait_for(store.outbox.claim("w", 100, now=NOW), timeout=10)
    assert len(claimed) == 6
    assert not {d.id for d in claimed} & set(locked)


# --------------------------------------------------------------------------- outcomes


async def test_retry_later_is_honoured_by_claim(store: Storage) -> None:
    """A retried delivery comes back only once its delay is over, with the attempt counted."""
    await store.chats.follow(1, "tourism", "en")
    await store.outbox.publish("tourism", "News", None, now=NOW)
    (delivery,) = await store.outbox.claim("w", 10, now=NOW)

    await store.outbox.retry_later(delivery.id, 60, "TimedOut", now=NOW)
    row = (await delivery_rows(store))[delivery.id]
    assert (row["status"], row["attempts"], row["error"]) == ("queued", 1, "TimedOut")
    assert row["next_attempt_at"] == NOW + timedelta(seconds=60)
    assert row["claimed_by"] is None

    assert await store.outbox.claim("w", 10, now=NOW + timedelta(seconds=59)) == []
    (again,) = await store.outbox.claim("w", 10, now=NOW + timedelta(seconds=60))
    assert (again.id, again.attempts) == (delivery.id, 1)

    await store.outbox.mark_failed(again.id, "BadRequest: message is too long")
    row = (await delivery_rows(store))[delivery.id]
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert row["error"] == "BadRequest: message is too long"
    await store.outbox.retry_later(again.id, 0, "late retry", now=NOW)
    assert (await delivery_rows(store))[delivery.id]["status"] == "failed", "failed is final"

    with pytest.raises(ValueError, match="delay"):
        await store.outbox.retry_later(again.id, -1, "negative", now=NOW)


async def test_mark_sent_records_the_time(store: Storage) -> None:
    """mark_sent() is final: the row is sent, with its time, and never claimed again."""
    await store.chats.follow(1, "tourism", "en")
    await store.outbox.publish("tourism", "News", None, now=NOW)
    (delivery,) = await store.outbox.claim("w", 10, now=NOW)
    await store.outbox.mark_sent([delivery.id], now=NOW + timedelta(seconds=2))
    row = (await delivery_rows(store))[delivery.id]
    assert (row["status"], row["sent_at"]) == ("sent", NOW + timedelta(seconds=2))
    assert row["sent_at"].tzinfo is not None
    assert await store.outbox.claim("w", 10, now=NOW + timedelta(days=1)) == []
    assert await store.outbox.release_expired(0, now=NOW + timedelta(days=1)) == 0


async def test_deactivate_fails_pending_deliveries(store: Storage) -> None:
    """A blocked chat goes inactive; its queued and in-flight deliveries fail; sent ones stay."""
    await store.chats.follow(1, "tourism", "en")
    await store.chats.follow(2, "tourism", "en")
    await store.outbox.publish("tourism", "one", None, now=NOW)
    sent = [d for d in await store.outbox.claim("w", 10, now=NOW) if d.chat_id == 1]
    await store.outbox.mark_sent([sent[0].id], now=NOW)
    await store.outbox.publish("tourism", "two", None, now=NOW + timedelta(seconds=1))
    await store.outbox.publish("tourism", "three", None, now=NOW + timedelta(seconds=2))
    in_flight = await store.outbox.claim("w", 2, now=NOW + timedelta(seconds=3))
    assert [(d.chat_id, d.text) for d in in_flight] == [(1, "two"), (2, "two")]

    reason = "Forbidden: bot was blocked by the user"
    assert await store.outbox.deactivate(1, reason) == 2

    rows = [row for row in (await delivery_rows(store)).values() if row["chat_id"] == 1]
    assert sorted((row["status"], row["error"]) for row in rows) == [
        ("failed", reason),
        ("failed", reason),
        ("sent", None),
    ]
    assert all(
        d.chat_id == 2 for d in await store.outbox.claim("w", 10, now=NOW + timedelta(days=1))
    )
    assert await store.chats.following(1) == Following()
    later = await store.outbox.publish("tourism", "four", None, now=NOW + timedelta(days=2))
    assert await queued_chats(store, later.bulletin_id) == {2}
    async with store.db.engine.connect() as conn:
        stored = (
            await conn.execute(select(chats.c.deactivated_reason).where(chats.c.chat_id == 1))
        ).scalar_one()
    assert stored == reason


async def test_release_expired_requeues_stuck_deliveries(store: Storage) -> None:
    """Rows a dead worker left in sending go back to the queue once their lease is over."""
    await add_subscribers(store, range(1, 4), "tourism")
    await store.outbox.publish("tourism", "News", None, now=NOW)
    claimed = await store.outbox.claim("crashed", 10, now=NOW)
    await store.outbox.mark_sent([claimed[0].id], now=NOW)

    assert await store.outbox.release_expired(300, now=NOW + timedelta(seconds=299)) == 0
    assert await store.outbox.release_expired(300, now=NOW + timedelta(seconds=301)) == 2

    again = await store.outbox.claim("survivor", 10, now=NOW + timedelta(seconds=302))
    assert sorted(d.id for d in again) == sorted(d.id for d in claimed[1:])
    assert all(d.attempts == 0 for d in again), "a release is not a failed attempt"
    rows = await delivery_rows(store)
    assert rows[claimed[0].id]["status"] == "sent"
    assert {rows[d.id]["claimed_by"] for d in again} == {"survivor"}


async def test_a_renewed_lease_is_not_released_an_abandoned_one_is(store: Storage) -> None:
    """A living worker renews its rows' leases; only the dead worker's rows expire."""
    await add_subscribers(store, range(1, 5), "tourism")
    await store.outbox.publish("tourism", "News", None, now=NOW)
    alive = await store.outbox.claim("alive", 2, now=NOW)
    dead = await store.outbox.claim("dead", 2, now=NOW)

    assert await store.outbox.renew("alive", now=NOW + timedelta(seconds=8)) == 2
    assert await store.outbox.renew("nobody", now=NOW + timedelta(seconds=8)) == 0
    assert await store.outbox.release_expired(10, now=NOW + timedelta(seconds=12)) == 2

    rows = await delivery_rows(store)
    assert {rows[d.id]["status"] for d in alive} == {"sending"}
    assert {rows[d.id]["claimed_by"] for d in alive} == {"alive"}
    assert {rows[d.id]["status"] for d in dead} == {"queued"}
    await store.outbox.mark_sent([alive[0].id], now=NOW + timedelta(seconds=13))
    assert await store.outbox.renew("alive", now=NOW + timedelta(seconds=14)) == 1, (
        "a sent row is no longer leased"
    )


# --------------------------------------------------------------------------- questions


async def test_questions_keep_only_unanswered_texts_until_pruned(store: Storage) -> None:
    """Answered questions are counted without text; unanswered texts are clipped and pruned."""
    await store.questions.record([Question("direct_flights", "en", "when are the flights?", NOW)])
    await store.questions.record([Question(None, "ru", "какая погода?", NOW - timedelta(days=40))])
    await store.questions.record([Question(None, "en", "x" * 600, NOW - timedelta(days=1))])

    async with store.db.engine.connect() as conn:
        texts = dict((await conn.execute(select(questions.c.lang, questions.c.text))).all())
    assert len(texts["en"] or "") == 500
    async with store.db.engine.connect() as conn:
        answered = (
            await conn.execute(
                select(questions.c.text).where(questions.c.topic == "direct_flights")
            )
        ).scalar_one()
    assert answered is None, "answered questions are counted, not kept"

    assert await store.questions.prune(30, now=NOW) == 1
    assert await store.questions.prune(30, now=NOW) == 0
    stats = await store.stats()
    assert [q.text for q in stats.recent_questions] == ["x" * 499 + "…"]
    assert stats.questions == {None: 2, "direct_flights": 1}, "pruning keeps the counts"

    assert await store.questions.prune(0, now=NOW) == 1
    assert (await store.stats()).recent_questions == ()


# --------------------------------------------------------------------------- stats


async def test_stats_figures(store: Storage) -> None:
    """stats() counts subscribers, followers per topic, updates, deliveries and questions."""
    await store.chats.follow(1, "tourism", "en")
    await store.chats.follow(1, "culture", "en")
    await store.chats.follow(2, "tourism", "az")
    await store.chats.follow(3, None, "ru")
    await store.chats.follow(4, "tourism", "en")
    await store.outbox.deactivate(4, "Forbidden")
    await store.chats.set_language(5, "en")

    await store.outbox.publish("tourism", "one", None, now=NOW)
    claimed = await store.outbox.claim("w", 2, now=NOW)
    await store.outbox.mark_sent([claimed[0].id], now=NOW)
    await store.outbox.mark_failed(claimed[1].id, "BadRequest")
    await store.outbox.publish("culture", "two", None, now=NOW)
    for minute, (topic, text_) in enumerate(
        [("tourism", None), (None, "first"), (None, "second"), (None, "third")]
    ):
        await store.questions.record(
            [Question(topic, "en", text_, NOW + timedelta(minutes=minute))]
        )

    stats = await store.stats(recent=2)
    assert (stats.active, stats.inactive) == (3, 2)
    assert stats.follows_all == 1
    assert dict(stats.followers) == {"culture": 1, "tourism": 2}
    assert stats.bulletins == 2
    assert dict(stats.deliveries) == {
        DeliveryStatus.QUEUED: 3,
        DeliveryStatus.SENDING: 0,
        DeliveryStatus.SENT: 1,
        DeliveryStatus.FAILED: 1,
    }
    assert dict(stats.questions) == {None: 3, "tourism": 1}
    assert [(q.text, q.created_at) for q in stats.recent_questions] == [
        ("third", NOW + timedelta(minutes=3)),
        ("second", NOW + timedelta(minutes=2)),
    ]


async def test_stats_of_an_empty_database(store: Storage) -> None:
    """Every figure is zero (and every delivery status present) before anything happens."""
    stats = await store.stats()
    assert (stats.active, stats.inactive, stats.follows_all, stats.bulletins) == (0, 0, 0, 0)
    assert dict(stats.deliveries) == dict.fromkeys(DeliveryStatus, 0)
    assert (dict(stats.followers), dict(stats.questions), stats.recent_questions) == ({}, {}, ())


# --------------------------------------------------------------------------- schema


async def alembic_versions(engine: AsyncEngine) -> list[str]:
    """The rows of ``alembic_version``: one revision for a database Alembic keeps."""
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def schema_differences(engine: AsyncEngine) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``tables.metadata``."""
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
        )


async def test_revisions_are_one_line_of_numbered_ids() -> None:
    """Revisions run 0001, 0002, ... each on the one before, the last being the head."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(reversed(list(script.walk_revisions())))
    assert [r.revision for r in revisions] == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert [r.down_revision for r in revisions] == [None, *(r.revision for r in revisions[:-1])]
    assert script.get_heads() == [head()]


async def test_a_new_database_upgrades_to_the_head_and_matches_the_tables(
    database: Database,
) -> None:
    """The revisions build exactly the schema ``tables.py`` declares."""
    engine = database.engine()
    assert await upgrade(engine) == head()
    assert await alembic_versions(engine) == [head()]
    assert await schema_differences(engine) == []


async def test_opening_an_up_to_date_database_changes_nothing(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The second start-up finds the head revision and runs none."""
    store = await database.open()
    await store.chats.follow(1, "tourism", "en")
    await store.close()

    with caplog.at_level(logging.INFO):
        reopened = await database.open()
        assert await upgrade(reopened.db.engine) == head()
    assert not [r for r in caplog.records if "upgraded" in r.getMessage()]
    assert await reopened.chats.following(1) == Following(topics=frozenset({"tourism"}))
    assert await alembic_versions(reopened.db.engine) == [head()]


async def test_a_database_at_an_unknown_revision_is_refused(database: Database) -> None:
    """A database written by a later release fails fast instead of being misread."""
    store = await database.open()
    async with store.db.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    await store.close()
    with pytest.raises(SchemaError, match=r"9999.*upgrade the bot"):
        await database.open()


async def test_a_release_0_1_database_is_upgraded_in_place(database: Database) -> None:
    """Release 0.1's own database (tests/fixtures) keeps every row and works on."""
    await load_release_0_1(database.url)
    store = await database.open()
    assert await alembic_versions(store.db.engine) == [head()]
    assert await schema_differences(store.db.engine) == [], "schema_version gone, nothing else"

    assert await store.chats.state(101) == ChatState(
        "az", Following(topics=frozenset({"direct_flights", "tourism"}))
    )
    assert await store.chats.state(102) == ChatState("ru", Following(all=True))
    assert await store.chats.state(103) == ChatState("en", Following())
    assert await store.chats.state(104) == ChatState("en", Following())
    assert await store.chats.state(105) == ChatState(
        "en", Following(topics=frozenset({"culture", "tourism"}))
    )
    assert await store.chats.state(106) == ChatState("az", Following())
    async with store.db.engine.connect() as conn:
        reason = await conn.scalar(select(chats.c.deactivated_reason).where(chats.c.chat_id == 104))
    assert reason == "Forbidden: bot was blocked by the user"

    stats = await store.stats()
    assert (stats.active, stats.inactive, stats.follows_all, stats.bulletins) == (3, 3, 1, 2)
    assert dict(stats.followers) == {"culture": 1, "direct_flights": 1, "tourism": 2}
    assert dict(stats.deliveries) == {
        DeliveryStatus.QUEUED: 2,
        DeliveryStatus.SENDING: 0,
        DeliveryStatus.SENT: 5,
        DeliveryStatus.FAILED: 1,
    }
    assert dict(stats.questions) == {None: 4, "tourism": 2, "direct_flights": 1, "culture": 1}
    assert [(q.text, q.lang) for q in stats.recent_questions] == [
        ("Bakıda hava necədir?", "az"),
        ("Сколько стоит виза?", "ru"),
        ("What is the weather in Baku?", "en"),
    ]

    claimed = await store.outbox.claim("w", 10, now=NOW + timedelta(hours=1))
    assert [(d.chat_id, d.bulletin_id, d.lang, d.attempts) for d in claimed] == [
        (105, 2, "en", 0),
        (102, 2, "ru", 1),
    ]
    assert claimed[0].text == "Visa-free travel for tourists from April."
    await store.outbox.mark_sent([d.id for d in claimed], now=NOW + timedelta(hours=1))
    published = await store.outbox.publish(
        None, "After the upgrade", None, now=NOW + timedelta(hours=2)
    )
    assert (published.bulletin_id, published.queued) == (3, 3), "ids go on where they were"


@pytest.mark.parametrize("versioned", [True, False], ids=["version-1", "unversioned"])
async def test_a_version_1_database_is_upgraded_keeping_its_data(
    database: Database, versioned: bool
) -> None:
    """Release 0.1's version 1 (chats and follows), with or without ``schema_version``
    (the very first release had none), gets the version-2 tables and keeps its rows."""
    engine = database.engine()
    async with engine.begin() as conn:
        await create_version_1(conn, versioned=versioned)
        # Written the way that release did: its columns only, its defaults.
        await conn.execute(
            text(
                "INSERT INTO chats (chat_id, language, follows_all, active)"
                " VALUES (:chat_id, :language, :follows_all, :active)"
            ),
            [
                {"chat_id": 1, "language": "az", "follows_all": False, "active": True},
                {"chat_id": 2, "language": None, "follows_all": True, "active": True},
                {"chat_id": 3, "language": "ru", "follows_all": False, "active": False},
            ],
        )
        await conn.execute(
            text("INSERT INTO follows (chat_id, topic) VALUES (:chat_id, :topic)"),
            [
                {"chat_id": 1, "topic": "direct_flights"},
                {"chat_id": 1, "topic": "tourism"},
                {"chat_id": 3, "topic": "tourism"},
            ],
        )
    await engine.dispose()

    store = await database.open()
    assert await alembic_versions(store.db.engine) == [head()]
    assert await schema_differences(store.db.engine) == []
    async with store.db.engine.connect() as conn:
        created = await conn.scalar(select(chats.c.created_at).where(chats.c.chat_id == 1))
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)
    assert (await store.chats.state(1)).language == "az"
    assert (await store.chats.state(2)).language is None
    assert await store.chats.following(1) == Following(
        topics=frozenset({"direct_flights", "tourism"})
    )
    assert await store.chats.following(2) == Following(all=True)
    assert await store.chats.following(3) == Following()

    published = await store.outbox.publish("tourism", "Visa news", None, now=NOW)
    assert await queued_chats(store, published.bulletin_id) == {1, 2}
    (delivery, *_) = await store.outbox.claim("w", 10, now=NOW)
    await store.outbox.mark_sent([delivery.id], now=NOW)
    await store.outbox.deactivate(2, "Forbidden")
    await store.questions.record([Question(None, "en", "weather?", NOW)])
    stats = await store.stats()
    assert (stats.bulletins, stats.deliveries[DeliveryStatus.SENT]) == (1, 1)
    assert stats.deliveries[DeliveryStatus.FAILED] == 1


async def test_replicas_starting_together_upgrade_once(database: Database) -> None:
    """Several stores opening one new database at once all succeed; the schema is built once."""
    stores = await asyncio.gather(*(database.open() for _ in range(4)))
    assert await alembic_versions(stores[0].db.engine) == [head()]
    await stores[0].chats.follow(1, "tourism", "en")
    assert await stores[3].chats.following(1) == Following(topics=frozenset({"tourism"}))


async def test_upgrades_of_several_databases_in_one_process_take_turns(tmp_path: Path) -> None:
    """Alembic's migration context is process-wide: concurrent upgrades must not mix."""
    stores = await asyncio.gather(
        *(Storage.open(f"sqlite+aiosqlite:///{tmp_path / f'bot{n}.sqlite3'}") for n in range(3))
    )
    try:
        for store in stores:
            assert await alembic_versions(store.db.engine) == [head()]
    finally:
        for store in stores:
            await store.close()


async def test_an_upgrade_waits_for_the_schema_lock(database: Database) -> None:
    """The upgrade takes the schema lock first: PostgreSQL's advisory lock, SQLite's write lock."""
    holder = database.engine()
    async with holder.connect() as conn:
        if database.dialect == "postgresql":
            await conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        else:
            await conn.execute(text("SELECT 1"))  # in BEGIN IMMEDIATE: the write lock
        opening = asyncio.create_task(database.open())
        await asyncio.sleep(0.5)
        assert not opening.done(), "the upgrade went ahead without the lock"
        await conn.commit()
    store = await asyncio.wait_for(opening, timeout=10)
    assert await alembic_versions(store.db.engine) == [head()]


async def test_a_sqlite_table_rebuild_keeps_the_rows_that_refer_to_it(tmp_path: Path) -> None:
    """Batch mode rebuilds a SQLite table by copy, drop and rename; dropping ``chats`` with
    foreign keys on would cascade into ``follows``, so upgrades run with them off."""
    store = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}")
    try:
        await store.chats.follow(1, "tourism", "en")

        def rebuild_chats(sync: Any) -> None:
            operations = Operations(MigrationContext.configure(sync))
            with operations.batch_alter_table("chats", recreate="always") as batch:
                batch.add_column(Column("note", Text(), nullable=True))

        async with migration_connection(store.db.engine) as conn:
            await conn.run_sync(rebuild_chats)
        assert await store.chats.following(1) == Following(topics=frozenset({"tourism"}))
        async with store.db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one() == 1
    finally:
        await store.close()


async def test_autogenerate_writes_plain_types_into_revisions() -> None:
    """A revision autogenerated from ``tables.py`` does not import the bot's column types."""
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as conn:
            operations = await conn.run_sync(
                lambda sync: produce_migrations(MigrationContext.configure(sync), metadata)
            )
    finally:
        await engine.dispose()
    assert operations.upgrade_ops is not None
    code = render_python_code(operations.upgrade_ops, render_item=render_item)
    assert "sa.DateTime(timezone=True)" in code
    assert "bot." not in code and "UTCDateTime" not in code


def test_the_alembic_command_upgrades_and_reports(tmp_path: Path) -> None:
    """Operators' ``alembic upgrade head`` and ``alembic current`` read DATABASE_URL."""
    alembic = Path(sys.executable).parent / "alembic"
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"}
    for command, expected in (("upgrade", "Running upgrade  -> 0001"), ("current", "")):
        args = [str(alembic), command] + (["head"] if command == "upgrade" else [])
        result = subprocess.run(
            args, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stderr
    assert result.stdout.strip() == f"{head()} (head)"
    assert (tmp_path / "bot.sqlite3").is_file()


async def test_naive_times_are_refused(store: Storage) -> None:
    """A time without a zone is ambiguous; the store refuses it rather than guess."""
    with pytest.raises(ValueError, match="naive"):
        await store.outbox.publish(None, "text", None, now=datetime(2025, 1, 1))


# --------------------------------------------------------------------------- set-up


async def test_sqlite_file_is_created_with_wal_foreign_keys_and_busy_timeout(
    tmp_path: Path,
) -> None:
    """A new SQLite file gets its folder, WAL journal, foreign keys and a busy timeout."""
    path = tmp_path / "nested" / "state" / "bot.sqlite3"
    store = await Storage.open(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.is_file()
        async with store.db.engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas["journal_mode"] == "wal"
        assert pragmas["foreign_keys"] == 1
        assert pragmas["busy_timeout"] >= 1000
    finally:
        await store.close()


def test_subscriptions_never_import_telegram() -> None:
    """Importing storage must not pull in python-telegram-bot."""
    code = (
        "import sys, bot.storage\n"
        "loaded = sorted(m for m in sys.modules if m == 'telegram' or m.startswith('telegram.'))\n"
        "print(loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_chat_state_reads_language_and_following_together(store: Storage) -> None:
    assert await store.chats.state(5) == ChatState(None, Following())
    await store.chats.set_language(5, "ru")
    await store.chats.follow(5, "culture", "en")
    assert await store.chats.state(5) == ChatState("ru", Following(topics=frozenset({"culture"})))
    await store.outbox.deactivate(5, "blocked")
    assert await store.chats.state(5) == ChatState("ru", Following())


async def test_record_questions_counts_a_batch_and_keeps_only_unanswered_text(
    store: Storage,
) -> None:
    await store.questions.record(
        [
            Question("direct_flights", "en", "flights?", NOW),
            Question("direct_flights", "ru", "рейсы?", NOW),
            Question(None, "az", "hava necədir " * 100, NOW),
        ]
    )
    await store.questions.record([])
    stats = await store.stats()
    assert stats.questions == {"direct_flights": 2, None: 1}
    [recent] = stats.recent_questions
    assert recent.lang == "az" and len(recent.text) == 500


async def test_questions_with_unstorable_text_are_stored_cleaned(store: Storage) -> None:
    """A lone surrogate (not UTF-8) and a NUL (refused by PostgreSQL) never cost a batch."""
    await store.questions.record(
        [
            Question(None, "en", "weather \ud800 in baku?", NOW),
            Question(None, "ru", "погода\x00?", NOW),
            Question("tourism", "en", None, NOW),
        ]
    )
    stats = await store.stats()
    texts = sorted(question.text for question in stats.recent_questions)
    assert texts == ["weather ? in baku?", "погода\ufffd?"]
    assert stats.questions == {None: 2, "tourism": 1}
