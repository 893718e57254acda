"""Broadcast benchmark: 10,000 subscribers, the real delivery worker, the fake Bot API server.

For a SQLite database (and PostgreSQL too when ``TEST_DATABASE_URL`` is set: a fresh
database is created for the run and dropped afterwards) it prints:
- the time to queue one publish to every subscriber (``OutboxStore.publish``), median of a few,
  each into an emptied outbox;
- the delivery rate with Telegram's limits on (``Limits(rate=25)``), the real
  ``DeliveryWorker`` and ``TelegramSender`` against the fake server, sustained over a window
  that starts after the limiter's initial burst;
- the worker's own capacity with the limiter off, over the whole broadcast, with a check
  that every subscriber got exactly one message;
- CPU seconds per 1,000 deliveries, of this process only (it runs nothing but the worker);
- reply latency of chatting users while the real bot (``python -m bot run``) delivers a
  broadcast at the limit: from an update becoming available to getUpdates until its reply
  reaches the server, p50 and p99, next to the same figure with no broadcast going on.

The fake Bot API server (testkit/fakebotapi.py) runs in a child process of its own
(testkit.bench.ServerProcess), so neither its CPU nor its event loop is counted against the
worker; it speaks JSON lines on its stdin and stdout. Everything stays on 127.0.0.1.
Figures are printed, never asserted (shared machines are noisy); one run.
Run: python benchmarks/broadcast.py [--seconds 30]
(--profile adds a cProfile of each limiter-off run: where the event loop's time goes.)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from testkit.bench import (  # noqa: E402  (the shared test kit)
    ServerProcess,
    Spread,
    Watcher,
    cpu_seconds,
    questions,
    serve_commands,
    start_bot,
    stop_bot,
    thread_cpu_seconds,
)

# run_worker keeps its own names for these until the storage API it wires settles.
_cpu, _thread_cpu = cpu_seconds, thread_cpu_seconds

SUBSCRIBER_BASE = 1_000_000  # subscribers are chats SUBSCRIBER_BASE + 0 .. + n - 1
CHATTER_BASE = 5_000_000  # chatting users, never subscribers
WARM_BASE = 6_000_000  # warm-up questions
UPDATE_TEXT = (
    "Direct flights to Seoul start in May: three a week, tickets from <b>€420</b> & up. "
    "Details in the interview."
)  # a < and an & the renderer must escape, or the fake server refuses the message
BURST = 3.0  # seconds at the start of the limits-on run left out of its sustained rate


# =============================================================================== server process


async def _chat(
    server: Any,
    watcher: Watcher,
    texts: Sequence[str],
    first: int,
    count: int,
    rate: float,
    warm: int,
    min_bulk: int,
    wait: float,
) -> dict[str, Any]:
    """Warm up, then send ``count`` questions at ``rate`` per second from distinct chats and
    time each reply from the update's queueing to the reply's arrival."""
    await watcher.wait(lambda: watcher.polls > 0, wait, "the bot polling")
    await watcher.wait(lambda: len(watcher.times) >= min_bulk, wait, "the broadcast starting")
    warm_chats = range(WARM_BASE + first, WARM_BASE + first + warm)
    for chat in warm_chats:
        server.user_sends(chat, texts[chat % len(texts)])
    await watcher.wait(lambda: watcher.replied(warm_chats), wait, "warm-up")
    chats = range(CHATTER_BASE + first, CHATTER_BASE + first + count)
    queued_at: dict[int, float] = {}
    interval = 1.0 / rate
    started = next_at = time.monotonic()
    bulk_before = len(watcher.times)
    for index, chat in enumerate(chats):
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        server.user_sends(chat, texts[(chat * 7 + index) % len(texts)])
        queued_at[chat] = time.monotonic()
        next_at += interval
        watcher.update()
    ended = time.monotonic()
    watcher.update()
    bulk_during = sum(1 for at in watcher.times[bulk_before:] if started <= at <= ended)
    with contextlib.suppress(TimeoutError):
        await watcher.wait(lambda: watcher.replied(chats), 30, "replies")
    latencies = [
        (watcher.first_at[chat] - queued_at[chat]) * 1000
        for chat in chats
        if chat in watcher.first_at
    ]
    return {
        "latencies_ms": latencies,
        "missing": count - len(latencies),
        "window": ended - started,
        "bulk_during": bulk_during,
    }


async def serve(subscribers: int) -> None:
    """The server process: a FakeBotAPI answering the harness's commands."""
    from testkit.fakebotapi import FakeBotAPI

    texts = questions()
    bulk = range(SUBSCRIBER_BASE, SUBSCRIBER_BASE + subscribers)
    async with FakeBotAPI() as server:
        watcher = Watcher(server, timed=bulk)

        async def clear() -> dict[str, Any]:  # between phases only: nothing is in flight
            nonlocal watcher
            server.calls.clear()
            watcher = Watcher(server, timed=bulk)
            return {}

        async def polls() -> dict[str, Any]:
            watcher.update()
            return {"polls": watcher.polls}

        async def sends() -> dict[str, Any]:
            watcher.update()
            per_chat = [count for chat, count in watcher.sent.items() if chat in bulk]
            return {
                "times": watcher.times,
                "chats": len(per_chat),
                "duplicated": sum(1 for count in per_chat if count > 1),
                "cpu": cpu_seconds(),
            }

        async def chat(**args: Any) -> dict[str, Any]:
            return await _chat(server, watcher, texts, **args)

        await serve_commands(server, {"clear": clear, "polls": polls, "sends": sends, "chat": chat})


