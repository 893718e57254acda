"""Property-based updates (Hypothesis) of every kind the bot handles, through the real
Application and the fake Bot API over real HTTP: whatever arrives, no handler error.

Texts draw from every Unicode category (lone surrogates and NUL included), button data is
forged up to Telegram's 64 bytes, commands carry random arguments (editor commands from an
editor too), and messages come from private chats and groups. One bot serves every example.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import BotApplication
from bot.conversation import Conversation
from bot.handlers.commands import EDITOR_COMMANDS, READER_COMMANDS
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import running_bot

EDITOR = 1001
MENTION = "@interview_test_bot"

any_text = st.text(st.characters(codec=None, categories=None), max_size=200)
forged_data = st.text(max_size=64).filter(lambda s: len(s.encode("utf-8", "surrogatepass")) <= 64)
private = st.integers(min_value=2, max_value=50)
group = st.integers(min_value=-50, max_value=-2)


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """One update: its kind and what the fake server needs to build it."""
    kind = draw(st.sampled_from(["text", "group", "command", "media", "edited", "press",
                                 "inline"]))  # fmt: skip
    if kind == "text":
        return kind, {"chat": draw(private), "text": draw(any_text)}
    if kind == "group":
        return kind, {"chat": draw(group), "text": draw(any_text), "mention": draw(st.booleans())}
    if kind == "command":
        name = draw(st.sampled_from(READER_COMMANDS + EDITOR_COMMANDS + ("nope",)))
        chat = draw(st.sampled_from([EDITOR]) | private)
        return kind, {"chat": chat, "text": f"/{name} {draw(any_text)}".rstrip()}
    if kind == "media":
        return kind, {"chat": draw(private), "what": draw(st.sampled_from(
            ["sticker", "photo", "voice", "location"]))}  # fmt: skip
    if kind == "edited":
        return kind, {"chat": draw(private), "text": draw(any_text)}
    if kind == "press":
        return kind, {"chat": draw(private), "data": draw(forged_data)}
    return kind, {"user": draw(private), "query": draw(any_text.map(lambda t: t[:256]))}


class Errors(logging.Handler):
    """Collects the error handler's records."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
async def app(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> AsyncIterator[BotApplication]:
    async with running_bot(
        server, conversation, tmp_path / "state", BOT_ADMIN_IDS=str(EDITOR)
    ) as application:
        yield application


async def send(server: FakeBotAPI, kind: str, args: dict[str, Any]) -> None:
    if kind == "text":
        server.user_sends(args["chat"], args["text"])
    elif kind == "group":
        text = f"{MENTION} {args['text']}" if args["mention"] else args["text"]
        entities = [{"type": "mention", "offset": 0, "length": len(MENTION)}]
        server.user_sends(args["chat"], text, chat_type="group",
                          entities=entities if args["mention"] else None)  # fmt: skip
    elif kind == "command":
        server.user_sends(args["chat"], args["text"])
    elif kind == "media":
        server.user_sends(args["chat"], **{args["what"]: True})
    elif kind == "edited":
        server.user_sends(args["chat"], "hello")
        server.user_sends(args["chat"], args["text"], edited=True)
    elif kind == "press":
        before = len(server.sent(args["chat"]))
        server.user_sends(args["chat"], "/topics")
        [*_, menu] = await server.wait_sent(args["chat"], count=before + 1)
        server.user_presses(args["chat"], menu.result["message_id"], args["data"])
    else:
        server.user_queries(args["user"], args["query"])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(updates(), min_size=1, max_size=6))
async def test_no_update_of_any_kind_makes_a_handler_fail(
    app: BotApplication, server: FakeBotAPI, batch: list[tuple[str, dict[str, Any]]]
) -> None:
    errors = Errors()
    watched = [logging.getLogger("bot"), logging.getLogger("telegram")]
    for logger in watched:
        logger.addHandler(errors)
    try:
        for kind, args in batch:
            await send(server, kind, args)
        await server.wait_for(lambda s: not s.pending_updates, timeout=10)
        await asyncio.sleep(0.2)  # the last update's handling
        while app.update_queue.qsize():
            await asyncio.sleep(0.05)
    finally:
        for logger in watched:
            logger.removeHandler(errors)
    messages = [record.getMessage() for record in errors.records]
    assert not messages, messages
