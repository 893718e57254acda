"""The chat service, its state cache and the worker on a real SQLite store, at the seams
where timing matters."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.chat.memory import ChatMemory
from bot.chat.service import ChatService
from bot.conversation import Conversation
from bot.delivery.worker import DeliveryWorker, Limits
from bot.handlers.commands import EDITOR_COMMANDS, READER_COMMANDS
from bot.replies import (
    Action,
    ActionKind,
    Command,
    Display,
    Origin,
    Other,
    Press,
    ReplyKind,
    Text,
)
from bot.storage import ChatState, Storage
from bot.storage.records import Delivery
from bot.values import Following
from tests.conftest import ROOT

ADMIN = 77
READER = Origin(chat_id=1, user_id=1, language_code="en")


def actions(keyboard: Sequence[Sequence[object]]) -> list[Action]:
    return [button.action for row in keyboard for button in row]  # type: ignore[attr-defined]


async def test_every_command_the_handlers_register_has_an_answer(
    conversation: Conversation, store: Storage
) -> None:
    chats = ChatService(conversation, store, frozenset({ADMIN}))
    assert set(chats.commands) == set(READER_COMMANDS + EDITOR_COMMANDS)
    unknown = await chats.handle(READER, Command("nope"))
    assert unknown.text == conversation.content.text("unknown_command", "en")


async def test_one_door_answers_text_presses_commands_and_other_messages(
    conversation: Conversation, store: Storage
) -> None:
    chats = ChatService(conversation, store, frozenset())
    answer = await chats.handle(READER, Text("are there direct flights to Seoul?"))
    assert answer.topic == "direct_flights" and answer.display is Display.NEW
    assert Action(ActionKind.FOLLOW, "direct_flights") in actions(answer.keyboard)

    toggled = await chats.handle(
        READER, Press(Action(ActionKind.FOLLOW, "direct_flights"), answer.keyboard)
    )
    assert toggled.display is Display.BUTTONS and toggled.toast
    assert Action(ActionKind.UNFOLLOW, "direct_flights") in actions(toggled.keyboard)
    assert (await store.chats.following(1)).topics == {"direct_flights"}

    more = await chats.handle(READER, Press(Action(ActionKind.MORE, "direct_flights")))
    assert more.kind is ReplyKind.MORE and more.display is Display.REPLACE
    stale = await chats.handle(READER, Press(None))
    assert stale.toast and stale.kind is ReplyKind.NOTICE and stale.keyboard, "menu under it"
    assert (await chats.handle(READER, Other())).kind is ReplyKind.NOTICE

    chosen = await chats.handle(READER, Press(Action(ActionKind.LANGUAGE, "ru")))
    assert chosen.lang == "ru" and chosen.display is Display.REPLACE
    menu = await chats.handle(READER, Command("topics"))
    assert menu.lang == "ru", "the chat's /language choice wins over Telegram's"


async def test_a_bulletin_too_long_for_telegram_is_refused_before_queueing(
    conversation: Conversation, store: Storage
) -> None:
    chats = ChatService(conversation, store, frozenset({ADMIN}))
    editor = Origin(ADMIN, ADMIN, "en")
    await store.chats.follow(1, None, "en")
    long = "a&b " * 1020  # 4,080 characters
    reply = await chats.handle(editor, Command("publish", ("all",), f"all {long}"))
    assert reply.kind is ReplyKind.NOTICE and reply.text.startswith("✂️")
    assert (await store.stats()).bulletins == 0
    fine = await chats.handle(editor, Command("publish", ("all",), "all " + "a&b " * 100))
    assert fine.text.startswith("📣") and (await store.stats()).bulletins == 1
    refused = await chats.handle(READER, Command("publish", ("all",), "all hello"))
    assert refused.text == conversation.content.text("not_admin", "en")
    assert (await store.stats()).bulletins == 1


def test_the_cli_refuses_a_bulletin_too_long_for_telegram(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "publish", "--all", "x" * 4090],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={"BOT_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "too long" in result.stderr


async def test_the_state_cache_serves_fresh_states_and_reloads_stale_ones() -> None:
    now = [0.0]
    loads: list[int] = []

    async def load(chat_id: int) -> ChatState:
        loads.append(chat_id)
        return ChatState("en", Following())

    memory = ChatMemory(load, ttl=30.0, clock=lambda: now[0])
    await memory.state(1)
    await memory.state(1)
    assert loads == [1], "the second read is served from the cache"
    memory.changed(1, Following(all=True))
    assert (await memory.state(1)).following.all and loads == [1], "a change is written through"
    now[0] = 31.0
    await memory.state(1)
    assert loads == [1, 1], "past its TTL the state is read again"
    memory.changed(1)
    await memory.state(1)
    assert loads == [1, 1, 1], "forgetting a chat drops its cached state"


async def test_a_read_in_flight_does_not_overwrite_a_newer_change() -> None:
    release = asyncio.Event()
    stored = [ChatState(None, Following())]

    async def slow_load(chat_id: int) -> ChatState:
        state = stored[0]
        await release.wait()  # the read's result arrives only after the change below
        return state

    memory = ChatMemory(slow_load)
    reading = asyncio.create_task(memory.state(1))
    await asyncio.sleep(0.01)
    stored[0] = ChatState(None, Following(topics=frozenset({"direct_flights"})))
    memory.changed(1)
    release.set()
    assert not (await reading).following.topics, "the read in flight saw the old state"
    assert (await memory.state(1)).following.topics == {"direct_flights"}, "not cached over"


class FlakyOutbox:
    """The real outbox, whose first recording of sends fails."""

    def __init__(self, store: Storage) -> None:
        self._outbox = store.outbox
        self.failed = False
        self.claim = self._outbox.claim
        self.retry_later = self._outbox.retry_later
        self.mark_failed = self._outbox.mark_failed
        self.deactivate = self._outbox.deactivate
        self.release_expired = self._outbox.release_expired
        self.renew = self._outbox.renew

    async def mark_sent(self, delivery_ids: Sequence[int]) -> None:
        if delivery_ids and not self.failed:
            self.failed = True
            raise ConnectionError("database went away")
        await self._outbox.mark_sent(delivery_ids)


async def test_sends_whose_recording_failed_are_recorded_by_the_next_flush(store: Storage) -> None:
    await store.chats.follow(1, None, "en")
    await store.chats.follow(2, None, "en")
    await store.outbox.publish(None, "hello", None)
    sent: list[int] = []

    class Sender:
        async def send(self, chat_id: int, text: str) -> None:
            sent.append(chat_id)

    def render(delivery: Delivery) -> str:
        return delivery.text

    worker = DeliveryWorker(FlakyOutbox(store), Sender(), render, "w", Limits(rate=None))
    with pytest.raises(ConnectionError):
        await worker.run_once()
    assert sorted(sent) == [1, 2]
    await worker.run_once()  # nothing new to claim; the kept sends are recorded now
    assert sorted(sent) == [1, 2], "nothing is sent twice"
    stats = await store.stats()
    assert stats.deliveries["sent"] == 2  # type: ignore[index]


def test_chat_ignores_numbers_that_are_not_plain_digits() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="²\n٣\n\n", capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
