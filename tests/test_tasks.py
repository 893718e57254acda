"""``finish``: a write that cancellation does not cut off, a cancellation that still stops
the task once the write is done, and a stuck write that does not stop the stop."""

from __future__ import annotations

import asyncio
import time

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
    await asyncio.sleep(0.05)
    assert not task.done() and not done
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert done == ["written"] and not after


@pytest.mark.parametrize("second_cancel", [False, True])
async def test_a_stuck_write_is_cut_off_after_the_grace_or_a_second_cancel(
    second_cancel: bool,
) -> None:
    started = asyncio.Event()
    outcome: list[str] = []

    async def stuck() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            outcome.append("cut off")
            raise

    before = asyncio.all_tasks()
    task = asyncio.create_task(finish(stuck(), grace=0.2 if not second_cancel else 60))
    await started.wait()
    began = time.monotonic()
    task.cancel()
    if second_cancel:
        await asyncio.sleep(0.05)
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert outcome == ["cut off"]
    assert time.monotonic() - began < 30, "the stop waited for the stuck write"
    assert asyncio.all_tasks() - before == set(), "the write outlived its caller"


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
