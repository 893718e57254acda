"""Subscriptions end to end: the real bot against the fake Bot API server over real HTTP.

Chat flows (``/subscribe``, ``/unsubscribe``, ``/subscriptions``, ``/forget``, the toggle
under an answer), editors' ``/publish`` and ``/stats``, ``python -m bot publish`` from the
shell, the delivery worker's limits and failure handling (rate, one message a second per
chat, ``RetryAfter``, 5xx, blocked and vanished chats), chat replies during a broadcast,
``kill -9`` mid-broadcast and a restart, three replicas on one PostgreSQL database (one
leader delivers), and a
version-1 database upgraded by the bot at start-up.

Every test runs on a fresh SQLite file and, when ``TEST_DATABASE_URL`` names a PostgreSQL
server, on a fresh PostgreSQL database created for the test and dropped afterwards (the
bot takes only a URL, so a database per test is the isolation that needs no code change).
Timing checks count messages in windows and gaps between messages; none asserts a speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import socket
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from bot import callback_data, markup
from bot.app import BotApplication, build_application
from bot.conversation import Conversation
from bot.delivery.sender import WORKER_CONNECTIONS
from bot.delivery.worker import FLUSH_SIZE
from bot.replies import Action, ActionKind
from bot.reports import format_stats
from bot.storage import DeliveryStatus, Storage, head
from bot.storage.database import create_engine
from bot.storage.tables import chats, deliveries, follows
from bot.values import Following, Lang
from testkit.fakebotapi import Call, FakeBotAPI
from tests.botharness import settings_for
from tests.conftest import ROOT, needs_postgresql
from tests.release_0_1 import create_version_1

ADMIN = 1001
USER = 2001
INTERVIEW_IDS = [
    "relations", "visits", "joint_commission", "economy", "liberated_territories",
    "middle_corridor", "direct_flights", "tourism", "education", "culture",
]  # fmt: skip
UPDATE_MARK = "🆕"  # every update message starts with it, no interactive reply does
# Sends in flight (WORKER_CONNECTIONS at once) plus sends made but not yet recorded
# (the worker records them in groups of at most FLUSH_SIZE): what a kill may repeat.
IN_FLIGHT_BOUND = WORKER_CONNECTIONS + FLUSH_SIZE


# --------------------------------------------------------------------------- databases


@contextlib.asynccontextmanager
async def opened(database_url: str) -> AsyncIterator[Storage]:
    store = await Storage.open(database_url)
    try:
        yield store
    finally:
        await store.close()


async def add_subscribers(
    store: Storage, chat_ids: Iterable[int], topic: str | None = None, lang: str = "en"
) -> list[int]:
    """Insert many active subscribers in one transaction (follow() in a loop is slower)."""
    ids = list(chat_ids)
    now = datetime.now(UTC)
    async with store.db.engine.begin() as conn:
        await conn.execute(
            insert(chats),
            [
                {
                    "chat_id": chat_id,
                    "language": lang,
                    "follows_all": topic is None,
                    "active": True,
                    "created_at": now,
                }
                for chat_id in ids
            ],
        )
        if topic is not None:
            await conn.execute(insert(follows), [{"chat_id": c, "topic": topic} for c in ids])
    return ids


async def delivery_rows(store: Storage) -> list[dict[str, Any]]:
    async with store.db.engine.connect() as conn:
        result = await conn.execute(select(deliveries).order_by(deliveries.c.id))
        return [dict(row._mapping) for row in result]


async def wait_drained(store: Storage, timeout: float = 20.0) -> dict[DeliveryStatus, int]:
    """Wait until no delivery is queued or being sent; return the counts per status."""
    deadline = time.monotonic() + timeout
    while True:
        counts = dict((await store.stats()).deliveries)
        if counts[DeliveryStatus.QUEUED] == 0 and counts[DeliveryStatus.SENDING] == 0:
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries still pending after {timeout:g} s: {counts}")
        await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- the bot


@contextlib.asynccontextmanager
async def bot(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, database_url: str, **env: str
) -> AsyncIterator[BotApplication]:
    """The real application in-process on ``database_url`` (ADMIN an editor), started as
    ``tests.botharness.running_bot`` does. Stopping goes through every step even when one
    fails (a crashed delivery worker re-raises its error from ``post_stop``), so a bot bug
    fails its test without leaking connections into the next ones."""
    settings = settings_for(
        server,
        tmp_path / "state",
        DATABASE_URL=database_url,
        BOT_ADMIN_IDS=str(ADMIN),
        **env,
    )
    application = build_application(settings, conversation)
    post_init, post_stop = application.post_init, application.post_stop
    post_shutdown = application.post_shutdown
    assert post_init is not None and post_stop is not None and post_shutdown is not None
    await application.initialize()
    await post_init(application)
    updater: Any = application.updater
    await updater.start_polling(poll_interval=0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        errors: list[BaseException] = []
        steps = (
            updater.stop,
            application.stop,
            lambda: post_stop(application),
            application.shutdown,
            lambda: post_shutdown(application),
        )
        for step in steps:
            try:
                await step()
            except Exception as exc:  # collected, the first re-raised below
                errors.append(exc)
        if errors and sys.exc_info()[1] is None:
            raise errors[0]


@pytest.fixture
async def app(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, database_url: str
) -> AsyncIterator[BotApplication]:
    async with bot(server, conversation, tmp_path, database_url) as application:
        yield application


def state_dir(tmp_path: Path, model_cache: Path, name: str = "state") -> Path:
    path = tmp_path / name
    path.mkdir()
    (path / "model").symlink_to(model_cache, target_is_directory=True)
    return path


# --------------------------------------------------------------------------- chatting


def say(conversation: Conversation, key: str, lang: Lang = "en", **fields: str) -> str:
    """An interface text as the content has it (tests do not pin the wording)."""
    return conversation.content.text(key, lang, **fields)


def title(conversation: Conversation, topic: str, lang: Lang = "en") -> str:
    found = conversation.title(topic, lang)
    assert found is not None
    return found


def buttons(call: Call) -> list[list[dict[str, Any]]]:
    keyboard = call.params.get("reply_markup") or {}
    rows: list[list[dict[str, Any]]] = keyboard.get("inline_keyboard", [])
    return rows


def actions(call: Call) -> list[Action]:
    return [
        callback_data.decode(b["callback_data"])
        for row in buttons(call)
        for b in row
        if "callback_data" in b  # not the share button
    ]


def toggle(call: Call, topic: str) -> tuple[str, Action]:
    """The subscribe toggle's label and action under an answer."""
    found = [
        (button["text"], action)
        for row in buttons(call)
        for button in row
        if "callback_data" in button
        and (action := callback_data.decode(button["callback_data"])).kind
        in (ActionKind.FOLLOW, ActionKind.UNFOLLOW)
        and action.arg == topic
    ]
    assert len(found) == 1, buttons(call)
    return found[0]


