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
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.bench import (  # noqa: E402  (the shared test kit)
    BOT_COMMAND,
    Spread,
    Watcher,
    cpu_seconds,
    questions,
    start_bot,
    stop_bot,
)
from testkit.fakebotapi import FakeBotAPI  # noqa: E402


async def measure(
    server: FakeBotAPI, watcher: Watcher, first_chat: int, users: int, messages: int, rate: float
) -> dict[str, float]:
    """Throughput burst, then steady-rate latency, for the bot currently polling."""
    texts = questions()
    # warm-up: every code path touched once
    warm = range(first_chat, first_chat + 10)
    for chat in warm:
        server.user_sends(chat, texts[chat % len(texts)])
    await watcher.wait(lambda: watcher.replied(warm), 60, "warm-up replies")

    burst = range(first_chat + 100, first_chat + 100 + users)
    started = time.monotonic()
    for round_ in range(messages):
        for chat in burst:
            server.user_sends(chat, texts[(chat * 7 + round_) % len(texts)])
    await watcher.wait(lambda: watcher.replied(burst, messages), 300, "burst replies")
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
    await watcher.wait(lambda: watcher.replied(steady), 120, "steady-rate replies")
    latencies = Spread.of((watcher.first_at[chat] - queued_at[chat]) * 1000 for chat in steady)
    return {
        "throughput": throughput,
        "p50": latencies.p50,
        "p99": latencies.p99,
        "count": latencies.count,
    }


async def inline_latency(server: FakeBotAPI, rate: float) -> dict[str, float]:
    """Inline queries at a steady ``rate``: from the update being available to getUpdates
    until its answerInlineQuery reaches the server, p50 and p99 (ms)."""
    texts = questions()
    watcher = Watcher(server)
    queued_at: dict[str, float] = {}
    interval = 1.0 / rate
    next_at = time.monotonic()
    for number in range(int(rate * 8)):
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        update = server.user_queries(900_000 + number, texts[number % len(texts)])
        queued_at[update["inline_query"]["id"]] = time.monotonic()
        next_at += interval
    await watcher.wait(lambda: queued_at.keys() <= watcher.inline_at.keys(), 120, "inline answers")
    latencies = Spread.of((watcher.inline_at[q] - queued_at[q]) * 1000 for q in queued_at)
    return {
        "inline_p50": latencies.p50,
        "inline_p99": latencies.p99,
        "inline_count": latencies.count,
    }


async def run_bot(
    server: FakeBotAPI,
    command: Sequence[str],
    state: str,
    first_chat: int,
    users: int,
    messages: int,
    rate: float,
) -> dict[str, float]:
    """Start a bot, measure it once it polls, stop it; with the CPU seconds it and we used."""
    own, children = cpu_seconds(), cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN))
    watcher = Watcher(server)
    process = await start_bot(
        server, state, command=command, stdout=asyncio.subprocess.DEVNULL, LOG_LEVEL="WARNING"
    )
    try:
        await watcher.wait(lambda: watcher.polls > 0, 60, "the bot polling")
        results = await measure(server, watcher, first_chat, users, messages, rate)
        if command is BOT_COMMAND:  # the echo bot has no inline mode
            results |= await inline_latency(server, rate)
    finally:
        await stop_bot(process)
    results["cpu_server"] = cpu_seconds() - own
    results["cpu_bot"] = cpu_seconds(resource.getrusage(resource.RUSAGE_CHILDREN)) - children
    return results


async def main(users: int, messages: int, rate: float) -> None:
    """Run both bots and print the comparison."""
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as state:
        async with FakeBotAPI() as server:
            bots = {
                "echo bot (floor)": [sys.executable, str(ROOT / "benchmarks" / "echo_bot.py")],
                "interview bot": BOT_COMMAND,
            }
            for index, (name, command) in enumerate(bots.items()):
                first_chat = 100_000 * (index + 1)
                results[name] = await run_bot(
                    server, command, state, first_chat, users, messages, rate
                )
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
    print(
        f"  interview bot inline queries at {rate:g}/s: p50 {ours['inline_p50']:6.1f} ms   "
        f"p99 {ours['inline_p99']:6.1f} ms ({int(ours['inline_count'])} queries; "
        f"p99 ratio to a text reply's: {ours['inline_p99'] / ours['p99']:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.messages, arguments.rate))
