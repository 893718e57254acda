"""Webhook memory benchmark: the bot's resident memory while 10 clients at once post 10 MB
bodies without the secret token (and then with it: refused as too large).

``python -m bot run`` in webhook mode against the fake Bot API server in this process; RSS
of the bot process sampled every 20 ms (psutil) before and during the requests. Figures,
never asserts; one run. Run: python benchmarks/webhook_memory.py [--clients 10] [--mb 10]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
from pathlib import Path

import psutil

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bot.classifier import Classifier  # noqa: E402
from bot.content import load  # noqa: E402
from bot.webhook import SECRET_HEADER  # noqa: E402
from testkit.bench import start_bot, stop_bot  # noqa: E402
from testkit.fakebotapi import FakeBotAPI  # noqa: E402

SECRET = "bench-secret"  # noqa: S105 (a test value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def post(port: int, size: int, headers: dict[str, str]) -> int:
    """POST ``size`` bytes, however far the server lets us; return the status (0: cut off)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n{head}\r\n".encode())
    chunk = b"x" * 65536
    try:
        for _ in range(size // len(chunk)):
            writer.write(chunk)
            await writer.drain()
    except ConnectionError:
        pass
    try:
        line = await asyncio.wait_for(reader.readline(), 10)
        return int(line.split()[1]) if line else 0
    except (ConnectionError, TimeoutError, IndexError):
        return 0
    finally:
        writer.close()


async def peak_rss(process: psutil.Process, done: asyncio.Event) -> float:
    peak = 0
    while not done.is_set():
        peak = max(peak, process.memory_info().rss)
        await asyncio.sleep(0.02)
    return peak / 2**20


async def attack(
    bot: psutil.Process, port: int, args: argparse.Namespace, headers: dict[str, str]
) -> tuple[float, list[int]]:
    done = asyncio.Event()
    sampler = asyncio.create_task(peak_rss(bot, done))
    size = args.mb * 2**20
    statuses = await asyncio.gather(*(post(port, size, headers) for _ in range(args.clients)))
    done.set()
    return await sampler, list(statuses)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as folder:
        state = Path(folder)
        Classifier.load_or_fit(load(ROOT / "intents"), state / "model")
        port = free_port()
        async with FakeBotAPI() as server:
            process = await start_bot(
                server, state, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                BOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", BOT_WEBHOOK_SECRET=SECRET,
                BOT_PORT=str(port),
            )  # fmt: skip
            try:
                await server.wait_for(lambda s: s.webhook.get("url"), timeout=60)
                bot = psutil.Process(process.pid)
                await asyncio.sleep(1)
                idle = bot.memory_info().rss / 2**20
                no_secret, s1 = await attack(bot, port, args, {})
                too_big, s2 = await attack(bot, port, args, {SECRET_HEADER: SECRET})
            finally:
                await stop_bot(process)
    print(f"\nwebhook under {args.clients} concurrent {args.mb} MB bodies:")
    print(f"  idle RSS {idle:.0f} MB")
    print(f"  without the secret: peak RSS {no_secret:.0f} MB, statuses {sorted(set(s1))}")
    print(
        f"  with the secret (over the limit): peak RSS {too_big:.0f} MB, statuses {sorted(set(s2))}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--mb", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
