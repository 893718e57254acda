"""Metrics for operators over real HTTP: the real application with ``BOT_METRICS_PORT`` set,
against the fake Bot API; ``/metrics`` parsed as Prometheus parses it, and ``/healthz``."""

from __future__ import annotations

import socket
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import ConfigError, Settings
from bot.conversation import Conversation
from bot.metrics import Metrics
from bot.replies import ReplyKind
from bot.storage import Storage
from testkit.fakebotapi import FakeBotAPI
from tests.botharness import ask, running_bot


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_updates_replies_outcomes_deliveries_and_flood_waits(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    env = {"BOT_METRICS_PORT": str(port), "DATABASE_URL": database_url}
    async with running_bot(server, conversation, tmp_path / "state", **env) as application:
        store = application.bot_data.storage
        assert isinstance(store, Storage)
        for chat in (7001, 7002):
            await store.chats.follow(chat, None, "en")
        server.fail("sendMessage", status=429, retry_after=1, times=1)  # a reply waits
        await ask(server, "are there direct flights to seoul?", chat=3001)
        await ask(server, "what is the football score?", chat=3002)
        await store.outbox.publish(None, "News", None)
        await server.wait_for(lambda s: len(s.sent(7001)) == 1 and len(s.sent(7002)) == 1)
        await server.wait_for(lambda s: (tmp_path / "state" / "heartbeat").exists())
        figures = await scrape(port)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200

    assert figures[("bot_updates_total", (("kind", "message"),))] == 2
    assert figures[("bot_reply_seconds_count", ())] == 2
    assert figures[("bot_reply_seconds_bucket", (("le", "+Inf"),))] == 2
    assert figures[("bot_questions_total", (("outcome", "answered"),))] == 1
    assert figures[("bot_questions_total", (("outcome", "refused"),))] == 1
    assert figures[("bot_flood_waits_total", (("sender", "reply"),))] == 1
    assert figures[("bot_flood_wait_seconds_total", (("sender", "reply"),))] == 1.0
    sent = figures[("bot_deliveries", (("state", "sent"),))]
    sending = figures[("bot_deliveries", (("state", "sending"),))]
    assert sent + sending == 2 and figures[("bot_delivery_queue_depth", ())] == 0


async def test_healthz_says_unhealthy_without_a_fresh_heartbeat(
    server: FakeBotAPI, conversation: Conversation, tmp_path: Path
) -> None:
    port = free_port()
    env = {"BOT_METRICS_PORT": str(port)}
    async with running_bot(server, conversation, tmp_path / "state", **env):
        await server.wait_for(lambda s: (tmp_path / "state" / "heartbeat").exists())
        (tmp_path / "state" / "heartbeat").unlink()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 503


def test_each_metrics_object_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.question(ReplyKind.ANSWER)
    assert one.registry.get_sample_value("bot_questions_total", {"outcome": "answered"}) == 1
    assert two.registry.get_sample_value("bot_questions_total", {"outcome": "answered"}) is None


def test_metrics_port_setting() -> None:
    assert Settings.from_env({}).metrics_port is None
    assert Settings.from_env({"BOT_METRICS_PORT": "9100"}).metrics_port == 9100
    with pytest.raises(ConfigError, match="BOT_METRICS_PORT: not a port number"):
        Settings.from_env({"BOT_METRICS_PORT": "metrics"})