def without_toggle(call: Call) -> list[list[dict[str, Any]]]:
    return [
        [
            b
            for b in row
            if "callback_data" not in b
            or callback_data.decode(b["callback_data"]).kind
            not in (ActionKind.FOLLOW, ActionKind.UNFOLLOW)
        ]
        for row in buttons(call)
    ]


async def ask(server: FakeBotAPI, text: str, chat: int = USER, **kwargs: Any) -> str:
    """Send ``text`` as the user and return the text of the bot's reply."""
    return (await ask_call(server, text, chat, **kwargs)).params["text"]


async def ask_call(server: FakeBotAPI, text: str, chat: int = USER, **kwargs: Any) -> Call:
    before = len(server.sent(chat))
    server.user_sends(chat, text, **kwargs)
    return (await server.wait_sent(chat, count=before + 1))[before]


async def press(server: FakeBotAPI, message: Call, action: Action, chat: int = USER) -> Call:
    """Press a button of ``message`` (it must have it); wait for the callback answer and the
    one call that shows the result; return that answer (``answerCallbackQuery``)."""
    answered = len(server.answered_callbacks())
    before = len(server.sent(chat))
    data = callback_data.encode(action)
    server.user_presses(chat, message.result["message_id"], data, check_button=True)
    await server.wait_sent(chat, count=before + 1)
    await server.wait_for(lambda s: len(s.answered_callbacks()) > answered)
    return server.answered_callbacks()[answered]


def update_calls(server: FakeBotAPI, chat: int | None = None) -> list[Call]:
    """Every sendMessage of an update (whatever its outcome), in arrival order."""
    return [
        c
        for c in server.calls
        if c.method == "sendMessage"
        and (c.text or "").startswith(UPDATE_MARK)
        and (chat is None or c.chat_id == chat)
    ]


def delivered(server: FakeBotAPI, chat: int | None = None) -> list[Call]:
    """Updates that reached their chat."""
    return [c for c in update_calls(server, chat) if c.ok]


def copies(server: FakeBotAPI) -> Counter[int | str | None]:
    return Counter(c.chat_id for c in delivered(server))


def max_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most events in any half-open window of ``window`` seconds."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


# =========================================================================== chat side