# =============================================================================== the harness


@dataclass
class Figures:
    """One database's results; None where a phase did not run."""

    name: str
    seed_s: float = 0.0
    publish_ms: list[float] = field(default_factory=list)
    rate: float = 0.0
    rate_sent: int = 0
    rate_window: float = 0.0
    busiest_burst: int = 0
    busiest_steady: int = 0
    cpu_limited: float = 0.0
    capacity: float = 0.0
    capacity_sent: int = 0
    capacity_s: float = 0.0
    capacity_chats: int = 0
    capacity_duplicated: int = 0
    capacity_failures: int = 0
    cpu_capacity: float = 0.0
    cpu_main_thread: float = 0.0
    cpu_server: float = 0.0
    quiet: dict[str, Any] = field(default_factory=dict)
    busy: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class CountingOutbox:
    """The real outbox, counting the worker's outcomes and saying when ``target`` were sent."""

    def __init__(self, outbox: Any, target: int) -> None:
        self._outbox = outbox
        self._target = target
        self.sent = 0
        self.failures = 0
        self.done = asyncio.Event()
        self.claim = outbox.claim
        self.release_expired = outbox.release_expired
        self.renew = outbox.renew

    async def mark_sent(self, delivery_ids: Sequence[int]) -> None:
        await self._outbox.mark_sent(delivery_ids)
        self.sent += len(delivery_ids)
        if self.sent >= self._target:
            self.done.set()

    async def retry_later(self, delivery_id: int, delay: float, error: str) -> None:
        self.failures += 1
        await self._outbox.retry_later(delivery_id, delay, error)

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        self.failures += 1
        await self._outbox.mark_failed(delivery_id, error)

    async def deactivate(self, chat_id: int, reason: str) -> int:
        self.failures += 1
        result: int = await self._outbox.deactivate(chat_id, reason)
        return result


async def seed(store: Any, subscribers: int) -> None:
    """Insert the subscribers in bulk: active, following everything, in three languages."""
    from sqlalchemy import insert

    from bot.storage.tables import chats

    created = datetime.now(UTC)
    langs = ("en", "az", "ru")
    rows = [
        {
            "chat_id": SUBSCRIBER_BASE + index,
            "language": langs[index % 3],
            "follows_all": True,
            "active": True,
            "created_at": created,
        }
        for index in range(subscribers)
    ]
    async with store.db.engine.begin() as conn:
        await conn.execute(insert(chats), rows)


