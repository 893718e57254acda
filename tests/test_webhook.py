"""The webhook server over real HTTP: the secret checked on the headers alone, before any of
the body is read; a body over the limit refused unread; the bind address from BOT_LISTEN."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.conversation import Conversation
from bot.webhook import MAX_UPDATE_BYTES, SECRET_HEADER
from testkit.bench import start_bot
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import USER, running_bot

SECRET = "hook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def webhook_env(port: int, **env: str) -> dict[str, str]:
    return {
        "BOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_PORT": str(port),
        **env,
    }


async def status_for_headers(host: str, port: int, headers: dict[str, str], body: bytes) -> int:
    """Send a request's headers and ``body`` (maybe shorter than announced), then read the
    status line; the server must answer without waiting for the rest."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"POST /hook HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode() + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout=3)
        return int(line.split()[1])
    finally:
        writer.close()


async def test_a_request_without_the_secret_is_refused_before_its_body_is_read(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    """10 MB announced, none of it sent: a server that read the body first would wait."""
    port = free_port()
    async with running_bot(server, conversation, tmp_path, **webhook_env(port)):
        big = {"Content-Type": "application/json", "Content-Length": str(10 * 1024 * 1024)}
        for secret in ({}, {SECRET_HEADER: "wrong"}):
            assert await status_for_headers("127.0.0.1", port, big | secret, b"{") == 403


async def test_a_body_over_the_limit_is_refused_unread(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    port = free_port()
    async with running_bot(server, conversation, tmp_path, **webhook_env(port)):
        headers = {SECRET_HEADER: SECRET, "Content-Length": str(MAX_UPDATE_BYTES + 1)}
        assert await status_for_headers("127.0.0.1", port, headers, b"{") == 413
        update = json.dumps(server.build_message_update(USER, "king sejong institute")).encode()
        headers = {SECRET_HEADER: SECRET, "Content-Length": str(len(update))}
        assert await status_for_headers("127.0.0.1", port, headers, update) == 200
        [reply] = await server.wait_sent(USER)
        assert "Culture" in reply.params["text"].splitlines()[0]
        not_json = {SECRET_HEADER: SECRET, "Content-Length": "3"}
        assert await status_for_headers("127.0.0.1", port, not_json, b"{x}") == 400


def test_the_webhook_binds_the_loopback_address_unless_told() -> None:
    assert Settings.from_env({}).listen == "127.0.0.1"
    assert Settings.from_env({"BOT_LISTEN": "192.0.2.1"}).listen == "192.0.2.1"


@pytest.mark.parametrize(("listen", "reachable", "unreachable"), [
    ("127.0.0.1", "127.0.0.1", "127.0.0.2"),
    ("127.0.0.2", "127.0.0.2", "127.0.0.1"),
])  # fmt: skip
async def test_the_webhook_listens_only_on_bot_listen(
    server: FakeBotAPI,
    conversation: Conversation,
    tmp_path: Path,
    listen: str,
    reachable: str,
    unreachable: str,
) -> None:
    port = free_port()
    async with running_bot(server, conversation, tmp_path, **webhook_env(port, BOT_LISTEN=listen)):
        assert await status_for_headers(reachable, port, {"Content-Length": "0"}, b"") == 403
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(unreachable, port)


async def test_sigterm_under_load_answers_every_accepted_update_then_exits_0(
    server: FakeBotAPI, tmp_path: Path, model_cache: Path
) -> None:
    """``python -m bot run`` in webhook mode takes 200 updates a second; SIGTERM half-way:
    every update it accepted (200) is answered before it exits 0; later ones are refused
    (Telegram would send them again)."""
    shutil.copytree(model_cache, tmp_path / "model")  # a fast start
    port = free_port()
    process = await start_bot(
        server, tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        **webhook_env(port),
    )  # fmt: skip
    try:
        await server.wait_for(lambda s: s.webhook.get("url"), timeout=30)
        accepted: list[int] = []

        async def deliver(chat: int) -> None:
            update = server.build_message_update(chat, "are there direct flights?")
            try:
                if await server.post_webhook(update, timeout=20) == 200:
                    accepted.append(chat)
            except (aiohttp.ClientError, TimeoutError):
                pass  # refused once stopping: not accepted

        posts = []
        for n in range(400):  # 2 s at 200 a second
            posts.append(asyncio.create_task(deliver(10_000 + n)))
            if n == 200:
                process.send_signal(signal.SIGTERM)
            await asyncio.sleep(1 / 200)
        await asyncio.gather(*posts)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    answered = {c.chat_id for c in server.sent() if c.method == "sendMessage"}
    print(f"\n{len(accepted)} of 400 accepted before the stop; all answered: "
          f"{set(accepted) <= answered}")  # fmt: skip
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert len(accepted) >= 150
    assert set(accepted) <= answered, f"{len(set(accepted) - answered)} accepted, unanswered"
    assert "Traceback" not in stderr.decode()
