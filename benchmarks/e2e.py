"""End-to-end benchmark: the real bot process against the fake Bot API server over HTTP.

For our bot (``python -m bot run``) and, as the floor, a bare python-telegram-bot echo bot
(benchmarks/echo_bot.py) on the same fake server in the same run, it prints:
- throughput: N users x M messages queued at once, updates answered per second;
- latency at a steady load (default 50 updates/s): from an update becoming available to
  getUpdates until its reply reaches the server, p50 and p99.
Figures are printed, never asserted. Run: python benchmarks/e2e.py [--users 50 --messages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.fakebotapi import FakeBotAPI  # noqa: E402  (the shared fake server)


def questions() -> list[str]:
    """Realistic messages: the held-out evaluation sets."""
    texts: list[str] = []
    for name in ("eval_en.yaml", "eval_az.yaml", "eval_ru.yaml"):
        data = yaml.safe_load((ROOT / "data" / name).read_text(encoding="utf-8"))
        texts.extend(item["text"] for item in data)
    return texts


async def start(server: FakeBotAPI, command: list[str], state: str) -> asyncio.subprocess.Process:
    """Start a bot process and wait until it polls."""
    env = dict(
        os.environ,
        BOT_TOKEN=server.token,
        BOT_API_BASE_URL=server.base_url,
        BOT_STATE_DIR=state,
        LOG_LEVEL="WARNING",
    )
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
    )
    polls = sum(1 for call in server.calls if call.method == "getUpdates")
    await server.wait_for(
        lambda s: sum(1 for c in s.calls if c.method == "getUpdates") > polls, timeout=60
    )
    return process


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM and wait."""
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), timeout=30)


class Replies:
    """Counts sendMessage calls per chat incrementally (rescanning all calls would eat the CPU
    the bots are measured on)."""

    def __init__(self, server: FakeBotAPI) -> None:
        self._server = server
        self._seen = 0
        self.count: dict[int, int] = {}
        self.first_at: dict[int, float] = {}

    def update(self) -> None:
        """Take in the calls that arrived since the last look."""
        calls = self._server.calls
        while self._seen < len(calls):
            call = calls[self._seen]
            if call.method == "sendMessage" and call.done_at is None and call.status == 0:
                return  # still being answered; look again later
            self._seen += 1
            if call.method == "sendMessage" and call.ok and isinstance(call.chat_id, int):
                self.count[call.chat_id] = self.count.get(call.chat_id, 0) + 1
                self.first_at.setdefault(call.chat_id, call.at)

    async def wait(self, chats: range, count: int, timeout: float) -> None:
        """Wait until every chat in ``chats`` has ``count`` replies."""
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            if all(self.count.get(chat, 0) >= count for chat in chats):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"replies missing after {timeout} s")
            await asyncio.sleep(0.02)


async def measure(
    server: FakeBotAPI, name: str, first_chat: int, users: int, messages: int, rate: float
) -> dict[str, float]:
    """Throughput burst, then steady-rate latency, for the bot currently polling."""
    texts = questions()
    replies = Replies(server)
    # warm-up: every code path touched once
    warm = range(first_chat, first_chat + 10)
    for chat in warm:
        server.user_sends(chat, texts[chat % len(texts)])
    await replies.wait(warm, 1, 60)

    burst = range(first_chat + 100, first_chat + 100 + users)
    started = time.monotonic()
    for round_ in range(messages):
        for chat in burst:
            server.user_sends(chat, texts[(chat * 7 + round_) % len(texts)])
    await replies.wait(burst, messages, 300)
    throughput = users * messages / (time.monotonic() - started)

    steady = range(first_chat + 1000, first_chat + 1000 + int(rate * 8))
    queued_at: dict[int, float] = {}
    interval = 1.0 / rate
    next_at = time.monotonic()
    for chat in steady:
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        server.user_sends(chat, texts[chat % len(texts)])
        queued_at[chat] = time.monotonic()
        next_at += interval
    await replies.wait(steady, 1, 120)
    latencies = sorted((replies.first_at[chat] - queued_at[chat]) * 1000 for chat in steady)
    return {
        "throughput": throughput,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "count": len(latencies),
    }


async def main(users: int, messages: int, rate: float) -> None:
    """Run both bots and print the comparison."""
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as state:
        async with FakeBotAPI() as server:
            bots = {
                "echo bot (floor)": [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")],
                "interview bot": [sys.executable, "-m", "bot", "run"],
            }
            for index, (name, command) in enumerate(bots.items()):
                own = resource.getrusage(resource.RUSAGE_SELF)
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                process = await start(server, command, state)
                try:
                    results[name] = await measure(
                        server, name, 100_000 * (index + 1), users, messages, rate
                    )
                finally:
                    await stop(process)
                own_after = resource.getrusage(resource.RUSAGE_SELF)
                children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
                results[name]["cpu_server"] = _cpu(own_after) - _cpu(own)
                results[name]["cpu_bot"] = _cpu(children_after) - _cpu(children)
    print(f"end-to-end benchmark: {users} users x {messages} messages burst; latency at {rate:g}/s")
    for name, figures in results.items():
        print(
            f"  {name:<18} {figures['throughput']:7.0f} updates/s   "
            f"latency p50 {figures['p50']:6.1f} ms   p99 {figures['p99']:6.1f} ms   "
            f"({int(figures['count'])} timed updates; CPU s: bot {figures['cpu_bot']:.1f}, "
            f"fake server + harness {figures['cpu_server']:.1f})"
        )
    ours, floor = results["interview bot"], results["echo bot (floor)"]
    print(f"  throughput ratio (ours / echo): {ours['throughput'] / floor['throughput']:.0%}")


def _cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.messages, arguments.rate))