async def reset_outbox(store: Any) -> None:
    """Drop every bulletin and delivery, so each phase starts from the same queue."""
    from sqlalchemy import delete

    from bot.storage.tables import bulletins, deliveries

    async with store.db.engine.begin() as conn:
        await conn.execute(delete(deliveries))
        await conn.execute(delete(bulletins))


async def run_worker(
    store: Any,
    server: ServerProcess,
    limits: Any,
    *,
    target: int,
    seconds: float | None,
    timeout: float,
    profile: cProfile.Profile | None = None,
) -> tuple[Any, float, float, float]:
    """Run the real DeliveryWorker with TelegramSender until ``target`` deliveries are
    recorded sent (or for ``seconds``); return the counting outbox, wall seconds, and CPU
    seconds of the whole process and of its main thread (the event loop; the rest is
    aiosqlite's threads)."""
    from bot.app import bot_defaults
    from bot.content import load
    from bot.delivery.sender import telegram_worker, worker_bot

    content = load(ROOT / "intents")
    counting = CountingOutbox(store.outbox, target)
    # The bot's own wiring: the worker's bot and worker as bot/app.py builds them.
    bot = worker_bot(server.token, server.base_url, bot_defaults())
    worker = telegram_worker(counting, bot, content, f"bench:{os.getpid()}", limits)
    async with bot:
        cpu_before = _cpu(resource.getrusage(resource.RUSAGE_SELF))
        main_before = _thread_cpu()
        started = time.monotonic()
        if profile is not None:
            profile.enable()
        task = asyncio.create_task(worker.run(), name="delivery-worker")
        try:
            if seconds is not None:
                done, _ = await asyncio.wait({task}, timeout=seconds)
            else:
                waiter = asyncio.create_task(counting.done.wait())
                done, _ = await asyncio.wait(
                    {task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                waiter.cancel()
                if not done:
                    raise TimeoutError(f"{counting.sent} of {target} sent within {timeout:g} s")
            if task in done:
                task.result()  # the worker died: raise its error
                raise RuntimeError("the worker stopped on its own")
            wall = time.monotonic() - started
            cpu = _cpu(resource.getrusage(resource.RUSAGE_SELF)) - cpu_before
            main = _thread_cpu() - main_before
        finally:
            if profile is not None:
                profile.disable()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return counting, wall, cpu, main


def busiest_second(times: Sequence[float]) -> int:
    """The most sends that arrived within any one-second window."""
    ordered = sorted(times)
    best = low = 0
    for high, at in enumerate(ordered):
        while at - ordered[low] >= 1.0:
            low += 1
        best = max(best, high - low + 1)
    return best


async def bot_latency(
    store: Any,
    server: ServerProcess,
    url: str,
    state: Path,
    figures: Figures,
    args: argparse.Namespace,
    offset: int,
) -> None:
    """The real bot process, limiter on: chat replies with no broadcast, then during one."""
    log = state / f"bot-{figures.name}.log"
    with log.open("wb") as errors:
        process = await start_bot(
            server,
            state,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
            DATABASE_URL=url,
            BOT_DELIVERY_RATE="25",
            LOG_LEVEL="WARNING",
        )
    try:
        deadline = time.monotonic() + 90
        while (await server.ask("polls"))["polls"] == 0:
            if process.returncode is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the bot did not start polling; its log ends:\n{tail}")
            await asyncio.sleep(0.2)
        figures.quiet = await server.ask(
            "chat",
            first=offset,
            count=args.quiet_questions,
            rate=args.chat_rate,
            warm=5,
            min_bulk=0,
            wait=60,
        )
        result = await store.outbox.publish(None, UPDATE_TEXT, None)
        if result.queued != args.subscribers:
            figures.notes.append(f"latency phase: publish queued {result.queued}")
        figures.busy = await server.ask(
            "chat",
            first=offset + 10_000,
            count=args.questions,
            rate=args.chat_rate,
            warm=5,
            min_bulk=50,
            wait=60,
        )
    finally:
        try:
            await stop_bot(process, 30)
        except TimeoutError:
            figures.notes.append("the bot did not stop within 30 s of SIGTERM; killed")
    flagged = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if any(word in line for word in ("WARNING", "ERROR", "CRITICAL", "Traceback"))
    ]
    if flagged:
        shown = "\n    ".join(line[:300] for line in flagged[:8])
        figures.notes.append(f"the bot logged {len(flagged)} warning/error lines:\n    {shown}")


async def measure(
    name: str, url: str, engine_kwargs: dict[str, Any], state: Path, args: argparse.Namespace
) -> Figures:
    """Every phase on one database."""
    from bot.delivery.worker import Limits
    from bot.storage import Storage

    figures = Figures(name)
    n = args.subscribers
    server = await ServerProcess.start(str(HERE), "--serve", "--subscribers", str(n))
    store = await Storage.open(url, **engine_kwargs)
    try:
        started = time.perf_counter()
        await seed(store, n)
        figures.seed_s = time.perf_counter() - started

        # 1. queueing a publish
        for _ in range(args.publishes):
            await reset_outbox(store)
            started = time.perf_counter()
            result = await store.outbox.publish(None, UPDATE_TEXT, None)
            figures.publish_ms.append((time.perf_counter() - started) * 1000)
            if result.queued != n:
                figures.notes.append(f"publish queued {result.queued}, not {n}")

        # 2. delivery rate with Telegram's limits on
        await reset_outbox(store)
        await store.outbox.publish(None, UPDATE_TEXT, None)
        await server.ask("clear")
        limited = Limits(rate=25.0)
        counting, wall, cpu, _ = await run_worker(
            store, server, limited, target=n, seconds=args.seconds, timeout=0
        )
        sends = await server.ask("sends")
        times = sorted(sends["times"])
        if times:
            # The limiter starts with a full bucket: leave its first seconds out.
            window_start = times[0] + BURST
            inside = [at for at in times if at >= window_start]
            if len(inside) > 1:
                figures.rate_window = inside[-1] - inside[0]
                figures.rate = (len(inside) - 1) / figures.rate_window
            figures.busiest_burst = busiest_second([at for at in times if at < window_start])
            figures.busiest_steady = busiest_second(inside)
        figures.rate_sent = counting.sent
        figures.cpu_limited = cpu / max(counting.sent, 1) * 1000
        if counting.failures:
            figures.notes.append(f"limits on: {counting.failures} failed sends")

        # 3 and 4. capacity with the limiter off, and CPU per 1,000 deliveries
        await reset_outbox(store)
        await store.outbox.publish(None, UPDATE_TEXT, None)
        await server.ask("clear")
        server_cpu_before = (await server.ask("sends"))["cpu"]
        profile = cProfile.Profile() if args.profile else None
        counting, wall, cpu, main = await run_worker(
            store,
            server,
            Limits(rate=None),
            target=n,
            seconds=None,
            timeout=args.capacity_timeout,
            profile=profile,
        )
        sends = await server.ask("sends")
        figures.capacity_sent = counting.sent
        figures.capacity_s = wall
        figures.capacity = counting.sent / wall
        figures.capacity_chats = sends["chats"]
        figures.capacity_duplicated = sends["duplicated"]
        figures.capacity_failures = counting.failures
        figures.cpu_capacity = cpu / counting.sent * 1000
        figures.cpu_main_thread = main / counting.sent * 1000
        figures.cpu_server = (sends["cpu"] - server_cpu_before) / max(len(sends["times"]), 1) * 1000
        stats = await store.stats()
        sent = stats.deliveries
        if sum(sent.values()) != n or max(sent.values()) != n:
            figures.notes.append(f"after the limiter-off run, deliveries by status: {sent}")
        if profile is not None:
            figures.notes.append(profile_summary(profile))

        # 5. chat replies from the real bot during a broadcast
        await reset_outbox(store)
        await server.ask("clear")
        await bot_latency(store, server, url, state, figures, args, offset=0)
    finally:
        await store.close()
        await server.stop()
    return figures


async def with_postgres(admin_url: str, state: Path, args: argparse.Namespace) -> Figures:
    """Run every phase on a database of its own, created here and dropped afterwards."""
    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    database = f"bench_broadcast_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
        try:
            return await measure("PostgreSQL", url, {}, state, args)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


_DB = "database (SQLAlchemy, driver, greenlet, aiosqlite's queue)"
_HTTP = "Bot API client (python-telegram-bot, httpx, httpcore, anyio, h11)"
_SOCKETS = "socket send/recv (HTTP and database)"
_OURS = "the worker, the store and the renderer (bot/), aiolimiter"
_LAYERS = {  # package (or C call) -> the layer it belongs to, for the profile summary
    "sqlalchemy": _DB,
    "aiosqlite": _DB,
    "asyncpg": _DB,
    "C calls: method 'switch'": _DB,
    "C calls: method 'put_nowait'": _DB,
    "telegram": _HTTP,
    "httpx": _HTTP,
    "httpcore": _HTTP,
    "anyio": _HTTP,
    "h11": _HTTP,
    "sniffio": _HTTP,
    "C calls: method 'getpeername'": _HTTP,
    "C calls: method 'poll'": _HTTP,  # httpcore: is the pooled connection still readable?
    "stdlib parse.py": _HTTP,
    "stdlib request.py": _HTTP,
    "C calls: method 'send'": _SOCKETS,
    "C calls: method 'recv'": _SOCKETS,
    "aiolimiter": _OURS,
}
_LOOP_FILES = ("base_events.py", "events.py", "selector_events.py", "tasks.py", "futures.py")


def profile_summary(profile: cProfile.Profile, top: int = 12) -> str:
    """Where the event loop's time went: own time per layer and per package, then the
    costliest functions.

    By own time because cProfile counts every resumption of a coroutine as a call, which
    makes cumulative times of async code unreadable; own (total) times still add up.
    """
    stats = pstats.Stats(profile)
    packages: dict[str, float] = {}
    for (file, _line, function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if function == "<method 'poll' of 'select.epoll' objects>":
            key = "(event loop idle: waiting in epoll)"
        elif "site-packages/" in file:
            key = file.split("site-packages/", 1)[1].split("/", 1)[0]
        elif file.startswith(str(ROOT)):
            key = file[len(str(ROOT)) + 1 :]
        elif file == "~":
            key = "C calls: " + function.strip("<>").split(" of ")[0]
        else:
            key = "stdlib " + Path(file).name
        packages[key] = packages.get(key, 0.0) + own
    layers: dict[str, float] = {}
    rest: dict[str, float] = {}
    for key, own in packages.items():
        if key.startswith("bot/"):
            layer = _OURS
        elif key.startswith("(event loop idle"):
            layer = key
        elif key.endswith(_LOOP_FILES) or key in ("C calls: method 'run'", "stdlib selectors.py"):
            layer = "asyncio's loop and tasks"
        else:
            layer = _LAYERS.get(key, "everything else")
        layers[layer] = layers.get(layer, 0.0) + own
        if layer == "everything else":
            rest[key] = own
    total = sum(packages.values()) or 1.0
    lines = ["cProfile of the limits-off run, main thread, own time by layer:"]
    for key, own in sorted(layers.items(), key=lambda item: -item[1]):
        lines.append(f"    {own:6.2f} s {own / total:4.0%}  {key}")
    biggest = sorted(rest.items(), key=lambda item: -item[1])[:6]
    lines.append("      (everything else, mostly: " + ", ".join(k for k, _ in biggest) + ")")
    lines.append("  by package:")
    for key, own in sorted(packages.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"    {own:6.2f} s {own / total:4.0%}  {key}")
    buffer = io.StringIO()
    pstats.Stats(profile, stream=buffer).sort_stats("tottime").print_stats(top)
    body = buffer.getvalue()
    table = body[body.find("   ncalls") :] if "   ncalls" in body else body
    lines.append("  costliest functions by own time:")
    lines.extend("    " + line for line in table.rstrip().splitlines())
    return "\n".join(lines)


def _latency(result: dict[str, Any], rate: float) -> str:
    latencies = Spread.of(result.get("latencies_ms") or [])
    if not latencies.count:
        return "no replies"
    line = (
        f"p50 {latencies.p50:6.1f} ms   p99 {latencies.p99:6.1f} ms"
        f"   max {latencies.high:6.1f} ms   ({latencies.count} questions at {rate:g}/s"
    )
    if result.get("missing"):
        line += f", {result['missing']} unanswered"
    if result.get("bulk_during"):
        line += f"; broadcast went on at {result['bulk_during'] / result['window']:.1f}/s"
    return line + ")"


def report(results: Sequence[Figures], args: argparse.Namespace, elapsed: float) -> None:
    """Print every figure."""
    n = args.subscribers
    print(
        f"broadcast benchmark: {n:,} subscribers; fake Bot API in its own process on 127.0.0.1; "
        f"one run, {elapsed:.0f} s"
    )
    for fig in results:
        print(f"[{fig.name}]  seeded {n:,} subscribers in {fig.seed_s:.2f} s")
        runs = Spread.of(fig.publish_ms)
        print(
            f"  queue a publish to {n:,}:         {runs.p50:8.0f} ms"
            f"   (median of {runs.count}: {runs.low:.0f} to {runs.high:.0f} ms)"
        )
        print(
            f"  delivery rate, limits on (25/s): {fig.rate:8.1f} messages/s sustained over "
            f"{fig.rate_window:.0f} s   ({fig.rate_sent} sent in {args.seconds:g} s; busiest "
            f"1-s window at the server: {fig.busiest_burst} in the first {BURST:g} s, "
            f"{fig.busiest_steady} after)"
        )
        print(
            f"  worker capacity, limits off:     {fig.capacity:8.0f} messages/s   "
            f"({fig.capacity_sent:,} in {fig.capacity_s:.1f} s; {fig.capacity_chats:,} chats "
            f"reached, {fig.capacity_duplicated} twice, {fig.capacity_failures} failed sends)"
        )
        print(
            f"  CPU per 1,000 deliveries:        {fig.cpu_capacity:8.2f} s   worker process, "
            f"limits off, {fig.cpu_main_thread:.2f} s of it in the event loop's thread   "
            f"({fig.cpu_limited:.2f} s at 25/s; the fake server {fig.cpu_server:.2f} s "
            f"in its own process)"
        )
        print(f"  chat replies, no broadcast:      {_latency(fig.quiet, args.chat_rate)}")
        print(f"  chat replies during broadcast:   {_latency(fig.busy, args.chat_rate)}")
        for note in fig.notes:
            print(f"  note: {note}")


async def main(args: argparse.Namespace) -> None:
    """Run on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set, and print."""
    started = time.monotonic()
    results: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="broadcast-bench-") as folder:
        state = Path(folder)
        sqlite_url = f"sqlite+aiosqlite:///{state / 'bench.sqlite3'}"
        results.append(await measure("SQLite", sqlite_url, {}, state, args))
        pg_url = os.environ.get("TEST_DATABASE_URL", "").strip()
        if pg_url:
            results.append(await with_postgres(pg_url, state, args))
    report(results, args, time.monotonic() - started)
    if not os.environ.get("TEST_DATABASE_URL", "").strip():
        print("  (PostgreSQL skipped: set TEST_DATABASE_URL to include it)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--publishes", type=int, default=5, help="publish runs for the median")
    parser.add_argument("--seconds", type=float, default=30.0, help="limits-on window")
    parser.add_argument("--capacity-timeout", type=float, default=120.0)
    parser.add_argument("--questions", type=int, default=100, help="during the broadcast")
    parser.add_argument("--quiet-questions", type=int, default=30, help="with no broadcast")
    parser.add_argument("--chat-rate", type=float, default=10.0, help="questions per second")
    parser.add_argument("--profile", action="store_true", help="cProfile the capacity run")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        asyncio.run(serve(arguments.subscribers))
    else:
        asyncio.run(main(arguments))