async def test_subscribe_unsubscribe_and_subscriptions_in_each_state(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    none = say(conversation, "subscriptions_none")
    assert await ask(server, "/subscriptions") == none

    assert await ask(server, "/subscribe") == say(conversation, "followed_all")
    assert await store.chats.following(USER) == Following(all=True)
    assert await ask(server, "/subscriptions") == say(conversation, "subscriptions_all")

    assert await ask(server, "/unsubscribe") == say(conversation, "unfollowed_all")
    assert await store.chats.following(USER) == Following()
    assert await ask(server, "/subscriptions") == none

    flights, tourism = title(conversation, "direct_flights"), title(conversation, "tourism")
    reply = await ask(server, "/subscribe direct_flights")
    assert reply == say(conversation, "followed_topic", topic=flights)
    await ask(server, "/subscribe tourism")
    assert await ask(server, "/subscriptions") == say(
        conversation, "subscriptions_topics", topics=f"{flights}, {tourism}"
    ), "in the interview's order"

    for unknown in ("nope", "about"):  # "about" is a conversation topic, not an interview one
        call = await ask_call(server, f"/subscribe {unknown}")
        assert call.params["text"] == say(conversation, "unknown_topic", topic=unknown)
        assert [a.arg for a in actions(call)] == INTERVIEW_IDS, "the menu comes with it"
    call = await ask_call(server, "/subscribe <b>x")
    assert call.params["text"] == say(conversation, "unknown_topic", topic="&lt;b&gt;x"), "escaped"
    assert await store.chats.following(USER) == Following(
        topics=frozenset({"direct_flights", "tourism"})
    )

    reply = await ask(server, "/unsubscribe direct_flights")
    assert reply == say(conversation, "unfollowed_topic", topic=flights)
    reply = await ask(server, "/unsubscribe nope")
    assert reply == say(conversation, "unknown_topic", topic="nope")
    assert await ask(server, "/subscriptions") == say(
        conversation, "subscriptions_topics", topics=tourism
    )

    assert await ask(server, "/subscribe all") == say(conversation, "followed_all")
    assert await ask(server, "/subscriptions") == say(conversation, "subscriptions_all")
    assert await ask(server, "/unsubscribe all") == say(conversation, "unfollowed_all")
    assert await ask(server, "/subscriptions") == none
    stats = await store.stats()
    assert (stats.active, stats.inactive) == (0, 1), "kept as inactive until /forget"


async def test_forget_deletes_subscriptions_and_language(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    await ask(server, "/subscribe direct_flights")
    menu = await ask_call(server, "/language")
    await press(server, menu, Action(ActionKind.LANGUAGE, "az"))
    assert (await store.chats.state(USER)).language == "az"
    assert await ask(server, "/subscriptions") == say(
        conversation,
        "subscriptions_topics",
        "az",
        topics=title(conversation, "direct_flights", "az"),
    )

    assert await ask(server, "/forget") == say(conversation, "forgotten", "az")
    assert (await store.chats.state(USER)).language is None
    assert await store.chats.following(USER) == Following()
    assert await ask(server, "/subscriptions") == say(conversation, "subscriptions_none"), "English"
    stats = await store.stats()
    assert (stats.active, stats.inactive) == (0, 0), "no row is left about the chat"
    assert (await store.outbox.publish("direct_flights", "Flights", None)).queued == 0


async def test_the_toggle_under_an_answer_flips_and_edits_only_the_buttons(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    flights = title(conversation, "direct_flights")
    follow = (say(conversation, "button_follow"), Action(ActionKind.FOLLOW, "direct_flights"))
    unfollow = (say(conversation, "button_unfollow"), Action(ActionKind.UNFOLLOW, "direct_flights"))
    answer = await ask_call(server, "are there direct flights to Seoul?")
    assert toggle(answer, "direct_flights") == follow

    toast = await press(server, answer, follow[1])
    assert toast.ok
    assert toast.params["text"] == markup.to_plain(
        say(conversation, "followed_topic", topic=flights)
    )
    edit = server.sent(USER)[-1]
    assert edit.method == "editMessageReplyMarkup"
    assert edit.params["message_id"] == answer.result["message_id"]
    assert toggle(edit, "direct_flights") == unfollow
    assert without_toggle(edit) == without_toggle(answer), "the other buttons stay"
    assert await store.chats.following(USER) == Following(topics=frozenset({"direct_flights"}))

    toast = await press(server, edit, unfollow[1])
    assert toast.params["text"] == markup.to_plain(
        say(conversation, "unfollowed_topic", topic=flights)
    )
    back = server.sent(USER)[-1]
    assert back.method == "editMessageReplyMarkup"
    assert buttons(back) == buttons(answer), "flipped back to the original keyboard"
    assert await store.chats.following(USER) == Following()

    methods = [c.method for c in server.sent(USER)]
    assert methods == ["sendMessage", "editMessageReplyMarkup", "editMessageReplyMarkup"]
    assert len(server.answered_callbacks()) == 2
    assert all(c.ok for c in server.answered_callbacks())


async def test_stopping_one_topic_under_follow_all_keeps_the_others(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    await ask(server, "/subscribe")
    answer = await ask_call(server, "are there direct flights to Seoul?")
    label, action = toggle(answer, "direct_flights")
    assert (label, action.kind) == (say(conversation, "button_unfollow"), ActionKind.UNFOLLOW), (
        "all"
    )

    toast = await press(server, answer, action)
    flights = title(conversation, "direct_flights")
    assert toast.params["text"] == markup.to_plain(
        say(conversation, "unfollowed_topic", topic=flights)
    )
    assert toggle(server.sent(USER)[-1], "direct_flights")[0] == say(conversation, "button_follow")
    others = [t for t in INTERVIEW_IDS if t != "direct_flights"]
    assert await store.chats.following(USER) == Following(topics=frozenset(others))
    titles = ", ".join(title(conversation, t) for t in others)
    assert await ask(server, "/subscriptions") == say(
        conversation, "subscriptions_topics", topics=titles
    )
    assert (await store.outbox.publish("direct_flights", "Flights", None)).queued == 0
    assert (await store.outbox.publish("tourism", "Tours", None)).queued == 1


# =========================================================================== publishing


async def test_an_editors_publish_reaches_exactly_the_matching_subscribers_once(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    await store.chats.follow(2001, "direct_flights", "en")
    await store.chats.follow(2002, None, "ru")
    await store.chats.follow(2003, "tourism", "en")
    await store.chats.follow(2004, "direct_flights", "en")
    await store.outbox.deactivate(2004, "Forbidden: bot was blocked by the user")
    await store.chats.follow(2005, "direct_flights", "en")
    await store.chats.unfollow(2005, "direct_flights")
    await store.chats.set_language(2006, "az")
    await store.chats.follow(2007, "direct_flights", "az")
    await store.chats.follow(2007, "tourism", "az")

    reply = await ask(
        server, "/publish direct_flights Flights <b>from</b> June & more\nSecond line", ADMIN
    )
    flights = title(conversation, "direct_flights")
    assert reply == say(conversation, "published", count="3", topic=flights, update="1")
    counts = await wait_drained(store)
    assert counts[DeliveryStatus.SENT] == 3
    for lang in ("en", "az", "ru"):  # how the helpers here tell updates from replies
        assert say(conversation, "update_header", lang, topic=flights).startswith(UPDATE_MARK)
        assert say(conversation, "update_header_all", lang).startswith(UPDATE_MARK)
    body = "Flights &lt;b&gt;from&lt;/b&gt; June &amp; more\nSecond line"
    assert {c.chat_id: c.params["text"] for c in delivered(server)} == {
        chat: say(
            conversation, "update_header", lang, topic=title(conversation, "direct_flights", lang)
        )
        + f"\n\n{body}"
        for chat, lang in ((2001, "en"), (2002, "ru"), (2007, "az"))
    }
    assert all(c.ok for c in update_calls(server)), "nothing else was even tried"

    reply = await ask(server, "/publish all Everyone, hello", ADMIN)
    assert reply == say(conversation, "published", count="4", topic="all", update="2")
    await wait_drained(store)
    everyone = {c.chat_id: c.params["text"] for c in delivered(server) if "hello" in c.text}
    assert everyone == {
        chat: f"{say(conversation, 'update_header_all', lang)}\n\nEveryone, hello"
        for chat, lang in ((2001, "en"), (2002, "ru"), (2003, "en"), (2007, "az"))
    }
    assert copies(server) == Counter({2001: 2, 2002: 2, 2007: 2, 2003: 1})
    assert len(server.sent(ADMIN)) == 2, "the editor gets the confirmations, not the updates"


async def test_publish_is_refused_to_others_and_explains_its_usage(
    app: BotApplication,
    server: FakeBotAPI,
    store: Storage,
    conversation: Conversation,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await store.chats.follow(2001, None, "en")
    caplog.set_level(logging.WARNING, logger="bot.chats")

    assert await ask(server, "/publish all Hello", 3001) == say(conversation, "not_admin")
    assert any("Refused /publish from user 3001" in r.getMessage() for r in caplog.records)
    assert await ask(server, "/stats", 3001) == say(conversation, "not_admin")

    usage = say(conversation, "publish_usage", topics=", ".join(INTERVIEW_IDS))
    for command in (
        "/publish nope Hello",
        "/publish about Hello",
        "/publish direct_flights",
        "/publish direct_flights    ",
        "/publish",
    ):
        assert await ask(server, command, ADMIN) == usage, command

    stats = await store.stats()
    assert stats.bulletins == 0
    assert sum(stats.deliveries.values()) == 0
    await asyncio.sleep(0.6)  # longer than the worker's idle poll
    assert update_calls(server) == []


async def test_stats_shows_the_figures_to_editors(
    app: BotApplication, server: FakeBotAPI, store: Storage, conversation: Conversation
) -> None:
    await store.chats.follow(2001, "direct_flights", "en")
    await store.chats.follow(2002, "direct_flights", "en")
    await store.chats.follow(2003, None, "en")
    await store.chats.follow(2004, "tourism", "en")
    server.block(2004)
    await ask(server, "are there direct flights to Seoul?", 3001)
    await ask(server, "who won the champions league <yesterday>?", 3002)
    await store.outbox.publish(None, "Hello", ADMIN)
    await wait_drained(store)

    reply = await ask(server, "/stats", ADMIN)
    stats = await store.stats()
    assert (stats.active, stats.inactive, stats.follows_all) == (3, 1, 1)
    assert dict(stats.followers) == {"direct_flights": 2}
    assert stats.bulletins == 1
    assert stats.deliveries == {
        DeliveryStatus.QUEUED: 0,
        DeliveryStatus.SENDING: 0,
        DeliveryStatus.SENT: 3,
        DeliveryStatus.FAILED: 1,
    }
    assert dict(stats.questions) == {"direct_flights": 1, None: 1}
    assert reply == format_stats(stats, conversation.content, "en", html=True)
    assert "queued 0, sending 0, sent 3, failed 1" in reply
    assert "direct_flights 2" in reply and "out_of_scope 1" in reply
    assert "who won the champions league &lt;yesterday&gt;?" in reply


async def test_stats_sends_editors_a_chart_photo_after_the_figures(
    app: BotApplication, server: FakeBotAPI, store: Storage
) -> None:
    await store.chats.follow(2001, None, "en")
    await ask(server, "are there direct flights to Seoul?", 3001)
    await ask(server, "who won the champions league yesterday?", 3002)

    await ask(server, "/stats", ADMIN)
    [photo] = await server.wait_sent(ADMIN, method="sendPhoto")
    assert [call.method for call in server.sent(ADMIN)] == ["sendMessage", "sendPhoto"]
    data = photo.photo
    assert data is not None and data.startswith(b"\x89PNG\r\n\x1a\n")
    assert 10_000 < len(data) < 1_000_000
    sent = photo.result["photo"][0]
    assert (sent["width"], sent["height"], sent["file_size"]) == (1200, 800, len(data))
    assert not server.sent(3001, method="sendPhoto"), "readers get no charts"


async def test_cli_publish_queues_and_the_running_bot_delivers(
    app: BotApplication,
    server: FakeBotAPI,
    store: Storage,
    conversation: Conversation,
    database_url: str,
    tmp_path: Path,
) -> None:
    await store.chats.follow(2001, "direct_flights", "en")
    await store.chats.follow(2002, None, "en")
    await store.chats.follow(2003, "tourism", "en")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env |= {"DATABASE_URL": database_url, "BOT_STATE_DIR": str(tmp_path / "cli")}

    async def cli(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    status, out, err = await cli("publish", "--topic", "direct_flights", "Baku–Seoul", "<soon>")
    assert status == 0, err
    assert out.startswith("queued update #1 for 2 subscribers (direct_flights)"), out
    await server.wait_for(lambda s: len(delivered(s)) == 2)
    assert sorted(c.chat_id for c in delivered(server)) == [2001, 2002]
    header = say(conversation, "update_header", topic=title(conversation, "direct_flights"))
    assert delivered(server, 2001)[0].params["text"] == f"{header}\n\nBaku–Seoul &lt;soon&gt;"

    status, _, err = await cli("publish", "--topic", "nope", "text")
    assert status == 2 and "unknown topic 'nope'" in err
    await wait_drained(store)
    status, out, err = await cli("stats")
    assert status == 0, err
    assert "queued 0, sending 0, sent 2, failed 0" in out
    assert update_calls(server, 2003) == []


# =========================================================================== delivery limits


async def test_a_broadcast_stays_under_the_overall_rate(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    """75 subscribers at BOT_DELIVERY_RATE=25: no 1-second window holds more than ~25."""
    subscribers = await add_subscribers(store, range(100_001, 100_076))
    await store.outbox.publish(None, "Broadcast", ADMIN)
    async with bot(server, conversation, tmp_path, database_url, BOT_DELIVERY_RATE="25"):
        await server.wait_for(lambda s: len(delivered(s)) == len(subscribers), timeout=20)
    times = [c.at for c in delivered(server)]
    busiest = max_in_window(times)
    span = max(times) - min(times)
    print(f"\n75 deliveries in {span:.2f} s; busiest 1-second window: {busiest}")
    assert sorted(copies(server)) == subscribers and set(copies(server).values()) == {1}
    assert busiest <= 25 + 2, f"{busiest} messages in one second (limit 25)"


async def test_updates_into_one_chat_are_a_second_apart(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    """A broadcast followed by a topic update: the chats getting both get them a second
    apart (0.9 s allows for timing noise), even while the overall limiter is busy."""
    others = await add_subscribers(store, range(100_001, 100_026), "tourism")
    both = await add_subscribers(store, range(200_001, 200_005))  # follow everything
    await store.outbox.publish(None, "First, to everyone", ADMIN)
    await store.outbox.publish("direct_flights", "Second, on flights", ADMIN)
    async with bot(server, conversation, tmp_path, database_url, BOT_DELIVERY_RATE="25"):
        await server.wait_for(
            lambda s: len(delivered(s)) == len(others) + 2 * len(both), timeout=20
        )
    gaps = {}
    for chat in both:
        times = [c.at for c in delivered(server, chat)]
        assert len(times) == 2
        gaps[chat] = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    print(f"\ngaps between updates into one chat: {gaps}")
    assert min(min(g) for g in gaps.values()) >= 0.9, gaps


async def test_retry_after_pauses_all_sends_then_the_delivery_is_retried(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    subscribers = await add_subscribers(store, range(100_001, 100_041))
    await store.outbox.publish(None, "Broadcast", ADMIN)
    async with bot(server, conversation, tmp_path, database_url, BOT_DELIVERY_RATE="25"):
        # Mid-broadcast, with the limiter busy: Telegram says "retry after 2".
        await server.wait_for(lambda s: len(update_calls(s)) >= 30, timeout=10)
        server.fail("sendMessage", status=429, retry_after=2)
        await server.wait_for(lambda s: len(delivered(s)) == len(subscribers), timeout=20)
        await wait_drained(store)
    [flooded] = [c for c in update_calls(server) if c.status == 429]
    assert flooded.done_at is not None
    pause_from, pause_to = flooded.done_at + 0.1, flooded.done_at + 1.9
    during = [round(c.at - flooded.done_at, 3) for c in update_calls(server)
              if pause_from < c.at < pause_to]  # fmt: skip
    print(f"\nsendMessage calls during the 2 s pause (seconds after the 429): {during}")
    assert during == [], "the worker kept sending while Telegram asked it to wait"
    assert len(delivered(server, flooded.chat_id)) == 1, "retried, and delivered once"
    assert sorted(copies(server)) == subscribers and set(copies(server).values()) == {1}
    [row] = [r for r in await delivery_rows(store) if r["chat_id"] == flooded.chat_id]
    assert (row["status"], row["attempts"]) == ("sent", 1)


async def test_server_errors_are_retried_with_backoff(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    subscribers = await add_subscribers(store, range(100_001, 100_004))
    server.fail("sendMessage", status=500)
    server.fail("sendMessage", status=502)
    await store.outbox.publish(None, "Broadcast", ADMIN)
    async with bot(server, conversation, tmp_path, database_url):
        await server.wait_for(lambda s: len(delivered(s)) == len(subscribers), timeout=15)
        await wait_drained(store)
    failed = [c for c in update_calls(server) if not c.ok]
    assert sorted(c.status for c in failed) == [500, 502]
    for failure in failed:
        [retry] = delivered(server, failure.chat_id)
        assert failure.done_at is not None
        assert retry.at - failure.done_at >= 1.5, "retried after a backoff, not at once"
    assert set(copies(server).values()) == {1}
    rows = {r["chat_id"]: r for r in await delivery_rows(store)}
    assert {r["status"] for r in rows.values()} == {"sent"}
    assert sorted(r["attempts"] for r in rows.values()) == [0, 1, 1]


@pytest.mark.parametrize("fault", ["blocked", "chat not found"])
async def test_a_chat_that_is_gone_is_deactivated_and_never_sent_to_again(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
    fault: str,
) -> None:
    victim = 2002
    await store.chats.follow(victim, None, "en")
    if fault == "blocked":
        server.block(victim)
    else:
        server.fail("sendMessage", status=400, description="Bad Request: chat not found")
    async with bot(server, conversation, tmp_path, database_url):
        await store.outbox.publish(None, "First", ADMIN)
        await wait_drained(store)
        [attempt] = update_calls(server, victim)
        assert attempt.status == (403 if fault == "blocked" else 400)
        stats = await store.stats()
        assert (stats.active, stats.inactive) == (0, 1)
        assert stats.deliveries[DeliveryStatus.FAILED] == 1

        await store.chats.follow(2001, None, "en")
        await store.chats.follow(2003, "direct_flights", "en")
        assert (await store.outbox.publish("direct_flights", "Second", ADMIN)).queued == 2
        await wait_drained(store)
        await asyncio.sleep(0.6)  # an idle poll of the worker: nothing more goes out
    assert len(update_calls(server, victim)) == 1, "never tried again"
    assert sorted(c.chat_id for c in delivered(server)) == [2001, 2003]
    assert (await store.stats()).inactive == 1


async def test_a_message_the_api_refuses_fails_that_delivery_only(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    """A 400 that is not about the chat (here: a parse error) must not stop the worker."""
    await store.chats.follow(2001, None, "en")
    server.fail("sendMessage", status=400, description="Bad Request: can't parse entities")
    async with bot(server, conversation, tmp_path, database_url):
        await store.outbox.publish(None, "First", ADMIN)
        await server.wait_for(lambda s: len(update_calls(s)) == 1)
        await store.chats.follow(2002, None, "en")
        await store.outbox.publish(None, "Second", ADMIN)
        await server.wait_for(lambda s: len(delivered(s)) == 2, timeout=3)
        await wait_drained(store, timeout=3)
    [first] = [r for r in await delivery_rows(store) if r["bulletin_id"] == 1]
    assert first["status"] == "failed"
    assert sorted(c.chat_id for c in delivered(server)) == [2001, 2002]
    assert (await store.stats()).active == 2, "the chat itself is fine"


# =========================================================================== priorities


async def test_chat_replies_go_ahead_of_a_broadcast(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    database_url: str,
    store: Storage,
) -> None:
    subscribers = await add_subscribers(store, range(100_001, 100_201))
    await store.outbox.publish(None, "Broadcast", ADMIN)
    async with bot(server, conversation, tmp_path, database_url, BOT_DELIVERY_RATE="25"):
        await server.wait_for(lambda s: len(delivered(s)) >= 30, timeout=10)
        asked = time.monotonic()
        answers = await asyncio.gather(
            ask(server, "are there direct flights to Seoul?", 3001),
            ask(server, "/subscriptions", 3002),
            ask(server, "king sejong institute", 3003),
        )
        waited = time.monotonic() - asked
        sent_by_then = len(delivered(server))
    print(f"\nanswers in {waited * 1000:.0f} ms, {sent_by_then} of 200 updates out by then")
    assert answers[0].startswith(f"<b>{title(conversation, 'direct_flights')}</b>")
    assert answers[1] == say(conversation, "subscriptions_none")
    assert answers[2].startswith(f"<b>{title(conversation, 'culture')}</b>")
    assert sent_by_then < len(subscribers) - 100, "answered while the broadcast was going on"


# =========================================================================== processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class BotProcess:
    """``python -m bot run`` as an operator starts it, its output in a file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    @classmethod
    async def start(cls, server: FakeBotAPI, state: Path, name: str, **env: str) -> BotProcess:
        environment = dict(
            os.environ,
            BOT_TOKEN=server.token,
            BOT_API_BASE_URL=server.base_url,
            BOT_STATE_DIR=str(state),
            BOT_ADMIN_IDS=str(ADMIN),
            **env,
        )
        log = state.parent / f"{name}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run",
                cwd=ROOT, env=environment, stdout=out, stderr=out,
            )  # fmt: skip
        return cls(process, log)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM, as an orchestrator stops it; return the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            await self.kill()
            raise


@contextlib.asynccontextmanager
async def processes() -> AsyncIterator[list[BotProcess]]:
    """Bot processes started in the block; any still running at the end is killed."""
    started: list[BotProcess] = []
    try:
        yield started
    finally:
        for process in started:
            await process.kill()


async def test_kill_9_mid_broadcast_then_restart_loses_nothing(
    server: FakeBotAPI, tmp_path: Path, database_url: str, store: Storage, model_cache: Path
) -> None:
    subscribers = await add_subscribers(store, range(100_001, 100_151))
    assert (await store.outbox.publish(None, "Broadcast", ADMIN)).queued == 150
    state = state_dir(tmp_path, model_cache)
    env = {"DATABASE_URL": database_url}  # the default rate and lease
    async with processes() as running:
        first = await BotProcess.start(server, state, "first", **env)
        running.append(first)
        await server.wait_for(lambda s: len(update_calls(s)) >= 40, timeout=30)
        await first.kill()
        at_kill = len(delivered(server))
        assert at_kill < len(subscribers), "killed mid-broadcast"

        restarted = time.monotonic()
        second = await BotProcess.start(server, state, "second", **env)
        running.append(second)
        # The dead worker's leases run out (10 s) and are released within a renewal (2.5 s)
        # of that; the last ~100 sends take 4 s more at 25/s.
        await server.wait_for(lambda s: set(copies(s)) == set(subscribers), timeout=20)
        served_in = time.monotonic() - restarted
        counts = await wait_drained(store, timeout=10)
        assert await second.stop() == 0, second.output()

    got = copies(server)
    lost = [chat for chat in subscribers if got[chat] == 0]
    duplicates = sum(n - 1 for n in got.values())
    print(
        f"\nkill -9 after {at_kill} deliveries on {store.db.engine.dialect.name}: "
        f"every subscriber served {served_in:.1f} s after the restart, "
        f"{len(lost)} lost, {duplicates} duplicated (bound: {IN_FLIGHT_BOUND} in flight)"
    )
    assert lost == []
    assert duplicates <= IN_FLIGHT_BOUND, f"{duplicates} duplicates: {got.most_common(10)}"
    assert counts[DeliveryStatus.SENT] == len(subscribers)
    assert "Traceback" not in second.output()


async def start_replicas(
    running: list[BotProcess], server: FakeBotAPI, tmp_path: Path, model_cache: Path, url: str
) -> None:
    """Three ``python -m bot run`` replicas in webhook mode (the documented way to run
    several), default settings, started together on one database."""
    for name in ("one", "two", "three"):
        port = free_port()
        process = await BotProcess.start(
            server,
            state_dir(tmp_path, model_cache, name),
            name,
            DATABASE_URL=url,
            BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
            BOT_WEBHOOK_SECRET="replica-secret",
            BOT_PORT=str(port),
        )
        running.append(process)
    await server.wait_for(lambda s: sum(c.method == "setWebhook" for c in s.calls) == 3, timeout=30)


@needs_postgresql
async def test_replicas_deliver_at_one_rate_through_one_leader_and_another_takes_over(
    server: FakeBotAPI, tmp_path: Path, pg_database_url: str, model_cache: Path
) -> None:
    """Three replicas on one PostgreSQL with default settings: one of them (the leader)
    delivers a 120-subscriber update, at the one rate of the bot; when it stops, another
    replica delivers the next update."""
    async with processes() as running:
        await start_replicas(running, server, tmp_path, model_cache, pg_database_url)
        store = await Storage.open(pg_database_url)
        try:
            async with store.db.engine.connect() as conn:
                revisions = (await conn.execute(text("SELECT * FROM alembic_version"))).all()
            assert revisions == [(head(),)], "the schema was built once, to the head"
            subscribers = await add_subscribers(store, range(100_001, 100_121))
            assert (await store.outbox.publish(None, "First", ADMIN)).queued == 120
            await server.wait_for(lambda s: set(copies(s)) == set(subscribers), timeout=30)
            await wait_drained(store, timeout=10)
            first_rows = await delivery_rows(store)
            times = [c.at for c in delivered(server)]

            leaders = {row["claimed_by"] for row in first_rows}
            assert len(leaders) == 1, f"one replica delivers, not {leaders}"
            leader_pid = int(next(iter(leaders)).rsplit(":", 1)[1])
            leader = next(p for p in running if p.process.pid == leader_pid)
            assert await leader.stop() == 0, leader.output()[-3000:]

            published = time.monotonic()
            assert (await store.outbox.publish(None, "Second", ADMIN)).queued == 120
            await server.wait_for(lambda s: len(delivered(s)) == 240, timeout=30)
            taken_over_in = time.monotonic() - published
            await wait_drained(store, timeout=10)
            second_rows = [r for r in await delivery_rows(store) if r["bulletin_id"] == 2]
        finally:
            await store.close()
        statuses = [await process.stop() for process in running if process is not leader]

    busiest = max_in_window(times)
    new_leaders = {row["claimed_by"] for row in second_rows}
    print(
        f"\nthree replicas: one leader, busiest second {busiest} messages, "
        f"{len(times) / (max(times) - min(times)):.1f}/s overall; after the leader stopped the "
        f"next update was delivered in {taken_over_in:.1f} s by {new_leaders}"
    )
    assert busiest <= 27, f"{busiest} messages in one second across replicas"
    assert Counter(copies(server).values()) == {2: 120}, "each subscriber got each update once"
    assert len(new_leaders) == 1 and new_leaders != leaders, "another replica took over"
    assert statuses == [0, 0]
    for process in running:
        output = process.output()
        assert "Traceback" not in output and " ERROR " not in output, output[-3000:]


# =========================================================================== schema upgrade


async def test_a_version_1_database_is_upgraded_when_the_bot_starts(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, database_url: str
) -> None:
    old = create_engine(database_url)
    try:
        async with old.begin() as conn:
            await create_version_1(conn)
            for chat_id, language, follows_all, active in (
                (2001, "az", False, True),
                (2002, "ru", True, True),
                (2003, "en", False, False),
                (2004, "ru", False, False),  # only a /language choice
            ):
                await conn.execute(
                    text(
                        "INSERT INTO chats (chat_id, language, follows_all, active) "
                        "VALUES (:chat_id, :language, :follows_all, :active)"
                    ),
                    {
                        "chat_id": chat_id,
                        "language": language,
                        "follows_all": follows_all,
                        "active": active,
                    },
                )
            for chat_id, topic in ((2001, "direct_flights"), (2001, "tourism"), (2003, "culture")):
                await conn.execute(
                    text("INSERT INTO follows (chat_id, topic) VALUES (:chat_id, :topic)"),
                    {"chat_id": chat_id, "topic": topic},
                )
    finally:
        await old.dispose()

    async with bot(server, conversation, tmp_path, database_url):
        # Telegram says English for everyone; the stored choices win.
        topics = (
            f"{title(conversation, 'direct_flights', 'az')}, {title(conversation, 'tourism', 'az')}"
        )
        assert await ask(server, "/subscriptions", 2001) == say(
            conversation, "subscriptions_topics", "az", topics=topics
        )
        assert await ask(server, "/subscriptions", 2002) == say(
            conversation, "subscriptions_all", "ru"
        )
        assert await ask(server, "/subscriptions", 2003) == say(
            conversation, "subscriptions_none", "en"
        )
        assert (await ask(server, "/topics", 2004)) == say(conversation, "menu_header", "ru")

        reply = await ask(server, "/stats", ADMIN)
        async with opened(database_url) as store:
            stats = await store.stats()
        assert (stats.active, stats.inactive, stats.follows_all) == (2, 2, 1)
        assert dict(stats.followers) == {"direct_flights": 1, "tourism": 1}
        assert reply == format_stats(stats, conversation.content, "en", html=True)

        reply = await ask(server, "/publish direct_flights Flights from June", ADMIN)
        assert reply == say(
            conversation,
            "published",
            count="2",
            topic=title(conversation, "direct_flights"),
            update="1",
        )
        await server.wait_for(lambda s: len(delivered(s)) == 2)
    headers = {c.chat_id: c.params["text"].splitlines()[0] for c in delivered(server)}
    assert headers == {
        chat: say(
            conversation, "update_header", lang, topic=title(conversation, "direct_flights", lang)
        )
        for chat, lang in ((2001, "az"), (2002, "ru"))
    }
    check = create_engine(database_url)
    try:
        async with check.connect() as conn:
            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one()
    finally:
        await check.dispose()
    assert revision == head()
