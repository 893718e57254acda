"""What the benchmarks share: the bot as a child process, the fake Bot API in a child process
of its own, an incremental watcher over the fake server's calls, realistic questions, and
the figures (spread of timings, CPU seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import statistics
import sys
import time
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Container,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import yaml

if TYPE_CHECKING:
    from testkit.fakebotapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
BOT_COMMAND = (sys.executable, "-m", "bot", "run")


def questions() -> list[str]:
    """Realistic messages: the held-out evaluation sets."""
    texts: list[str] = []
    for name in ("eval_en.yaml", "eval_az.yaml", "eval_ru.yaml"):
        data = yaml.safe_load((ROOT / "data" / name).read_text(encoding="utf-8"))
        texts.extend(item["text"] for item in data)
    return texts


# ----------------------------------------------------------------------------- the bot process


class Endpoint(Protocol):
    """Where a bot finds its Bot API: a FakeBotAPI, or a ServerProcess running one."""

    token: str
    base_url: str


async def start_bot(
    api: Endpoint,
    state: Path | str,
    *,
    command: Sequence[str] = BOT_COMMAND,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    **env: str,
) -> asyncio.subprocess.Process:
    """Start a bot process (``python -m bot run`` unless ``command`` says) on ``api``, with its
    state in ``state`` and ``env`` added to this process's environment."""
    environment = dict(
        os.environ, BOT_TOKEN=api.token, BOT_API_BASE_URL=api.base_url, BOT_STATE_DIR=str(state)
    )
    return await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=environment | env, stdout=stdout, stderr=stderr
    )


async def stop_bot(process: asyncio.subprocess.Process, timeout: float = 30.0) -> int:
    """SIGTERM, as an orchestrator stops it, and wait; return the exit status. A process that
    outlives ``timeout`` is killed, and TimeoutError raised."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise


# ----------------------------------------------------------------------------- watching the fake


class Watcher:
    """Takes in a FakeBotAPI's calls as they come, from those arriving after it was made:
    getUpdates polls, successful sendMessage calls per chat and the first one's arrival, the
    arrival times of those into ``timed`` chats, and answers to inline queries. Incremental,
    because rescanning every call on each look would eat the CPU the bots are measured on."""

    def __init__(self, server: FakeBotAPI, timed: Container[int] = ()) -> None:
        self._server = server
        self._seen = len(server.calls)
        self._timed = timed
        self.polls = 0
        self.sent: dict[int, int] = {}
        self.first_at: dict[int, float] = {}
        self.times: list[float] = []
        self.inline_at: dict[str, float] = {}  # inline query id -> when its answer arrived

    def update(self) -> None:
        """Take in the calls that arrived since the last look."""
        calls = self._server.calls
        while self._seen < len(calls):
            call = calls[self._seen]
            if call.method in ("sendMessage", "answerInlineQuery") and call.status == 0:
                return  # still being answered; look again later
            self._seen += 1
            if call.method == "getUpdates":
                self.polls += 1
            elif call.method == "answerInlineQuery" and call.ok:
                self.inline_at.setdefault(str(call.params["inline_query_id"]), call.at)
            elif call.method == "sendMessage" and call.ok and isinstance(call.chat_id, int):
                chat = call.chat_id
                self.sent[chat] = self.sent.get(chat, 0) + 1
                self.first_at.setdefault(chat, call.at)
                if chat in self._timed:
                    self.times.append(call.at)

    def replied(self, chats: Iterable[int], count: int = 1) -> bool:
        """Every chat in ``chats`` has been sent at least ``count`` messages."""
        return all(self.sent.get(chat, 0) >= count for chat in chats)

    async def wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """Look every 10 ms until ``done()``; TimeoutError naming ``what`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            if done():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            await asyncio.sleep(0.01)


# ----------------------------------------------------------------------------- the server process

Command = Callable[..., Awaitable[dict[str, Any]]]


async def serve_commands(server: FakeBotAPI, commands: Mapping[str, Command]) -> None:
    """The child's side of ServerProcess: announce the started ``server`` on stdout, then
    answer one JSON command per stdin line with ``commands[cmd](**arguments)``, one JSON line
    each, until "quit" or the end of stdin."""

    def emit(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    emit({"base_url": server.base_url, "token": server.token})
    while line := await asyncio.to_thread(sys.stdin.readline):
        arguments = json.loads(line)
        name = arguments.pop("cmd")
        if name == "quit":
            emit({})
            return
        if name not in commands:
            emit({"error": f"unknown command {name!r}"})
            continue
        try:
            emit(await commands[name](**arguments))
        except Exception as exc:  # report it to the harness rather than die silently
            emit({"error": f"{type(exc).__name__}: {exc}"})


class ServerProcess:
    """A fake Bot API server in a child process of its own, so that neither its CPU nor its
    event loop counts against what is measured; the child runs ``serve_commands``."""

    def __init__(self, process: asyncio.subprocess.Process, base_url: str, token: str) -> None:
        self._process = process
        self.base_url = base_url
        self.token = token

    @classmethod
    async def start(cls, *args: str) -> ServerProcess:
        """Run ``python *args`` and wait until its server is up."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,  # an answer may carry every send's time
        )
        try:
            hello = await cls._read(process, 30)
        except BaseException:
            process.kill()
            await process.wait()
            raise
        return cls(process, hello["base_url"], hello["token"])

    @staticmethod
    async def _read(process: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the fake server process exited")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"fake server: {reply['error']}")
        return reply

    async def ask(self, cmd: str, timeout: float = 120.0, **args: Any) -> dict[str, Any]:
        """Send a command and return its answer."""
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await self._process.stdin.drain()
        return await self._read(self._process, timeout)

    async def stop(self) -> None:
        """Ask the child to quit; kill it if it does not within 10 s."""
        with contextlib.suppress(Exception):  # gone already: the wait below says so
            await self.ask("quit", timeout=10)
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


# ----------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Spread:
    """How some measurements spread: how many, median, 99th percentile, lowest, highest."""

    count: int
    p50: float
    p99: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        """The spread of ``values`` (zeros when there are none)."""
        ordered = sorted(values)
        if not ordered:
            return cls(0, 0.0, 0.0, 0.0, 0.0)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return cls(len(ordered), statistics.median(ordered), p99, ordered[0], ordered[-1])


def cpu_seconds(usage: resource.struct_rusage | None = None) -> float:
    """User plus system CPU seconds in ``usage``, by default this process's so far."""
    usage = usage or resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def thread_cpu_seconds() -> float:
    """CPU seconds of the calling thread (Linux); NaN where the OS cannot tell."""
    who = getattr(resource, "RUSAGE_THREAD", None)
    return cpu_seconds(resource.getrusage(who)) if who is not None else float("nan")


# ----------------------------------------------------------------------------- databases


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """A new PostgreSQL database on ``admin_url``'s server, dropped afterwards; its URL."""
    import uuid

    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                # FORCE: a bot process killed with SIGKILL may leave a session behind a moment.
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
