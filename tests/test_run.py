"""``python -m bot run`` as a user runs it: polling and webhook, SIGTERM, the secret token."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.conversation import Conversation
from testkit.bench import start_bot
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import run_to_exit, running_bot
from tests.conftest import ROOT

USER = 1001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def warm_model(tmp_path: Path, model_cache: Path) -> None:
    """Every bot process here starts from the session's model instead of fitting its own."""
    shutil.copytree(model_cache, tmp_path / "model")


async def start_process(
    server: FakeBotAPI, tmp_path: Path, **env: str
) -> asyncio.subprocess.Process:
    pipe = asyncio.subprocess.PIPE
    return await start_bot(server, tmp_path, stdout=pipe, stderr=pipe, **env)


async def stop_process(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_polling_process_answers_and_stops_cleanly_on_sigterm(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    process = await start_process(server, tmp_path)
    try:
        await server.wait_for(lambda s: any(c.method == "getUpdates" for c in s.calls), timeout=30)
        server.user_sends(USER, "are there direct flights to Seoul?")
        [reply] = await server.wait_sent(USER, timeout=15)
        assert "Direct flights" in reply.params["text"].splitlines()[0]
        await server.wait_for(lambda s: (tmp_path / "heartbeat").exists(), timeout=10)
    finally:
        status, stderr = await stop_process(process)
    assert status == 0, stderr
    assert server.token not in stderr
    assert "Traceback" not in stderr


async def test_a_rejected_token_is_reported_without_showing_it(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    server.fail("getMe", status=401, description="Unauthorized", times=100)
    process = await start_process(server, tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1
    assert "Telegram refused this token" in stderr.decode()
    assert server.token not in stderr.decode()
    assert server.token.split(":")[1] not in stderr.decode()


async def test_broken_content_stops_start_up_before_any_request(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    content = tmp_path / "intents"
    content.mkdir()
    for path in (ROOT / "intents").glob("*.yaml"):
        (content / path.name).write_bytes(path.read_bytes())
    (content / "culture.yaml").write_text("id: culture\nkind: [\n", encoding="utf-8")
    process = await start_process(server, tmp_path, BOT_CONTENT_DIR=str(content))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1
    assert stderr.decode().startswith("culture.yaml: invalid YAML")
    assert server.calls == []


async def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    status, stderr = await run_to_exit(environment)
    assert status == 2
    assert "BOT_TOKEN" in stderr and "@BotFather" in stderr


async def test_webhook_process_refuses_requests_without_the_secret(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    process = await start_process(
        server, tmp_path, BOT_WEBHOOK_URL=url, BOT_WEBHOOK_SECRET="s3cret-token", BOT_PORT=str(port)
    )
    try:
        await server.wait_for(lambda s: s.webhook.get("url") == url, timeout=30)
        assert server.webhook.get("secret_token") == "s3cret-token"
        update = server.build_message_update(USER, "king sejong institute")
        await _wait_listening(port)
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
        assert server.sent(USER) == []
        assert await server.post_webhook(update) == 200
        [reply] = await server.wait_sent(USER, timeout=15)
        assert "Culture" in reply.params["text"].splitlines()[0]
    finally:
        status, stderr = await stop_process(process)
    assert status == 0, stderr
    assert "s3cret-token" not in stderr and server.token not in stderr


async def test_webhook_mode_requires_a_secret(tmp_path: Path) -> None:
    environment = dict(
        os.environ, BOT_TOKEN="1:x", BOT_STATE_DIR=str(tmp_path), BOT_WEBHOOK_URL="https://x.org/h"
    )
    environment.pop("BOT_WEBHOOK_SECRET", None)
    status, stderr = await run_to_exit(environment)
    assert status == 2
    assert "BOT_WEBHOOK_SECRET" in stderr


async def test_a_webhook_set_up_wrong_is_said_before_the_content_is_read(tmp_path: Path) -> None:
    """An operator fixing the configuration does not wait for a fit, nor read content
    errors first."""
    broken = tmp_path / "intents"
    broken.mkdir()
    (broken / "ui.yaml").write_text("welcome: [unclosed", encoding="utf-8")
    environment = dict(
        os.environ,
        BOT_TOKEN="1:x",
        BOT_STATE_DIR=str(tmp_path),
        BOT_CONTENT_DIR=str(broken),
        BOT_WEBHOOK_URL="https://x.org/h",
    )
    environment.pop("BOT_WEBHOOK_SECRET", None)
    status, stderr = await run_to_exit(environment)
    assert status == 2
    assert "BOT_WEBHOOK_SECRET" in stderr and "ui.yaml" not in stderr


async def test_webhook_in_process_answers_only_with_the_secret(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    env = {"BOT_WEBHOOK_URL": url, "BOT_WEBHOOK_SECRET": "another-secret", "BOT_PORT": str(port)}
    async with running_bot(server, conversation, tmp_path, **env):
        update = server.build_message_update(USER, "/start direct_flights")
        async with aiohttp.ClientSession() as session, session.post(url, json=update) as response:
            assert response.status == 403
        assert await server.post_webhook(update) == 200
        [reply] = await server.wait_sent(USER)
        assert "Direct flights" in reply.params["text"]


async def _wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on port {port}")
