"""Running the real application against the fake Bot API server, as ``run_polling`` does."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot import callback_data
from bot.app import BotApplication, build_application
from bot.config import Settings
from bot.conversation import Conversation
from bot.flood import FloodControl
from bot.replies import Action
from bot.webhook import Webhook, WebhookServer
from testkit.fakebotapi import Call, FakeBotAPI


def settings_for(server: FakeBotAPI, state_dir: Path, **env: str) -> Settings:
    """Settings pointing the bot at ``server`` with its state in ``state_dir``."""
    values: Mapping[str, str] = {
        "BOT_TOKEN": server.token,
        "BOT_API_BASE_URL": server.base_url,
        "BOT_STATE_DIR": str(state_dir),
        **env,
    }
    return Settings.from_env(values)


@asynccontextmanager
async def running_bot(
    server: FakeBotAPI,
    conversation: Conversation,
    state_dir: Path,
    flood: FloodControl | None = None,
    **env: str,
) -> AsyncIterator[BotApplication]:
    """Start the bot like ``run_polling`` (post_init included) and stop it on exit."""
    settings = settings_for(server, state_dir, **env)
    application = build_application(settings, conversation, flood)
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    updater: Any = application.updater
    server = WebhookServer(application, Webhook.of(settings)) if settings.webhook_url else None
    if server is not None:
        await server.start()
    else:
        await updater.start_polling(poll_interval=0, timeout=1)
    await application.start()
    try:
        yield application
    finally:
        if server is not None:
            await server.stop()
        else:
            await updater.stop()
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


USER = 1001


def buttons(call: Call) -> list[list[dict[str, Any]]]:
    """The inline keyboard a recorded call sent, as rows of button dicts."""
    markup = call.params.get("reply_markup") or {}
    rows: list[list[dict[str, Any]]] = markup.get("inline_keyboard", [])
    return rows


def labels(call: Call) -> list[str]:
    """The labels of a recorded call's buttons, row by row."""
    return [button["text"] for row in buttons(call) for button in row]


def actions(call: Call) -> list[Action]:
    """The decoded actions of a recorded call's buttons."""
    return [
        callback_data.decode(b["callback_data"])
        for row in buttons(call)
        for b in row
        if "callback_data" in b  # the share button switches to inline mode instead
    ]


def title(conversation: Conversation, topic_id: str, lang: str = "en") -> str:
    """A topic's title in ``lang``."""
    topic = conversation.content.topic(topic_id)
    assert topic is not None
    return topic.title[lang]  # type: ignore[index]


async def ask(server: FakeBotAPI, text: str | None, chat: int = USER, **kwargs: Any) -> Call:
    """Send ``text`` as a user and return the bot's next message to that chat."""
    before = len(server.sent(chat))
    server.user_sends(chat, text, **kwargs)
    return (await server.wait_sent(chat, count=before + 1))[before]


async def run_to_exit(environment: Mapping[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run ``python -m bot run`` until it exits by itself; return its status and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=Path(__file__).resolve().parent.parent,
        env=dict(environment), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=timeout)
    assert process.returncode is not None
    return process.returncode, stderr.decode()
