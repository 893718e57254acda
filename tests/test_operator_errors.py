"""What an operator sees when ``python -m bot run`` cannot start: one clear line (what is
wrong, which variable, what to do), a non-zero exit, a traceback only at LOG_LEVEL=DEBUG,
and never the token. The Bot API is the fake server, or an address where nothing listens."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from testkit.fakebotapi import FakeBotAPI
from tests.botharness import run_to_exit


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


@pytest.fixture(scope="module")
def warm_state(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Path:
    """A state folder whose model cache is filled: the bot starts without fitting."""
    path = tmp_path_factory.mktemp("state")
    shutil.copytree(model_cache, path / "model")
    return path


async def run_bot(state: Path, **env: str) -> tuple[int, list[str]]:
    """``python -m bot run`` until it exits by itself: its status and stderr lines."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))}
    status, stderr = await run_to_exit(environment | {"BOT_STATE_DIR": str(state), **env})
    return status, stderr.strip().splitlines()


def one_line(lines: list[str], *expected: str) -> str:
    """The one line that is not routine start-up information."""
    lines = [line for line in lines if " INFO " not in line]
    assert len(lines) == 1, "\n".join(lines)
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("database", "expected"),
    [
        ("sqlite+aiosqlite:///{state}/random.sqlite3", "is not a SQLite database"),
        ("sqlite:///{state}/bot.sqlite3", "needs the async driver"),
        ("sqlite+aiosqlite:////proc/no-such-folder/bot.sqlite3", "cannot create the folder"),
        # a folder that exists but takes no new file (read-only, even for root: procfs)
        ("sqlite+aiosqlite:////proc/bot.sqlite3", "cannot open /proc/bot.sqlite3"),
        ("postgresql+asyncpg://bot:pw@127.0.0.1:{port}/bot", "cannot reach PostgreSQL"),
    ],
)
async def test_database_problems_at_start_up_are_one_line(
    server: FakeBotAPI, warm_state: Path, database: str, expected: str
) -> None:
    (warm_state / "random.sqlite3").write_bytes(bytes(range(256)) * 16)
    url = database.format(state=warm_state, port=closed_port())
    status, lines = await run_bot(
        warm_state, BOT_TOKEN=server.token, BOT_API_BASE_URL=server.base_url, DATABASE_URL=url
    )
    assert status == 2
    line = one_line(lines, "database error: DATABASE_URL", expected)
    assert "pw" not in line and server.token not in line


async def test_an_unreachable_bot_api_is_not_worded_as_a_refusal(warm_state: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    status, lines = await run_bot(
        warm_state, BOT_TOKEN="123456:SECRET-token", BOT_API_BASE_URL=f"{base}/bot"
    )
    assert status == 1
    line = one_line(lines, "BOT_API_BASE_URL", f"cannot reach the Bot API at {base}")
    assert "refused" not in line.casefold() and "SECRET-token" not in line


async def test_a_rejected_token_is_one_line_without_the_token(
    server: FakeBotAPI, warm_state: Path
) -> None:
    server.fail("getMe", status=401, description="Unauthorized", times=100)
    status, lines = await run_bot(
        warm_state, BOT_TOKEN=server.token, BOT_API_BASE_URL=server.base_url
    )
    assert status == 1
    line = one_line(lines, "BOT_TOKEN: Telegram refused this token", "@BotFather")
    assert server.token.split(":")[1] not in line


@pytest.mark.parametrize("token", ["paste your token here", "123456789", "https://t.me/x"])
async def test_a_malformed_token_is_a_configuration_error_that_never_echoes_it(
    warm_state: Path, token: str
) -> None:
    status, lines = await run_bot(warm_state, BOT_TOKEN=token)
    assert status == 2
    line = one_line(lines, "configuration error: BOT_TOKEN: not a bot token")
    assert token not in line


async def test_tracebacks_are_shown_at_debug(warm_state: Path) -> None:
    status, lines = await run_bot(
        warm_state,
        BOT_TOKEN="123456:SECRET-token",
        BOT_API_BASE_URL=f"http://127.0.0.1:{closed_port()}/bot",
        LOG_LEVEL="DEBUG",
    )
    assert status == 1
    assert any(line.startswith("Traceback") for line in lines)
    assert "cannot reach the Bot API" in lines[-1]
    assert not any("SECRET-token" in line for line in lines)


def test_a_token_pasted_into_database_url_is_never_echoed() -> None:
    from bot.storage.failures import describe

    secret = "NOT-A-REAL-TOKEN_" * 2  # a bot token's shape, built here: no real one is kept
    token = f"1234567890:{secret}"
    for url in (token, f"sqlite:///{token}", f"postgresql+asyncpg://u@h/{token}"):
        line = describe(url, OSError(2, "No such file or directory"))
        assert token not in line and secret not in line, line
