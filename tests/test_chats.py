"""The chat service and the worker on a real SQLite store, at the seams where timing matters."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest

from bot.chats import ChatService
from bot.conversation import Action, ActionKind, Conversation, ReplyKind
from bot.delivery.worker import DeliveryWorker, Limits
from bot.storage import ChatState, Store
from bot.storage.records import Delivery
from bot.values import Following
from tests.conftest import ROOT

ADMIN = 77


async def test_an_update_too_long_for_telegram_is_refused_before_queueing(
    engine: Conversation, store: Store
) -> None:
    chats = ChatService(engine, store, frozenset({ADMIN}))
    await store.follow(1, None, "en")
    reply = await chats.publish(ADMIN, ["all"], "a&b " * 1020, "en")  # 4,080 characters
    assert reply.kind is ReplyKind.NOTICE and reply.text.startswith("✂️")
    assert (await store.stats()).updates == 0
    fine = await chats.publish(ADMIN, ["all"], "a&b " * 100, "en")
    assert fine.text.startswith("📣") and (await store.stats()).updates == 1


def test_the_cli_refuses_an_update_too_long_for_telegram(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "publish", "--all", "x" * 4090],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={"BOT_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 2
    assert "too long" in result.stderr


async def test_a_read_in_flight_does_not_overwrite_a_newer_change(
    engine: Conversation, store: Store
) -> None:
    release = asyncio.Event()

    class SlowReads(Store):
        async def chat_state(self, chat_id: int) -> ChatState:
            state = await super().chat_state(chat_id)
            await release.wait()  # the read's result arrives only after the change below
            return state

    slow = SlowReads(store.engine)
    chats = ChatService(engine, slow, frozenset())
    reading = asyncio.create_task(chats.ask(1, "are there direct flights?", "en"))
    await asyncio.sleep(0.05)
    keyboard = engine.ask("are there direct flights?", "en", Following()).keyboard
    await chats.press(1, Action(ActionKind.FOLLOW, "direct_flights"), "en", keyboard)
    release.set()
    await reading
    after = await chats.ask(1, "are there direct flights?", "en")
    actions = [button.action for row in after.keyboard for button in row]
    assert Action(ActionKind.UNFOLLOW, "direct_flights") in actions


async def test_sends_whose_recording_failed_are_recorded_by_the_next_flush(store: Store) -> None:
    await store.follow(1, None, "en")
    await store.follow(2, None, "en")
    await store.publish(None, "hello", None)
    sent: list[int] = []

    class Sender:
        async def send(self, chat_id: int, text: str) -> None:
            sent.append(chat_id)

    class FlakyOnce(Store):
        failed = False

        async def mark_sent_many(
            self, delivery_ids: Sequence[int], now: datetime | None = None
        ) -> None:
            if delivery_ids and not FlakyOnce.failed:
                FlakyOnce.failed = True
                raise ConnectionError("database went away")
            await super().mark_sent_many(delivery_ids, now)

    def render(delivery: Delivery) -> str:
        return delivery.text

    worker = DeliveryWorker(FlakyOnce(store.engine), Sender(), render, "w", Limits(rate=None))
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
