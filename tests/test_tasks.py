"""``finish``: a write that cancellation cannot cut off, and a cancellation that still stops
the task once the write is done."""

from __future__ import annotations

import asyncio

import pytest

from bot.tasks import finish


async def test_a_cancelled_task_finishes_its_write_then_stops() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    done: list[str] = []
    after: list[str] = []

    async def write() -> str:
        started.set()
        await release.wait()
        done.append("written")
        return "written"

    async def background() -> None:
        await finish(write())
        after.append("went on")  # must not run: the task was cancelled

    task = asyncio.create_task(background())
    await started.wait()
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()  # a second cancellation does not cut the write off either
    await asyncio.sleep(0.01)
    assert not task.done() and not done
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert done == ["written"] and not after


async def test_finish_returns_the_result_and_raises_the_work_s_own_error() -> None:
    async def value() -> int:
        await asyncio.sleep(0)
        return 7

    async def broken() -> None:
        await asyncio.sleep(0)
        raise ValueError("refused")

    assert await finish(value()) == 7
    with pytest.raises(ValueError, match="refused"):
        await finish(broken())
